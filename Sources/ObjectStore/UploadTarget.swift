import CamgateCore
import HTTPClient

/// Where one segment goes: a presigned PUT, or a multipart upload with
/// presigned part URLs and a Complete URL. Made by the cloud (`POST
/// …/uploads`) or, standalone, by `S3Presigner`; checked before use.
public struct UploadTarget: Sendable, Equatable {
    public enum Method: Sendable, Equatable {
        case put(url: String)
        case multipart(MultipartTarget)
    }

    public var key: String
    public var method: Method
    public var expiresAtMs: Int64

    public init(key: String, method: Method, expiresAtMs: Int64) {
        self.key = key
        self.method = method
        self.expiresAtMs = expiresAtMs
    }
}

public struct MultipartTarget: Sendable, Equatable {
    public var uploadID: String
    public var partSize: Int64
    /// Part number → presigned URL; only the parts asked for on a resume.
    public var partURLs: [Int: String]
    public var completeURL: String

    public init(uploadID: String, partSize: Int64, partURLs: [Int: String], completeURL: String) {
        self.uploadID = uploadID
        self.partSize = partSize
        self.partURLs = partURLs
        self.completeURL = completeURL
    }
}

extension UploadTarget {
    /// The protocol's rules (docs/protocol.md, "Asking for a target"): a
    /// safe key of at most 1024 bytes; `https` URLs (or `http` to a
    /// loopback host); a part size of 5 MiB…5 GiB making at most 10,000
    /// parts of a `size`-byte file, URLs for exactly the parts asked
    /// (`asked`, or all of them); `expires_at` in the future.
    public func check(size: Int64, asked: [Int]?, nowMs: Int64) throws(UploadError) {
        try UploadTarget.checkKey(key)
        guard expiresAtMs > nowMs else {
            throw UploadError(.invalidTarget, subject: "expires_at", reason: "\(Timestamp.rfc3339(milliseconds: expiresAtMs)) is not in the future")
        }
        switch method {
        case .put(let url):
            try UploadTarget.checkURL(url, subject: "put.url")
            guard size <= S3Limits.maximumSinglePut else {
                throw UploadError(.invalidTarget, subject: "put", reason: "\(size) bytes is more than one PUT may carry (\(S3Limits.maximumSinglePut))")
            }
        case .multipart(let target):
            try target.check(size: size, asked: asked)
        }
    }

    static func checkKey(_ key: String) throws(UploadError) {
        guard !key.isEmpty, key.utf8.count <= ObjectKey.maximumBytes else {
            throw UploadError(.invalidTarget, subject: "key", reason: "must be 1–\(ObjectKey.maximumBytes) bytes (got \(key.utf8.count))")
        }
        for component in key.split(separator: "/", omittingEmptySubsequences: false) {
            try ObjectKey.check(String(component), subject: "key")
        }
    }

    static func checkURL(_ url: String, subject: String) throws(UploadError) {
        do { _ = try Endpoint(parsing: url) } catch {
            throw UploadError(.invalidTarget, subject: subject, reason: "\(error.reason) (\(Redactor.redactURL(url)))")
        }
    }
}

extension MultipartTarget {
    func check(size: Int64, asked: [Int]?) throws(UploadError) {
        guard !uploadID.isEmpty, uploadID.utf8.count <= 1024, uploadID.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw UploadError(.invalidTarget, subject: "multipart.upload_id", reason: "must be 1–1024 printable ASCII characters")
        }
        let plan: MultipartPlan
        do { plan = try MultipartPlan(size: size, partSize: partSize) } catch {
            throw UploadError(.invalidTarget, subject: "multipart.part_size", reason: error.reason)
        }
        let expected = Set(asked ?? Array(1...plan.partCount))
        guard expected.allSatisfy({ (1...plan.partCount).contains($0) }) else {
            throw UploadError(.invalidTarget, subject: "multipart.parts", reason: "asked parts outside 1…\(plan.partCount)")
        }
        guard Set(partURLs.keys) == expected else {
            let got = partURLs.keys.sorted().map(String.init).joined(separator: ",")
            throw UploadError(.invalidTarget, subject: "multipart.parts",
                              reason: "parts [\(got)] are not the \(expected.count) parts asked of ⌈\(size) / \(partSize)⌉ = \(plan.partCount)")
        }
        for (number, url) in partURLs.sorted(by: { $0.key < $1.key }) { try UploadTarget.checkURL(url, subject: "multipart.parts[\(number)].url") }
        try UploadTarget.checkURL(completeURL, subject: "multipart.complete_url")
    }
}
