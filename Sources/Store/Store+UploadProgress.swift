import CamgateCore

/// An upload's progress as it happens: every step is written before the
/// next one starts, so that an agent killed at any moment resumes with
/// the parts S3 has not acknowledged, and no segment is reported twice.
extension Store {
    /// The file's size and sha256, once computed (they go in every target request).
    public func setUploadDigest(id: Int64, bytes: Int64, sha256: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("UPDATE uploads SET bytes = ?, sha256 = ?, updated_at = ? WHERE id = ?",
                             [.integer(bytes), .text(sha256), .integer(nowMs), .integer(id)])
    }

    /// The upload started, or went on with a new target: the key and, for a
    /// multipart upload, its id and part size. Stored parts of another
    /// upload id (or of none) are dropped: they belong to an upload S3 no
    /// longer continues.
    public func startUpload(id: Int64, objectKey: String, uploadID: String?, partSize: Int64?, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            try connection.query("DELETE FROM upload_parts WHERE upload = ?1 AND (SELECT upload_id IS NOT ?2 FROM uploads WHERE id = ?1)",
                                 [.integer(id), .optional(uploadID)])
            try connection.query("""
                UPDATE uploads SET state = 'uploading', object_key = ?, upload_id = ?, part_size = ?, updated_at = ?
                WHERE id = ? AND state IN ('queued', 'uploading')
                """, [.text(objectKey), .optional(uploadID), .optional(partSize), .integer(nowMs), .integer(id)])
        }
    }

    /// A part S3 acknowledged, with the ETag as S3 sent it.
    public func storePart(upload id: Int64, number: Int, etag: String, bytes: Int64, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            INSERT INTO upload_parts (upload, number, etag, bytes, completed_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(upload, number) DO UPDATE SET etag = excluded.etag, bytes = excluded.bytes, completed_at = excluded.completed_at
            """, [.integer(id), .int(number), .text(etag), .integer(bytes), .integer(nowMs)])
    }

    /// Part number → stored ETag.
    public func storedParts(upload id: Int64) throws -> [Int: String] {
        var parts: [Int: String] = [:]
        for row in try connection.query("SELECT number, etag FROM upload_parts WHERE upload = ? ORDER BY number", [.integer(id)]) {
            if let number = row.int(0), let etag = row.text(1) { parts[Int(number)] = etag }
        }
        return parts
    }

    /// The multipart upload is gone (404 NoSuchUpload, a refused
    /// Complete): its parts are forgotten and the next attempt starts over.
    public func forgetMultipart(upload id: Int64, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            try connection.query("DELETE FROM upload_parts WHERE upload = ?", [.integer(id)])
            try connection.query("UPDATE uploads SET upload_id = NULL, part_size = NULL, updated_at = ? WHERE id = ?", [.integer(nowMs), .integer(id)])
        }
    }

    /// An attempt failed and will be retried after its backoff.
    ///
    /// - Parameter countAttempt: false when the endpoint did not answer at
    ///   all (the whole link is held off; this segment did nothing wrong
    ///   and keeps its place in the order).
    public func noteUploadFailure(id: Int64, error: String, nextAttemptMs: Int64?, countAttempt: Bool = true,
                                  nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        if countAttempt {
            try connection.query("""
                UPDATE uploads SET attempts = attempts + 1, last_error = ?, last_failure_at = ?, next_attempt_at = ?, updated_at = ?
                WHERE id = ? AND state IN ('queued', 'uploading')
                """, [.text(Redactor.redact(error)), .integer(nowMs), .optional(nextAttemptMs), .integer(nowMs), .integer(id)])
        } else {
            try connection.query("UPDATE uploads SET last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'uploading')",
                                 [.text(Redactor.redact(error)), .optional(nextAttemptMs), .integer(nowMs), .integer(id)])
        }
    }

    /// Refused for good: not retried until a command names it again.
    public func failUpload(id: Int64, reason: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            try connection.query("DELETE FROM upload_parts WHERE upload = ?", [.integer(id)])
            try connection.query("""
                UPDATE uploads SET state = 'failed', last_error = ?, upload_id = NULL, part_size = NULL, next_attempt_at = NULL, updated_at = ?
                WHERE id = ? AND state IN ('queued', 'uploading')
                """, [.text(Redactor.redact(reason)), .integer(nowMs), .integer(id)])
        }
    }

    /// The object store has the segment: marked done with the object's
    /// ETag and, in the same transaction, its `uploaded` report item queued
    /// (cloud mode). Returns false when it was not pending (nothing queued).
    @discardableResult
    public func finishUpload(id: Int64, objectKey: String, etag: String?, report: JSONValue?, nowMs: Int64 = WallClock.nowMilliseconds()) throws -> Bool {
        try connection.transaction { () throws(SQLiteError) -> Bool in
            try connection.query("""
                UPDATE uploads SET state = 'done', object_key = ?, etag = ?, uploaded_at = ?, updated_at = ?, last_error = NULL,
                    next_attempt_at = NULL WHERE id = ? AND state IN ('queued', 'uploading')
                """, [.text(objectKey), .optional(etag), .integer(nowMs), .integer(nowMs), .integer(id)])
            guard connection.changes == 1 else { return false }
            try connection.query("DELETE FROM upload_parts WHERE upload = ?", [.integer(id)])
            if let report {
                try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES ('uploaded', ?, ?)", [.text(report.serialized()), .integer(nowMs)])
            }
            return true
        }
    }

    /// Deletes recordings (retention) and, in the same transaction, queues
    /// a `recording_lost` item for each one that was still waiting for its
    /// upload (`lost`: recording id → the item's JSON). The queue rows go
    /// with their recordings.
    public func deleteRecordings(ids: [Int64], lost: [Int64: JSONValue], report: Bool, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        guard !ids.isEmpty else { return }
        try connection.transaction { () throws(SQLiteError) in
            if report {
                for id in ids.sorted() {
                    guard let item = lost[id] else { continue }
                    try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES ('recording_lost', ?, ?)",
                                         [.text(item.serialized()), .integer(nowMs)])
                }
            }
            let statement = try connection.prepare("DELETE FROM recordings WHERE id = ?")
            for id in ids {
                try statement.bind([.integer(id)])
                _ = try statement.step()
            }
        }
    }
}
