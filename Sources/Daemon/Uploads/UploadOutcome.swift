/// How one attempt at a segment ended.
enum UploadOutcome: Sendable, Equatable {
    /// The object store has it (`etag` nil: the cloud said it was already there).
    case uploaded(key: String, etag: String?)
    /// Try again after backoff; `linkDown`: the endpoint did not answer
    /// (refused, reset, 5xx): every upload waits, not only this one.
    case retry(String, linkDown: Bool)
    /// Refused for good (a 400, a key that is not safe, the file gone).
    case failed(String)
}

/// One step of sending to a target.
enum SendStep: Sendable, Equatable {
    case done(etag: String?)
    /// 403 from S3: fresh URLs, once.
    case refreshURLs(String)
    /// The multipart upload is gone or Complete was refused: a new upload.
    case startOver(String)
    case retry(String, linkDown: Bool)
}
