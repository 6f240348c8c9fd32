import CamgateCore
import HTTPClient

/// Presigned targets for one bucket, path-style
/// (`{endpoint}/{bucket}/{key}`: a loopback or private endpoint has no
/// per-bucket host names). Used by a standalone agent, which signs for
/// itself, and by the cloud simulator, which signs for a device.
public struct S3Presigner: Sendable {
    public var endpoint: Endpoint
    public var bucket: String
    public var signer: SigV4
    /// How long a URL lives; an hour is plenty for one segment.
    public var expiresSeconds: Int64 = 3600

    public init(endpoint: Endpoint, bucket: String, signer: SigV4) {
        self.endpoint = endpoint
        self.bucket = bucket
        self.signer = signer
    }

    /// A presigned URL for `method` on `key` with `query`, signed as of `nowMs`.
    public func url(_ method: String, key: String, query: [(String, String)] = [], nowMs: Int64) -> String {
        let base = endpoint.path.split(separator: "?").first.map(String.init) ?? "/"
        let path = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/\(bucket)/\(key)"
        let signed = signer.presignedQuery(method: method, hostHeader: endpoint.hostHeader, path: path, query: query,
                                           nowMs: nowMs, expiresSeconds: expiresSeconds)
        return "\(endpoint.secure ? "https" : "http")://\(endpoint.hostHeader)\(SigV4.encode(path, keepSlash: true))?\(signed)"
    }

    public func putTarget(key: String, nowMs: Int64) -> UploadTarget {
        UploadTarget(key: key, method: .put(url: url("PUT", key: key, nowMs: nowMs)), expiresAtMs: nowMs + expiresSeconds * 1000)
    }

    /// Part URLs (all of them, or `parts`) and a Complete URL for an existing upload.
    public func partsTarget(key: String, uploadID: String, size: Int64, partSize: Int64, parts: [Int]?, nowMs: Int64) -> UploadTarget {
        let count = Int((size + partSize - 1) / max(partSize, 1))
        var urls: [Int: String] = [:]
        for number in parts ?? Array(1...max(count, 1)) {
            urls[number] = url("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], nowMs: nowMs)
        }
        let complete = url("POST", key: key, query: [("uploadId", uploadID)], nowMs: nowMs)
        return UploadTarget(key: key, method: .multipart(MultipartTarget(uploadID: uploadID, partSize: partSize, partURLs: urls, completeURL: complete)),
                            expiresAtMs: nowMs + expiresSeconds * 1000)
    }

    /// CreateMultipartUpload (`POST /{bucket}/{key}?uploads`), presigned
    /// like the rest; returns the upload id.
    public func createMultipartUpload(key: String, transport: HTTPTransport, nowMs: Int64) async throws -> String {
        let endpoint = try Endpoint(parsing: url("POST", key: key, query: [("uploads", "")], nowMs: nowMs))
        let (status, body) = try await transport.send(HTTPRequest(method: .POST, endpoint: endpoint, body: []), timeout: .seconds(30))
        let text = String(decoding: body, as: UTF8.self)
        guard (200..<300).contains(status), S3XML.errorCode(in: text) == nil, let id = S3XML.value(of: "UploadId", in: text), !id.isEmpty else {
            throw S3RequestFailed(operation: "CreateMultipartUpload", key: key, status: status, code: S3XML.errorCode(in: text))
        }
        return id
    }

    /// The target for a `size`-byte file under the device's own rule: one
    /// PUT up to 8 MiB, else 8 MiB parts (grown in MiB steps past 10,000
    /// parts); on a resume (`uploadID`), URLs for `parts` only.
    public func target(key: String, size: Int64, uploadID: String?, parts: [Int]?, transport: HTTPTransport, nowMs: Int64) async throws -> UploadTarget {
        let plan = try UploadPlan.forFile(size: size)
        guard case .multipart(let multipart) = plan else { return putTarget(key: key, nowMs: nowMs) }
        if let uploadID {
            return partsTarget(key: key, uploadID: uploadID, size: size, partSize: multipart.partSize, parts: parts, nowMs: nowMs)
        }
        let id = try await createMultipartUpload(key: key, transport: transport, nowMs: nowMs)
        return partsTarget(key: key, uploadID: id, size: size, partSize: multipart.partSize, parts: nil, nowMs: nowMs)
    }
}

/// An S3 request of the uploader's own (not a presigned part) failed.
public struct S3RequestFailed: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var key: String
    public var status: Int
    public var code: String?
    public var description: String { "\(operation) of \(key): HTTP \(status)\(code.map { " \($0)" } ?? "")" }
}
