/// What an answer of S3 to a presigned request means for the uploader
/// (docs/protocol.md, "Uploads"). Pure, table-tested.
public enum S3Answer: Hashable, Sendable {
    /// Taken: the ETag as S3 sent it (nil when it sent none).
    case stored(etag: String?)
    /// 403: the URL expired or was refused: ask for fresh URLs (once), then back off.
    case urlRefused(String)
    /// 404 `NoSuchUpload`: the multipart upload is gone: start over.
    case uploadGone(String)
    /// A Complete S3 will never accept (`InvalidPart`, `EntityTooSmall`,
    /// `InvalidPartOrder`, a 400): start over with a new upload.
    case startOver(String)
    /// 400 `BadDigest` / `InvalidDigest` to a PUT: S3 did not get the bytes
    /// whose `Content-MD5` was sent (damaged on the way): send them again now.
    case resend(String)
    /// 5xx, 429, an `<Error>` in a 200 that may pass: the same request again after backoff.
    case retry(String)

    /// - Parameter completing: the answer to CompleteMultipartUpload,
    ///   whose ETag is in the body and whose 200 may still carry an error.
    public static func classify(status: Int, etagHeader: String?, body: [UInt8], completing: Bool) -> S3Answer {
        let text = String(decoding: body.prefix(16 << 10), as: UTF8.self)
        let code = S3XML.errorCode(in: text)
        let detail = "HTTP \(status)" + (code.map { " \($0)" } ?? "")
        switch status {
        case 200..<300:
            guard completing else { return .stored(etag: etagHeader) }
            if let code { return fatalCompleteCodes.contains(code) ? .startOver(detail) : (code == "NoSuchUpload" ? .uploadGone(detail) : .retry(detail)) }
            return .stored(etag: S3XML.value(of: "ETag", in: text) ?? etagHeader)
        case 403:
            return .urlRefused(detail)
        case 404:
            return .uploadGone(detail)
        case 400:
            if code == "ExpiredToken" || code == "AuthorizationQueryParametersError" { return .urlRefused(detail) }
            if !completing, code == "BadDigest" || code == "InvalidDigest" { return .resend(detail) }
            return completing || code.map(fatalCompleteCodes.contains) == true ? .startOver(detail) : .retry(detail)
        default:
            return .retry(detail)
        }
    }

    static let fatalCompleteCodes: Set<String> = ["InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"]
}
