import CamgateCore
import ObjectStore

/// What the cloud said to a target request.
public enum UploadTargetAnswer: Sendable, Equatable {
    /// A checked target.
    case target(UploadTarget)
    /// 409: the object is already there with this sha256: counted as uploaded.
    case alreadyUploaded
    /// 404: the cloud no longer knows the upload id (or the camera).
    case unknownUpload(String)
    /// 400: a body the cloud cannot use: the segment is marked failed.
    case refused(String)
    /// 401/403: the device token was rejected.
    case credentialRejected(String)
}

/// Asks the cloud for upload targets (presigned URLs): the device holds no S3 keys.
public struct UploadTargetClient: Sendable {
    let transport: HTTPTransport
    let endpoint: Endpoint
    let token: @Sendable () -> String?

    public init(transport: HTTPTransport, uploads endpoint: Endpoint, token: @escaping @Sendable () -> String?) {
        self.transport = transport
        self.endpoint = endpoint
        self.token = token
    }

    /// Throws on a transport error, 429, 5xx or an answer that breaks the
    /// protocol (all: backoff).
    public func ask(_ request: UploadTargetRequest, nowMs: @Sendable () -> Int64) async throws -> UploadTargetAnswer {
        var headers = [("Content-Type", "application/json")]
        if let token = token() { headers.append(("Authorization", "Bearer \(token)")) }
        let (status, body) = try await transport.send(HTTPRequest(method: .POST, endpoint: endpoint, headers: headers,
                                                                  body: Array(request.json.serialized().utf8)), timeout: .seconds(30), limit: 4 << 20)
        return try UploadTargetClient.interpret(status: status, body: body, request: request, nowMs: nowMs())
    }

    /// The answer's meaning (pure).
    public static func interpret(status: Int, body: [UInt8], request: UploadTargetRequest, nowMs: Int64) throws -> UploadTargetAnswer {
        let reason = { (try? JSONValue.parse(body))?["error"]?.stringValue.map { String($0.prefix(300)) } ?? "HTTP \(status)" }
        switch status {
        case 200:
            let json: JSONValue
            do { json = try JSONValue.parse(body) } catch { throw UploadError(.invalidTarget, subject: "answer", reason: "not JSON: \(error.reason)") }
            let target = try UploadTarget(json: json)
            try target.check(size: request.size, asked: request.uploadID == nil ? nil : request.parts, nowMs: nowMs)
            if case .multipart(let m) = target.method, let asked = request.uploadID, m.uploadID != asked {
                throw UploadError(.invalidTarget, subject: "multipart.upload_id", reason: "the answer is for another upload than the one resumed")
            }
            return .target(target)
        case 409: return .alreadyUploaded
        case 404: return .unknownUpload(reason())
        case 400: return .refused(reason())
        case 401, 403: return .credentialRejected("HTTP \(status): the device token was rejected")
        default: throw UploadTargetUnavailable(status: status, reason: reason())
        }
    }
}

/// 429, 5xx or another status to retry after backoff.
public struct UploadTargetUnavailable: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var reason: String
    public var description: String { "upload target request: HTTP \(status) (\(reason))" }
}
