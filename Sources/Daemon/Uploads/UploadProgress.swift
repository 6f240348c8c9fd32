import CamgateCore

/// What the uploader has done since the agent started, and the segment on
/// its way (status, API, metrics). Owned by the upload service.
public struct UploadProgress: Sendable, Equatable {
    public struct Current: Sendable, Equatable {
        public var camera: CameraID
        public var file: String
        public var bytes: Int64
        /// Bytes of this segment S3 has (stored parts) or that went out in the request under way.
        public var sentBytes: Int64
    }

    /// Bytes handed to connections (resends included).
    public var bytesSent: Int64 = 0
    public var segmentsUploaded = 0
    public var segmentsFailed = 0
    /// Retried attempts (5xx, link down, expired URLs).
    public var retries = 0
    /// Parts or PUTs sent again because the MD5 ETag did not match.
    public var etagMismatches = 0
    /// Queued segments retention deleted before their upload.
    public var segmentsLost = 0
    public var current: Current?
    public var lastError: String?
    /// The endpoint is held off until then (ms since the epoch), after link failures.
    public var linkHoldUntilMs: Int64?

    public init() {}
}

/// The progress, shared by the uploader (writes) and the API (reads).
public actor UploadProgressBox {
    public private(set) var value = UploadProgress()

    public init() {}

    func update(_ body: @Sendable (inout UploadProgress) -> Void) {
        body(&value)
    }

    /// A request starts: the segment's bytes S3 already has (its stored parts).
    func startRequest(stored: Int64) {
        if value.current != nil { value.current!.sentBytes = stored }
    }

    func noteSent(_ bytes: Int) {
        value.bytesSent += Int64(bytes)
        if value.current != nil { value.current!.sentBytes += Int64(bytes) }
    }
}
