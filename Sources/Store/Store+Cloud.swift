import CamgateCore

/// A stored SSE event, exactly as dispatched.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var type: String
    public var data: String
    public var receivedAtMs: Int64
    public var outcome: String
}

/// A stored cloud command.
public struct StoredCommand: Sendable, Equatable {
    public enum State: String, Sendable { case received, running, done }

    public var id: String
    public var type: String
    public var camera: CameraID?
    public var args: String
    public var expiresAtMs: Int64?
    public var receivedAtMs: Int64
    public var state: State
    public var status: String?
    public var detail: String?
}

/// A command to record with the event that carried it.
public struct NewCommand: Sendable, Equatable {
    public var id: String
    public var type: String
    public var camera: CameraID?
    public var args: String
    public var expiresAtMs: Int64?

    public init(id: String, type: String, camera: CameraID?, args: String, expiresAtMs: Int64?) {
        self.id = id
        self.type = type
        self.camera = camera
        self.args = args
        self.expiresAtMs = expiresAtMs
    }
}

public struct CloudStateRow: Sendable, Equatable {
    public var endpoint: String
    public var deviceID: String
    public var resumeID: String?
    public var link: String
    public var sinceMs: Int64
    public var lastError: String?
    public var credentialRejected: Bool
}

extension Store {
    public static let eventInboxLimit: Int64 = 10_000

    // MARK: - Inbox

    /// Stores a dispatched event before anything acts on it, and makes its
    /// last event id the resume point, as WHATWG's event-stream rules do:
    /// whatever the server last sent, even an older id, and an empty id
    /// clears it (the next connection sends no `Last-Event-ID`).
    ///
    /// - Parameter command: a command the event carries: recorded in the
    ///   same transaction (a crash can no longer fall between the two), and
    ///   `commandIsNew` says whether its id was seen before.
    /// - Parameter movesResumePoint: false for a record whose id is not
    ///   known (an oversized event that announced none).
    public func storeEvent(id: String, type: String, data: String, command: NewCommand? = nil, movesResumePoint: Bool = true,
                           nowMs: Int64 = WallClock.nowMilliseconds()) throws -> (seq: Int64, commandIsNew: Bool) {
        try connection.transaction { () throws(SQLiteError) -> (Int64, Bool) in
            try connection.query("INSERT INTO sse_events (id, type, data, received_at) VALUES (?, ?, ?, ?)",
                                 [.text(id), .text(type), .text(data), .integer(nowMs)])
            let seq = connection.lastInsertRowID
            var isNew = false
            if let command {
                try connection.query("INSERT OR IGNORE INTO commands (id, type, camera, args, expires_at, received_at, state) VALUES (?, ?, ?, ?, ?, ?, 'received')",
                                     [.text(command.id), .text(command.type), .optional(command.camera?.rawValue), .text(command.args),
                                      .optional(command.expiresAtMs), .integer(nowMs)])
                isNew = connection.changes == 1
            }
            if movesResumePoint { try setResumePoint(id) }
            return (seq, isNew)
        }
    }

    /// Stored events nothing acted on yet (the agent stopped in between).
    public func unhandledEvents() throws -> [StoredEvent] {
        try connection.query("SELECT seq, id, type, data, received_at, outcome FROM sse_events WHERE outcome = 'received' ORDER BY seq").map(Store.storedEvent)
    }

    /// The last event id the parser committed without an event (an `id:`
    /// line with no data) becomes the resume point all the same.
    public func commitResumeID(_ id: String) throws {
        try setResumePoint(id)
    }

    /// The one rule for the resume point (WHATWG): it is the last event id,
    /// whatever it holds (non-ASCII included, sent back as UTF-8); empty
    /// means none. An id with NUL is never a last event id (the parser
    /// ignores it), nor one with CR or LF (a line cannot hold them): such a
    /// value leaves the resume point as it is.
    private func setResumePoint(_ id: String) throws(SQLiteError) {
        guard Store.canBeLastEventID(id) else { return }
        try connection.query("UPDATE cloud_state SET resume_id = ? WHERE id = 1", [id.isEmpty ? .null : .text(id)])
    }

