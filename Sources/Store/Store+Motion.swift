import CamgateCore

/// A motion event as stored: open (no end yet) while it lasts.
public struct MotionEventRow: Sendable, Equatable {
    public var id: Int64
    public var camera: CameraID
    public var startMs: Int64
    /// The last sample over the threshold so far (the end once closed).
    public var lastMs: Int64
    public var endMs: Int64?
    /// The largest share of the watched area that changed, in percent.
    public var peak: Double
    /// The recorded segments the event overlaps (oldest first).
    public var segments: [RecordingRow]
}

extension Store {
    // MARK: - Motion (issue 13)

    /// The stored cursor of a camera's motion file (nil before the first batch).
    public func motionCursor(_ camera: CameraID) throws -> MotionCursor? {
        guard let row = try connection.query("SELECT file_offset, last_stamp, phase, phase_start, phase_last, phase_peak FROM motion_cursor WHERE camera = ?",
                                             [.text(camera.rawValue)]).first else { return nil }
        let (start, last, peak) = (row.int(3) ?? 0, row.int(4) ?? 0, row.double(5) ?? 0)
        let phase: MotionTracker.Phase = switch row.text(2) ?? "" {
        case "pending": .pending(start: start, last: last, peak: peak)
        case "active": .active(start: start, last: last, peak: peak)
        default: .idle
        }
        return MotionCursor(offset: row.int(0) ?? 0, lastStampMs: row.int(1) ?? 0, phase: phase)
    }

    /// Applies one batch of a camera's motion file in one transaction: the
    /// events announced (inserted), ended (closed) and still open (last
    /// sample, peak), their `motion` reports, and the cursor past the
    /// samples they came from. A batch read again after a crash finds its
    /// events already there (same camera and start) and changes nothing twice.
    ///
    /// - Parameter report: queue a `motion` outbox item at each start and end (cloud mode).
    /// - Parameter upload: `upload.mode: motion`: queue the finished
    ///   segments the batch's events (with this window) reach.
    /// - Returns: how many segments `upload` queued.
    @discardableResult
    public func applyMotion(camera: CameraID, _ batch: MotionFeed.Batch, report: Bool, upload: MotionUploadWindow? = nil,
                            nowMs: Int64 = WallClock.nowMilliseconds()) throws -> Int {
        try connection.transaction { () throws(SQLiteError) -> Int in
            for transition in batch.transitions {
                switch transition {
                case .started(let start, let peak):
                    try connection.query("INSERT INTO motion_events (camera, start_ms, last_ms, peak) VALUES (?, ?, ?, ?) ON CONFLICT(camera, start_ms) DO NOTHING",
                                         [.text(camera.rawValue), .integer(start), .integer(start), .real(peak)])
                    guard connection.changes == 1 else { continue }
                    if report { try queueMotionReport(camera: camera, phase: "start", start: start, end: nil, peak: peak, nowMs: nowMs) }
                case .ended(let start, let end, let peak):
                    try connection.query("UPDATE motion_events SET last_ms = ?, end_ms = ?, peak = ? WHERE camera = ? AND start_ms = ? AND end_ms IS NULL",
                                         [.integer(end), .integer(end), .real(peak), .text(camera.rawValue), .integer(start)])
                    guard connection.changes == 1 else { continue }
                    if report { try queueMotionReport(camera: camera, phase: "end", start: start, end: end, peak: peak, nowMs: nowMs) }
                }
            }
            if case .active(let start, let last, let peak) = batch.cursor.phase {
                try connection.query("UPDATE motion_events SET last_ms = ?, peak = ? WHERE camera = ? AND start_ms = ? AND end_ms IS NULL",
                                     [.integer(last), .real(peak), .text(camera.rawValue), .integer(start)])
            }
            try saveMotionCursor(camera, batch.cursor, nowMs: nowMs)
            guard let upload, let earliest = batch.earliestEventStartMs else { return 0 }
            return try queueMotionSegments(camera: camera, window: upload, fromMs: earliest - upload.preMs, nowMs: nowMs)
        }
    }

    /// Sets a camera's cursor to the start of a new motion file (its
    /// recorder is replaced); the tracker's state and the last stamp stay.
    public func rewindMotionCursor(_ camera: CameraID, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("UPDATE motion_cursor SET file_offset = 0, updated_at = ? WHERE camera = ?", [.integer(nowMs), .text(camera.rawValue)])
    }

    private func saveMotionCursor(_ camera: CameraID, _ cursor: MotionCursor, nowMs: Int64) throws(SQLiteError) {
        let (name, start, last, peak): (String, Int64?, Int64?, Double?) = switch cursor.phase {
        case .idle: ("idle", nil, nil, nil)
        case .pending(let s, let l, let p): ("pending", s, l, p)
        case .active(let s, let l, let p): ("active", s, l, p)
        }
        try connection.query("""
            INSERT INTO motion_cursor (camera, file_offset, last_stamp, phase, phase_start, phase_last, phase_peak, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(camera) DO UPDATE SET file_offset = excluded.file_offset, last_stamp = excluded.last_stamp, phase = excluded.phase,
                phase_start = excluded.phase_start, phase_last = excluded.phase_last, phase_peak = excluded.phase_peak, updated_at = excluded.updated_at
            """, [.text(camera.rawValue), .integer(cursor.offset), .integer(cursor.lastStampMs), .text(name), .optional(start), .optional(last),
                  .optional(peak), .integer(nowMs)])
    }

    /// `{"kind": "motion", "phase": "start"|"end", …}` (docs/protocol.md).
    private func queueMotionReport(camera: CameraID, phase: String, start: Int64, end: Int64?, peak: Double, nowMs: Int64) throws(SQLiteError) {
        let item = JSONValue.object([
            "kind": .string("motion"), "camera": .string(camera.rawValue), "phase": .string(phase),
            "start": .string(Timestamp.rfc3339(milliseconds: start)),
            "end": end.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
            "peak": .double((peak * 100).rounded() / 100), "at": .string(Timestamp.rfc3339(milliseconds: nowMs)),
        ])
        try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES ('motion', ?, ?)", [.text(item.serialized()), .integer(nowMs)])
    }

    /// Motion events, newest first, with the segments each overlaps.
    ///
    /// - Parameter sinceMs: only events that end (or are open) at or after this time.
    public func motionEvents(camera: CameraID? = nil, sinceMs: Int64? = nil, limit: Int = 100) throws -> [MotionEventRow] {
        let rows = try connection.query("""
            SELECT id, camera, start_ms, last_ms, end_ms, peak FROM motion_events
            WHERE (?1 IS NULL OR camera = ?1) AND (?2 IS NULL OR coalesce(end_ms, last_ms) >= ?2 OR end_ms IS NULL)
            ORDER BY start_ms DESC, id DESC LIMIT ?3
            """, [.optional(camera?.rawValue), .optional(sinceMs), .int(limit)])
        var events: [MotionEventRow] = []
        for row in rows {
            guard let camera = try? CameraID(row.text(1) ?? "") else { continue }
            let start = row.int(2) ?? 0, last = row.int(3) ?? start
            let segments = try connection.query("""
                SELECT \(Store.recordingColumns) FROM recordings
                WHERE camera = ? AND start_ms <= ? AND (end_ms IS NULL OR end_ms >= ?) ORDER BY start_ms
                """, [.text(camera.rawValue), .integer(last), .integer(start)]).compactMap(Store.recording)
            events.append(MotionEventRow(id: row.int(0) ?? 0, camera: camera, startMs: start, lastMs: last, endMs: row.int(4),
                                         peak: row.double(5) ?? 0, segments: segments))
        }
        return events
    }
}
