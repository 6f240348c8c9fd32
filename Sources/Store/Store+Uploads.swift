import CamgateCore

/// A segment in the upload queue (issue 12), as stored.
public struct UploadRow: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for its turn (or for its backoff).
        case queued
        /// Started: it may hold a multipart upload id and stored part ETags.
        case uploading
        /// The object store has it; `etag` is the object's.
        case done
        /// Refused for good (a 400 from the cloud, a key that is not safe);
        /// queued again only when a command names it again.
        case failed
    }

    public var id: Int64
    public var recordingID: Int64
    public var camera: CameraID
    /// Absolute path of the segment.
    public var file: String
    public var startMs: Int64
    public var bytes: Int64
    public var sha256: String?
    public var state: State
    public var objectKey: String?
    public var uploadID: String?
    public var partSize: Int64?
    /// Failed attempts since the last success.
    public var attempts: Int
    public var lastFailureMs: Int64?
    public var nextAttemptMs: Int64?
    public var lastError: String?
    public var etag: String?
    public var queuedAtMs: Int64
    public var uploadedAtMs: Int64?
}

/// What `queueUploads` did with the segments it was given.
public struct QueuedUploads: Sendable, Equatable {
    public var queued = 0
    public var alreadyUploaded = 0

    public init(queued: Int = 0, alreadyUploaded: Int = 0) {
        self.queued = queued
        self.alreadyUploaded = alreadyUploaded
    }
}

/// Counts of the queue for status and metrics.
public struct UploadQueueSummary: Sendable, Equatable {
    public var queued = 0
    public var uploading = 0
    public var done = 0
    public var failed = 0
    /// Bytes of the segments still to upload (queued and uploading).
    public var pendingBytes: Int64 = 0
    /// Bytes of the parts already stored for the uploads in progress.
    public var partBytes: Int64 = 0

    public init() {}
}

extension Store {
    static let uploadColumns = """
        id, recording, camera, file, start_ms, bytes, sha256, state, object_key, upload_id, part_size, attempts,
        last_failure_at, next_attempt_at, last_error, etag, queued_at, uploaded_at
        """

    static func upload(_ row: Row) -> UploadRow? {
        guard let camera = try? CameraID(row.text(2) ?? ""), let state = UploadRow.State(rawValue: row.text(7) ?? "") else { return nil }
        return UploadRow(id: row.int(0) ?? 0, recordingID: row.int(1) ?? 0, camera: camera, file: row.text(3) ?? "", startMs: row.int(4) ?? 0,
                         bytes: row.int(5) ?? 0, sha256: row.text(6), state: state, objectKey: row.text(8), uploadID: row.text(9),
                         partSize: row.int(10), attempts: Int(row.int(11) ?? 0), lastFailureMs: row.int(12), nextAttemptMs: row.int(13),
                         lastError: row.text(14), etag: row.text(15), queuedAtMs: row.int(16) ?? 0, uploadedAtMs: row.int(17))
    }

    // MARK: - Queueing

    /// Queues finished recordings for upload. A segment already queued or
    /// uploading is left as it is; a failed one is queued again (a command
    /// named it again); an uploaded one is counted, not queued twice.
    public func queueUploads(recordingIDs: [Int64], nowMs: Int64 = WallClock.nowMilliseconds()) throws -> QueuedUploads {
        try connection.transaction { () throws(SQLiteError) -> QueuedUploads in
            var result = QueuedUploads()
            for id in recordingIDs {
                if try connection.query("SELECT 1 FROM uploads WHERE recording = ? AND state = 'done'", [.integer(id)]).first != nil {
                    result.alreadyUploaded += 1
                    continue
                }
                try queueOne(recording: id, nowMs: nowMs)
                if connection.changes > 0 { result.queued += 1 }
            }
            return result
        }
    }

    /// One finished recording into the queue (inside a transaction).
    func queueOne(recording id: Int64, nowMs: Int64) throws(SQLiteError) {
        try connection.query("""
            INSERT INTO uploads (recording, camera, file, start_ms, bytes, state, queued_at, updated_at)
            SELECT id, camera, file, start_ms, bytes, 'queued', ?2, ?2 FROM recordings WHERE id = ?1 AND status = 'complete'
            ON CONFLICT(recording) DO UPDATE SET state = 'queued', attempts = 0, last_error = NULL, last_failure_at = NULL,
                next_attempt_at = NULL, updated_at = ?2 WHERE uploads.state = 'failed'
            """, [.integer(id), .integer(nowMs)])
    }

    /// Segments waiting for their upload (queued or started), oldest first.
    public func pendingUploads() throws -> [UploadRow] {
        try connection.query("SELECT \(Store.uploadColumns) FROM uploads WHERE state IN ('queued', 'uploading') ORDER BY start_ms, id")
            .compactMap(Store.upload)
    }

    public func upload(id: Int64) throws -> UploadRow? {
        try connection.query("SELECT \(Store.uploadColumns) FROM uploads WHERE id = ?", [.integer(id)]).first.flatMap(Store.upload)
    }

    /// The most recent rows of the queue in any state, newest first (status, API).
    public func recentUploads(limit: Int = 20) throws -> [UploadRow] {
        try connection.query("SELECT \(Store.uploadColumns) FROM uploads ORDER BY updated_at DESC, id DESC LIMIT ?", [.int(limit)])
            .compactMap(Store.upload)
    }

    /// Recording ids still waiting for their upload: retention keeps them
    /// unless the free-space floor forces them out.
    public func queuedRecordingIDs() throws -> Set<Int64> {
        Set(try connection.query("SELECT recording FROM uploads WHERE state IN ('queued', 'uploading')").compactMap { $0.int(0) })
    }

    public func uploadSummary() throws -> UploadQueueSummary {
        var summary = UploadQueueSummary()
        for row in try connection.query("SELECT state, count(*), coalesce(sum(bytes), 0) FROM uploads GROUP BY state") {
            let count = Int(row.int(1) ?? 0)
            switch UploadRow.State(rawValue: row.text(0) ?? "") {
            case .queued?: summary.queued = count; summary.pendingBytes += row.int(2) ?? 0
            case .uploading?: summary.uploading = count; summary.pendingBytes += row.int(2) ?? 0
            case .done?: summary.done = count
            case .failed?: summary.failed = count
            case nil: break
            }
        }
        summary.partBytes = try connection.query("""
            SELECT coalesce(sum(p.bytes), 0) FROM upload_parts p JOIN uploads u ON u.id = p.upload WHERE u.state = 'uploading'
            """).first?.int(0) ?? 0
        return summary
    }
}