    static func canBeLastEventID(_ id: String) -> Bool {
        !id.utf8.contains { $0 == 0 || $0 == 0x0A || $0 == 0x0D }
    }

    public func setEventOutcome(seq: Int64, _ outcome: String) throws {
        try connection.query("UPDATE sse_events SET outcome = ? WHERE seq = ?", [.text(outcome), .integer(seq)])
    }

    /// Stored events in arrival order.
    public func storedEvents(limit: Int = Int(Store.eventInboxLimit)) throws -> [StoredEvent] {
        try connection.query("SELECT seq, id, type, data, received_at, outcome FROM (SELECT * FROM sse_events ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                             [.int(limit)]).map(Store.storedEvent)
    }

    private static func storedEvent(_ row: Row) -> StoredEvent {
        StoredEvent(seq: row.int(0) ?? 0, id: row.text(1) ?? "", type: row.text(2) ?? "", data: row.text(3) ?? "",
                    receivedAtMs: row.int(4) ?? 0, outcome: row.text(5) ?? "")
    }

    public func pruneInbox(keep: Int64 = Store.eventInboxLimit) throws {
        try connection.query("DELETE FROM sse_events WHERE seq <= (SELECT max(seq) FROM sse_events) - ?", [.integer(keep)])
    }

    // MARK: - Link state

    /// Records the configured endpoint (kept across restarts with its resume id).
    public func configureCloud(endpoint: String, deviceID: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            INSERT INTO cloud_state (id, endpoint, device_id, link, since) VALUES (1, ?, ?, 'connecting', ?)
            ON CONFLICT(id) DO UPDATE SET
                resume_id = CASE WHEN endpoint = excluded.endpoint AND device_id = excluded.device_id THEN resume_id ELSE NULL END,
                endpoint = excluded.endpoint, device_id = excluded.device_id
            """, [.text(endpoint), .text(deviceID), .integer(nowMs)])
    }

    public func setLink(_ link: String, error: String?, credentialRejected: Bool, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            UPDATE cloud_state SET since = CASE WHEN link = ?1 THEN since ELSE ?2 END, link = ?1,
                last_error = CASE WHEN ?1 = 'connected' THEN NULL ELSE coalesce(?3, last_error) END, credential_rejected = ?4
            WHERE id = 1 AND (link IS NOT ?1 OR credential_rejected IS NOT ?4
                OR last_error IS NOT (CASE WHEN ?1 = 'connected' THEN NULL ELSE coalesce(?3, last_error) END))
            """, [.text(link), .integer(nowMs), .optional(error), .bool(credentialRejected)])
    }

    public func cloudState() throws -> CloudStateRow? {
        guard let row = try connection.query("SELECT endpoint, device_id, resume_id, link, since, last_error, credential_rejected FROM cloud_state WHERE id = 1").first else { return nil }
        return CloudStateRow(endpoint: row.text(0) ?? "", deviceID: row.text(1) ?? "", resumeID: row.text(2), link: row.text(3) ?? "",
                             sinceMs: row.int(4) ?? 0, lastError: row.text(5), credentialRejected: row.bool(6))
    }

    public func resumeID() throws -> String? {
        try connection.query("SELECT resume_id FROM cloud_state WHERE id = 1").first?.text(0)
    }

    // MARK: - Commands

    /// Marks a command as started: after a crash it is not run again.
    public func markCommandRunning(_ id: String) throws {
        try connection.query("UPDATE commands SET state = 'running' WHERE id = ? AND state = 'received'", [.text(id)])
    }

