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
