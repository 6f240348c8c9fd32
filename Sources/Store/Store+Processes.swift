import CamgateCore

extension Store {
    public func processes() throws -> [ProcessRow] {
        try connection.query("SELECT role, camera, boot_id, pid, start_time, fingerprint, started_at, log_file FROM processes ORDER BY camera, role").compactMap { row in
            guard let role = WorkloadRole(rawValue: row.text(0) ?? ""), let camera = try? CameraID(row.text(1) ?? "") else { return nil }
            return ProcessRow(key: WorkloadKey(camera: camera, role: role),
                              identity: ProcessIdentity(bootID: row.text(2) ?? "", pid: Int32(truncatingIfNeeded: row.int(3) ?? 0),
                                                        startTime: UInt64(row.int(4) ?? 0)),
                              fingerprint: row.text(5) ?? "", startedAtMs: row.int(6) ?? 0, logFile: row.text(7) ?? "")
        }
    }

    /// Records a started (or adopted) child, replacing any row for its key.
    public func saveProcess(_ process: ProcessRow) throws {
        try connection.query("""
            INSERT OR REPLACE INTO processes (role, camera, boot_id, pid, start_time, fingerprint, started_at, log_file)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(process.key.role.rawValue), .text(process.key.camera.rawValue), .text(process.identity.bootID),
                  .integer(Int64(process.identity.pid)), .integer(Int64(process.identity.startTime)), .text(process.fingerprint),
                  .integer(process.startedAtMs), .text(process.logFile)])
    }

    public func deleteProcess(_ key: WorkloadKey) throws {
        try connection.query("DELETE FROM processes WHERE role = ? AND camera = ?", [.text(key.role.rawValue), .text(key.camera.rawValue)])
    }

    /// Deletes the row of this very process only: a successor started
    /// under the same key keeps its row.
    public func deleteProcess(_ key: WorkloadKey, identity: ProcessIdentity) throws {
        try connection.query("DELETE FROM processes WHERE role = ? AND camera = ? AND pid = ? AND start_time = ?",
                             [.text(key.role.rawValue), .text(key.camera.rawValue), .integer(Int64(identity.pid)), .integer(Int64(identity.startTime))])
    }

    /// Records this agent as the owner of the data directory.
    public func registerAgent(_ identity: ProcessIdentity, version: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            INSERT OR REPLACE INTO agent (id, boot_id, pid, start_time, started_at, version, stopped_at) VALUES (1, ?, ?, ?, ?, ?, NULL)
            """, [.text(identity.bootID), .integer(Int64(identity.pid)), .integer(Int64(identity.startTime)), .integer(nowMs), .text(version)])
    }

    public func markAgentStopped(nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("UPDATE agent SET stopped_at = ? WHERE id = 1", [.integer(nowMs)])
    }

    public func agent() throws -> AgentRow? {
        guard let row = try connection.query("SELECT boot_id, pid, start_time, started_at, version, stopped_at FROM agent WHERE id = 1").first else { return nil }
        return AgentRow(identity: ProcessIdentity(bootID: row.text(0) ?? "", pid: Int32(truncatingIfNeeded: row.int(1) ?? 0), startTime: UInt64(row.int(2) ?? 0)),
                        startedAtMs: row.int(3) ?? 0, version: row.text(4) ?? "", stoppedAtMs: row.int(5))
    }
}

extension Store {
    /// The cached encoder probe of this boot, when its hardware fingerprint matches.
    public func cachedEncoderProbe(bootID: String) throws -> (fingerprint: String, encoders: String)? {
        guard let row = try connection.query("SELECT fingerprint, encoders FROM hardware_probe WHERE id = 1 AND boot_id = ?", [.text(bootID)]).first,
              let fingerprint = row.text(0), let encoders = row.text(1) else { return nil }
        return (fingerprint, encoders)
    }

    /// Caches an encoder probe (its trial encodes are not repeated on this boot).
    public func saveEncoderProbe(bootID: String, fingerprint: String, encoders: String, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("""
            INSERT INTO hardware_probe (id, boot_id, fingerprint, encoders, probed_at) VALUES (1, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET boot_id = excluded.boot_id, fingerprint = excluded.fingerprint,
                encoders = excluded.encoders, probed_at = excluded.probed_at
            """, [.text(bootID), .text(fingerprint), .text(encoders), .integer(nowMs)])
    }
}

/// What the agent last knew of MediaMTX, for the CLI.
public struct MediaMTXStateRow: Sendable, Equatable {
    public var config: String
    public var apiAddress: String
    public var rtspPort: Int
    public var hlsPort: Int
    public var webrtcPort: Int
    public var apiUp: Bool
    public var synced: Bool
    public var reason: String?
    public var updatedAtMs: Int64

    public init(config: String, apiAddress: String, rtspPort: Int, hlsPort: Int, webrtcPort: Int, apiUp: Bool, synced: Bool, reason: String?, updatedAtMs: Int64) {
        self.config = config
        self.apiAddress = apiAddress
        self.rtspPort = rtspPort
        self.hlsPort = hlsPort
        self.webrtcPort = webrtcPort
        self.apiUp = apiUp
        self.synced = synced
        self.reason = reason
        self.updatedAtMs = updatedAtMs
    }
}

extension Store {
    /// A `cameras` row for one of the agent's own workloads (MediaMTX), so
    /// that its process can be recorded and adopted like any other.
    public func ensureSystemCamera(_ id: CameraID, nowMs: Int64 = WallClock.nowMilliseconds()) throws {
        try connection.query("INSERT OR IGNORE INTO cameras (id, source_kind, source, record, view, state, state_since) VALUES (?, 'system', 'agent', 0, 0, 'idle', ?)",
                             [.text(id.rawValue), .integer(nowMs)])
    }

    /// Records MediaMTX's state (only when it changed).
    /// MediaMTX is no longer configured: what the agent knew of it goes.
    public func clearMediaMTXState() throws {
        try connection.query("DELETE FROM mediamtx_state")
    }

    public func setMediaMTXState(_ row: MediaMTXStateRow) throws {
        if let current = try mediamtxState(), current.config == row.config, current.apiAddress == row.apiAddress, current.rtspPort == row.rtspPort,
           current.hlsPort == row.hlsPort, current.webrtcPort == row.webrtcPort, current.apiUp == row.apiUp, current.synced == row.synced,
           current.reason == row.reason {
            return
        }
        try connection.query("""
            INSERT OR REPLACE INTO mediamtx_state (id, config, api_address, rtsp_port, hls_port, webrtc_port, api_up, synced, reason, updated_at)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(row.config), .text(row.apiAddress), .int(row.rtspPort), .int(row.hlsPort), .int(row.webrtcPort), .bool(row.apiUp),
                  .bool(row.synced), .optional(row.reason), .integer(row.updatedAtMs)])
    }

    public func mediamtxState() throws -> MediaMTXStateRow? {
        guard let row = try connection.query("SELECT config, api_address, rtsp_port, hls_port, webrtc_port, api_up, synced, reason, updated_at FROM mediamtx_state WHERE id = 1").first else { return nil }
        return MediaMTXStateRow(config: row.text(0) ?? "", apiAddress: row.text(1) ?? "", rtspPort: Int(row.int(2) ?? 8554), hlsPort: Int(row.int(3) ?? 8888),
                                webrtcPort: Int(row.int(4) ?? 8889), apiUp: row.bool(5), synced: row.bool(6), reason: row.text(7), updatedAtMs: row.int(8) ?? 0)
    }
}