    /// Finishes a command and queues its ack, in one transaction.
    public func finishCommand(_ id: String, status: String, detail: String, ack: JSONValue, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            try connection.query("UPDATE commands SET state = 'done', status = ?, detail = ?, finished_at = ? WHERE id = ? AND state != 'done'",
                                 [.text(status), .text(detail), .integer(nowMs), .text(id)])
            guard connection.changes == 1 else { return }
            try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES ('ack', ?, ?)", [.text(ack.serialized()), .integer(nowMs)])
        }
    }

    public func command(_ id: String) throws -> StoredCommand? {
        try connection.query("SELECT id, type, camera, args, expires_at, received_at, state, status, detail FROM commands WHERE id = ?", [.text(id)])
            .first.map(Store.command)
    }

    /// Commands received but not finished (to resume after a restart).
    public func unfinishedCommands() throws -> [StoredCommand] {
        try connection.query("SELECT id, type, camera, args, expires_at, received_at, state, status, detail FROM commands WHERE state != 'done' ORDER BY received_at, rowid")
            .map(Store.command)
    }

    private static func command(_ row: Row) -> StoredCommand {
        StoredCommand(id: row.text(0) ?? "", type: row.text(1) ?? "", camera: row.text(2).flatMap { try? CameraID($0) }, args: row.text(3) ?? "{}",
                      expiresAtMs: row.int(4), receivedAtMs: row.int(5) ?? 0, state: StoredCommand.State(rawValue: row.text(6) ?? "") ?? .done,
                      status: row.text(7), detail: row.text(8))
    }

    // MARK: - Outbox

    /// Queues a report. A `state` report replaces unsent older ones; acks and
    /// recordings are never dropped.
    public func enqueueReport(kind: String, payload: JSONValue, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.transaction { () throws(SQLiteError) in
            if kind == "state" { try connection.query("DELETE FROM outbox WHERE kind = 'state'") }
            try connection.query("INSERT INTO outbox (kind, payload, created_at) VALUES (?, ?, ?)", [.text(kind), .text(payload.serialized()), .integer(nowMs)])
        }
    }

    public func pendingReports(limit: Int) throws -> [(seq: Int64, payload: String)] {
        try connection.query("SELECT seq, payload FROM outbox ORDER BY seq LIMIT ?", [.int(limit)]).map { ($0.int(0) ?? 0, $0.text(1) ?? "{}") }
    }

    public func acknowledgeReports(upTo seq: Int64) throws {
        try connection.query("DELETE FROM outbox WHERE seq <= ?", [.integer(seq)])
    }

    public func outboxDepth() throws -> Int {
        Int(try connection.query("SELECT count(*) FROM outbox").first?.int(0) ?? 0)
    }

    // MARK: - URL history

    public func recordURLChange(camera: CameraID, oldRTSP: String?, newRTSP: String?, oldRTMP: String?, newRTMP: String?,
                                origin: String, eventTimestampMs: Int64?, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            INSERT INTO url_history (camera, old_rtsp_url, new_rtsp_url, old_rtmp_url, new_rtmp_url, origin, event_timestamp, changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(camera.rawValue), .optional(oldRTSP.map(Redactor.redactURL)), .optional(newRTSP.map(Redactor.redactURL)),
                  .optional(oldRTMP.map(Redactor.redactURL)), .optional(newRTMP.map(Redactor.redactURL)), .text(origin),
                  .optional(eventTimestampMs), .integer(nowMs)])
    }

    /// The newest `timestamp` of an applied url_update for a camera.
    public func lastURLUpdateTimestamp(camera: CameraID) throws -> Int64? {
        try connection.query("SELECT max(event_timestamp) FROM url_history WHERE camera = ?", [.text(camera.rawValue)]).first?.int(0)
    }

    public func urlHistoryCount(camera: CameraID) throws -> Int {
        Int(try connection.query("SELECT count(*) FROM url_history WHERE camera = ?", [.text(camera.rawValue)]).first?.int(0) ?? 0)
    }
}
