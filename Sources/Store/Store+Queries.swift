import CamgateCore

/// A page of the recordings index (the local API's listing).
public struct RecordingQuery: Sendable, Equatable {
    public var camera: CameraID?
    /// Segments that end at or after this (ms); open segments always do.
    public var fromMs: Int64?
    /// Segments that start before this (ms).
    public var toMs: Int64?
    /// Only ids greater than this: the previous page's last id.
    public var afterID: Int64?
    public var limit: Int

    public init(camera: CameraID? = nil, fromMs: Int64? = nil, toMs: Int64? = nil, afterID: Int64? = nil, limit: Int = 100) {
        self.camera = camera
        self.fromMs = fromMs
        self.toMs = toMs
        self.afterID = afterID
        self.limit = limit
    }
}

extension Store {
    /// Recordings that overlap `[fromMs, toMs)`, by id (ids grow with
    /// start time per camera), at most `limit`.
    public func recordings(_ query: RecordingQuery) throws -> [RecordingRow] {
        var sql = "SELECT \(Store.recordingColumns) FROM recordings WHERE id > ?"
        var values: [SQLiteValue] = [.integer(query.afterID ?? 0)]
        if let camera = query.camera { sql += " AND camera = ?"; values.append(.text(camera.rawValue)) }
        if let from = query.fromMs { sql += " AND (end_ms IS NULL OR end_ms >= ?)"; values.append(.integer(from)) }
        if let to = query.toMs { sql += " AND start_ms < ?"; values.append(.integer(to)) }
        sql += " ORDER BY id LIMIT ?"
        values.append(.integer(Int64(max(0, query.limit))))
        return try connection.query(sql, values).compactMap(Store.recording)
    }

    public func recording(id: Int64) throws -> RecordingRow? {
        try connection.query("SELECT \(Store.recordingColumns) FROM recordings WHERE id = ?", [.integer(id)]).first.flatMap(Store.recording)
    }

    /// Events, newest first, older than `beforeID` when given.
    public func events(limit: Int, camera: CameraID?, beforeID: Int64?) throws -> [EventRow] {
        var sql = "SELECT id, at, camera, level, kind, message FROM events WHERE id < ?"
        var values: [SQLiteValue] = [.integer(beforeID ?? Int64.max)]
        if let camera { sql += " AND camera = ?"; values.append(.text(camera.rawValue)) }
        sql += " ORDER BY id DESC LIMIT ?"
        values.append(.integer(Int64(max(0, limit))))
        return try connection.query(sql, values).map { row in
            EventRow(id: row.int(0) ?? 0, atMs: row.int(1) ?? 0, camera: row.text(2).flatMap { try? CameraID($0) },
                     level: EventLevel(rawValue: row.text(3) ?? "") ?? .info, kind: row.text(4) ?? "", message: row.text(5) ?? "")
        }
    }
}

extension Store {
    /// The start of each camera's newest segment (ms).
    public func newestSegmentStarts() throws -> [CameraID: Int64] {
        var out: [CameraID: Int64] = [:]
        for row in try connection.query("SELECT camera, max(start_ms) FROM recordings GROUP BY camera") {
            if let id = try? CameraID(row.text(0) ?? ""), let ms = row.int(1) { out[id] = ms }
        }
        return out
    }
}
