import CamgateCore

extension Store {
    static let recordingColumns = "id, camera, file, start_ms, end_ms, duration, bytes, status"

    static func recording(_ row: Row) -> RecordingRow? {
        guard let camera = try? CameraID(row.text(1) ?? ""), let status = RecordingStatus(rawValue: row.text(7) ?? "") else { return nil }
        return RecordingRow(id: row.int(0) ?? 0, camera: camera, file: row.text(2) ?? "", startMs: row.int(3) ?? 0,
                            endMs: row.int(4), duration: row.double(5), bytes: row.int(6) ?? 0, status: status)
    }

    /// Records the segment being written. A no-op when it is already known.
    public func noteRecordingStarted(camera: CameraID, file: String, startMs: Int64) throws {
        try record([.started(camera: camera, file: file, startMs: startMs)])
    }

    /// Records a finished segment with its real duration and size. A
    /// segment already indexed as complete is left as it is.
    public func noteRecordingFinished(camera: CameraID, file: String, startMs: Int64, duration: Double, bytes: Int64) throws {
        try record([.finished(camera: camera, file: file, startMs: startMs, duration: duration, bytes: bytes)])
    }

    /// Applies segment changes in one transaction: a rotation (segment N
    /// finished, N+1 started) costs one commit, not two.
    ///
    /// - Parameter report: also queue a `recording` report per finished
    ///   segment (cloud mode), in the same transaction.
    /// - Parameter upload: cameras whose finished segments are queued for
    ///   upload (`upload.mode: all`), in the same transaction.
    /// - Parameter motionUpload: `upload.mode: motion`: finished segments
    ///   that overlap a motion event widened by this window are queued.
    /// - Returns: how many segments `motionUpload` queued.
    @discardableResult
    public func record(_ changes: [RecordingChange], report: Bool = false, upload: Set<CameraID> = [],
                       motionUpload: MotionUploadWindow? = nil, nowMs: Int64 = WallClock.nowMilliseconds()) throws -> Int {
        guard !changes.isEmpty else { return 0 }
        return try connection.transaction { () throws(SQLiteError) -> Int in
            var finished: [CameraID: Int64] = [:]
            for change in changes {
                switch change {
                case .started(let camera, let file, let startMs):
                    try connection.query("INSERT INTO recordings (camera, file, start_ms, status) VALUES (?, ?, ?, 'recording') ON CONFLICT(file) DO NOTHING",
                                         [.text(camera.rawValue), .text(file), .integer(startMs)])
                case .finished(let camera, let file, let startMs, let duration, let bytes):
                    let endMs = startMs + Int64((duration * 1000).rounded())
                    try connection.query("""
                        INSERT INTO recordings (camera, file, start_ms, end_ms, duration, bytes, status) VALUES (?, ?, ?, ?, ?, ?, 'complete')
                        ON CONFLICT(file) DO UPDATE SET end_ms = excluded.end_ms, duration = excluded.duration, bytes = excluded.bytes,
                            status = 'complete' WHERE recordings.status = 'recording'
                        """, [.text(camera.rawValue), .text(file), .integer(startMs), .integer(endMs), .real(duration), .integer(bytes)])
                    let finishedNow = connection.changes == 1
                    if finishedNow { finished[camera] = min(finished[camera] ?? startMs, startMs) }
                    if finishedNow, upload.contains(camera),
                       let id = try connection.query("SELECT id FROM recordings WHERE file = ?", [.text(file)]).first?.int(0) {
                        try queueOne(recording: id, nowMs: nowMs)
                    }
                    if report, finishedNow {
                        let item = JSONValue.object(["kind": .string("recording"), "camera": .string(camera.rawValue),
                                                     "start": .string(Timestamp.rfc3339(milliseconds: startMs)),
                                                     "end": .string(Timestamp.rfc3339(milliseconds: endMs)),
                                                     "duration": .double(duration), "bytes": .int(bytes), "file": .string(file)])
                        try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES ('recording', ?, ?)",
                                             [.text(item.serialized()), .integer(nowMs)])
                    }
                }
            }
            guard let motionUpload else { return 0 }
            var queued = 0
            for (camera, startMs) in finished {
                queued += try queueMotionSegments(camera: camera, window: motionUpload, fromMs: startMs, nowMs: nowMs)
            }
            return queued
        }
    }

    /// Recordings, oldest first, optionally of one camera.
    public func recordings(camera: CameraID? = nil) throws -> [RecordingRow] {
        let rows: [Row]
        if let camera {
            rows = try connection.query("SELECT \(Store.recordingColumns) FROM recordings WHERE camera = ? ORDER BY start_ms, id", [.text(camera.rawValue)])
        } else {
            rows = try connection.query("SELECT \(Store.recordingColumns) FROM recordings ORDER BY start_ms, camera, id")
        }
        return rows.compactMap(Store.recording)
    }

    /// Segments indexed as being written.
    public func openRecordings() throws -> [RecordingRow] {
        try connection.query("SELECT \(Store.recordingColumns) FROM recordings WHERE status = 'recording' ORDER BY start_ms").compactMap(Store.recording)
    }

    public func recording(file: String) throws -> RecordingRow? {
        try connection.query("SELECT \(Store.recordingColumns) FROM recordings WHERE file = ?", [.text(file)]).first.flatMap(Store.recording)
    }

    /// Finished segments, the candidates for retention.
    public func finishedRecordings() throws -> [RetentionPlanner.Segment] {
        try connection.query("SELECT \(Store.recordingColumns) FROM recordings WHERE status = 'complete' ORDER BY start_ms").compactMap { row in
            Store.recording(row).map { RetentionPlanner.Segment(id: $0.id, camera: $0.camera, file: $0.file, startMs: $0.startMs, endMs: $0.endMs ?? $0.startMs, bytes: $0.bytes) }
        }
    }

    public func deleteRecordings(ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try connection.transaction { () throws(SQLiteError) in
            let statement = try connection.prepare("DELETE FROM recordings WHERE id = ?")
            for id in ids {
                try statement.bind([.integer(id)])
                _ = try statement.step()
            }
        }
    }

    /// Total size of indexed recordings.
    public func recordingBytes() throws -> Int64 {
        try connection.query("SELECT coalesce(sum(bytes), 0) FROM recordings").first?.int(0) ?? 0
    }
}

extension Store {
    /// Appends to the event log (the `stream_logs` of seeds/001). Messages
    /// are redacted before they are stored.
    public func logEvent(_ level: EventLevel, _ kind: String, camera: CameraID? = nil, _ message: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("INSERT INTO events (at, camera, level, kind, message) VALUES (?, ?, ?, ?, ?)",
                             [.integer(nowMs), .optional(camera?.rawValue), .text(level.rawValue), .text(kind), .text(Redactor.redact(message))])
    }

    /// The most recent events, newest last.
    public func events(limit: Int = 50, camera: CameraID? = nil) throws -> [EventRow] {
        try events(limit: limit, camera: camera, beforeID: nil).reversed()
    }

    /// Keeps the event log bounded.
    public func pruneEvents(keep: Int64 = Store.eventLogLimit) throws {
        try connection.query("DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?", [.integer(keep)])
    }
}
