import CamgateCore

extension Store {
    /// The stored desired state, or nil when none was ever stored. A stored
    /// document that no longer validates is an error, not silently dropped.
    public func desiredState() throws -> StoredDesiredState? {
        guard let row = try connection.query("SELECT document, origin, stored_at FROM desired_state WHERE id = 1").first,
              let document = row.text(0) else { return nil }
        let state = try DesiredState(json: try JSONValue.parse(document), strict: false)
        return StoredDesiredState(state: state, origin: DesiredOrigin(rawValue: row.text(1) ?? "") ?? .local, storedAtMs: row.int(2) ?? 0)
    }

    /// Stores a desired state and brings the cameras table in line with it,
    /// in one transaction. Cameras that left the desired state are marked
    /// `removed` (their recordings stay indexed).
    ///
    /// A camera whose RTSP source or RTMP restream changed gets a
    /// `url_history` row with the origin (a `url_update` records its own,
    /// with its event timestamp: `recordingURLChanges: false`).
    public func saveDesiredState(_ state: DesiredState, origin: DesiredOrigin, recordingURLChanges: Bool = true,
                                 nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            if recordingURLChanges, let text = try connection.query("SELECT document FROM desired_state WHERE id = 1").first?.text(0),
               let json = try? JSONValue.parse(text), let previous = try? DesiredState(json: json, strict: false) {
                for (id, spec) in state.sortedCameras {
                    guard let old = previous.cameras[id] else { continue }
                    let (oldRTSP, newRTSP) = (old.source.rtspURL, spec.source.rtspURL)
                    let (oldRTMP, newRTMP) = (old.restream?.url, spec.restream?.url)
                    guard oldRTSP != newRTSP || oldRTMP != newRTMP else { continue }
                    try connection.query("""
                        INSERT INTO url_history (camera, old_rtsp_url, new_rtsp_url, old_rtmp_url, new_rtmp_url, origin, event_timestamp, changed_at)
                        VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
                        """, [.text(id.rawValue), .optional(oldRTSP.map(Redactor.redactURL)), .optional(newRTSP.map(Redactor.redactURL)),
                              .optional(oldRTMP.map(Redactor.redactURL)), .optional(newRTMP.map(Redactor.redactURL)),
                              .text(origin.urlHistoryOrigin), .integer(nowMs)])
                }
            }
            try connection.query("""
                INSERT INTO desired_state (id, revision, document, origin, stored_at) VALUES (1, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET revision = excluded.revision, document = excluded.document,
                    origin = excluded.origin, stored_at = excluded.stored_at
                """, [.integer(state.revision), .text(state.json.serialized()), .text(origin.rawValue), .integer(nowMs)])
            for (id, spec) in state.sortedCameras {
                try connection.query("""
                    INSERT INTO cameras (id, source_kind, source, record, view, state, state_since) VALUES (?, ?, ?, ?, ?, 'idle', ?)
                    ON CONFLICT(id) DO UPDATE SET source_kind = excluded.source_kind, source = excluded.source,
                        record = excluded.record, view = excluded.view,
                        state = CASE WHEN cameras.state = 'removed' THEN 'idle' ELSE cameras.state END,
                        state_since = CASE WHEN cameras.state = 'removed' THEN excluded.state_since ELSE cameras.state_since END
                    """, [.text(id.rawValue), .text(spec.source.kind), .text(spec.source.redacted), .bool(spec.record), .bool(spec.view), .integer(nowMs)])
            }
            let ids = Set(state.cameras.keys.map(\.rawValue))
            for row in try connection.query("SELECT id FROM cameras WHERE state != 'removed'") {
                guard let id = row.text(0), !ids.contains(id) else { continue }
                try connection.query("UPDATE cameras SET state = 'removed', state_since = ? WHERE id = ?", [.integer(nowMs), .text(id)])
            }
        }
    }

    public func cameras() throws -> [CameraRow] {
        try connection.query("SELECT id, source_kind, source, record, view, state, state_since, last_error, restarts FROM cameras ORDER BY id").compactMap { row in
            guard let id = try? CameraID(row.text(0) ?? "") else { return nil }
            return CameraRow(id: id, sourceKind: row.text(1) ?? "", source: row.text(2) ?? "", record: row.bool(3), view: row.bool(4),
                             state: CameraState(rawValue: row.text(5) ?? "") ?? .idle, stateSinceMs: row.int(6) ?? 0,
                             lastError: row.text(7), restarts: Int(row.int(8) ?? 0))
        }
    }

    /// Records a camera's state. Writes only when something changed, so
    /// that a steady agent does not wear the flash.
    ///
    /// - Parameter lastError: `.some(nil)` clears the error, nil keeps it.
    public func setCameraState(_ id: CameraID, _ state: CameraState, lastError: String?? = nil, countRestart: Bool = false,
                               nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        var sql = "UPDATE cameras SET state = ?1, state_since = CASE WHEN state = ?1 THEN state_since ELSE ?2 END"
        var condition = "state IS NOT ?1"
        var values: [SQLiteValue] = [.text(state.rawValue), .integer(nowMs), .text(id.rawValue)]
        if let lastError {
            sql += ", last_error = ?4"
            condition += " OR last_error IS NOT ?4"
            values.append(.optional(lastError))
        }
        if countRestart {
            sql += ", restarts = restarts + 1"
            condition = "1"
        }
        try connection.query("\(sql) WHERE id = ?3 AND (\(condition))", values)
    }
}
