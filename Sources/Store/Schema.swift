import CamgateCore

/// The database schema as named migrations, applied in order, each in its
/// own transaction, recorded in `schema_migrations`. Invariants live in the
/// schema (checks, foreign keys, uniqueness): trust SQLite more than
/// ourselves.
enum Schema {
    struct Migration {
        var name: String
        var sql: String
    }

    static let migrations: [Migration] = [
        Migration(name: "0001_initial", sql: """
        CREATE TABLE desired_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            revision INTEGER NOT NULL CHECK (revision >= 0),
            document TEXT NOT NULL,
            origin TEXT NOT NULL CHECK (origin IN ('config', 'cloud', 'local', 'demo')),
            stored_at INTEGER NOT NULL
        );
        CREATE TABLE cameras (
            id TEXT PRIMARY KEY,
            source_kind TEXT NOT NULL,
            source TEXT NOT NULL,
            record INTEGER NOT NULL CHECK (record IN (0, 1)),
            view INTEGER NOT NULL CHECK (view IN (0, 1)),
            state TEXT NOT NULL CHECK (state IN ('idle', 'starting', 'recording', 'backoff', 'failed', 'offline', 'removed')),
            state_since INTEGER NOT NULL,
            last_error TEXT,
            restarts INTEGER NOT NULL DEFAULT 0 CHECK (restarts >= 0)
        );
        CREATE TABLE processes (
            role TEXT NOT NULL CHECK (role IN ('recorder', 'restream')),
            camera TEXT NOT NULL REFERENCES cameras(id),
            boot_id TEXT NOT NULL,
            pid INTEGER NOT NULL CHECK (pid > 0),
            start_time INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            log_file TEXT NOT NULL,
            PRIMARY KEY (role, camera)
        );
        CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL REFERENCES cameras(id),
            file TEXT NOT NULL UNIQUE,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER,
            duration REAL,
            bytes INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
            status TEXT NOT NULL CHECK (status IN ('recording', 'complete')),
            CHECK (status = 'recording' OR (end_ms IS NOT NULL AND duration IS NOT NULL))
        );
        CREATE INDEX recordings_camera_start ON recordings(camera, start_ms);
        CREATE INDEX recordings_open ON recordings(start_ms) WHERE status = 'recording';
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            camera TEXT,
            level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
            kind TEXT NOT NULL,
            message TEXT NOT NULL
        );
        CREATE INDEX events_at ON events(at);
        CREATE TABLE agent (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            boot_id TEXT NOT NULL,
            pid INTEGER NOT NULL,
            start_time INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            version TEXT NOT NULL,
            stopped_at INTEGER
        );
        """),
        Migration(name: "0002_cloud", sql: """
        CREATE TABLE sse_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'received'
        );
        CREATE TABLE commands (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            camera TEXT,
            args TEXT NOT NULL,
            expires_at INTEGER,
            received_at INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('received', 'running', 'done')),
            status TEXT CHECK (status IN ('succeeded', 'failed', 'rejected', 'expired')),
            detail TEXT,
            finished_at INTEGER,
            CHECK ((state = 'done') = (status IS NOT NULL))
        );
        CREATE INDEX commands_unfinished ON commands(received_at) WHERE state != 'done';
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('ack', 'state', 'recording', 'discovered')),
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE url_history (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL REFERENCES cameras(id),
            old_rtsp_url TEXT,
            new_rtsp_url TEXT,
            old_rtmp_url TEXT,
            new_rtmp_url TEXT,
            origin TEXT NOT NULL CHECK (origin IN ('sse', 'config', 'local')),
            event_timestamp INTEGER,
            changed_at INTEGER NOT NULL
        );
        CREATE TABLE cloud_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            endpoint TEXT NOT NULL,
            device_id TEXT NOT NULL,
            resume_id TEXT,
            link TEXT NOT NULL CHECK (link IN ('connecting', 'connected', 'waiting', 'stopped')),
            since INTEGER NOT NULL,
            last_error TEXT,
            credential_rejected INTEGER NOT NULL DEFAULT 0 CHECK (credential_rejected IN (0, 1))
        );
        """),
        Migration(name: "0003_hardware", sql: """
        CREATE TABLE hardware_probe (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            boot_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            encoders TEXT NOT NULL,
            probed_at INTEGER NOT NULL
        );
        """),
        Migration(name: "0004_mediamtx", sql: """
        CREATE TABLE processes_new (
            role TEXT NOT NULL CHECK (role IN ('recorder', 'restream', 'publisher', 'mediamtx')),
            camera TEXT NOT NULL REFERENCES cameras(id),
            boot_id TEXT NOT NULL,
            pid INTEGER NOT NULL CHECK (pid > 0),
            start_time INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            log_file TEXT NOT NULL,
            PRIMARY KEY (role, camera)
        );
        INSERT INTO processes_new SELECT role, camera, boot_id, pid, start_time, fingerprint, started_at, log_file FROM processes;
        DROP TABLE processes;
        ALTER TABLE processes_new RENAME TO processes;
        CREATE TABLE mediamtx_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            config TEXT NOT NULL,
            api_address TEXT NOT NULL,
            rtsp_port INTEGER NOT NULL,
            hls_port INTEGER NOT NULL,
            webrtc_port INTEGER NOT NULL,
            api_up INTEGER NOT NULL CHECK (api_up IN (0, 1)),
            synced INTEGER NOT NULL CHECK (synced IN (0, 1)),
            reason TEXT,
            updated_at INTEGER NOT NULL
        );
        """),
        // Issue 12: the persistent upload queue. One row per segment ever
        // queued; it goes with its recording (ON DELETE CASCADE), so a
        // deletion that must be reported (`recording_lost`) is reported in
        // the same transaction that deletes the recording. Each part's ETag
        // is stored as S3 answers it, so a resume sends only missing parts.
        Migration(name: "0005_uploads", sql: """
        CREATE TABLE uploads (
            id INTEGER PRIMARY KEY,
            recording INTEGER NOT NULL UNIQUE REFERENCES recordings(id) ON DELETE CASCADE,
            camera TEXT NOT NULL,
            file TEXT NOT NULL,
            start_ms INTEGER NOT NULL,
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            sha256 TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),
            state TEXT NOT NULL CHECK (state IN ('queued', 'uploading', 'done', 'failed')),
            object_key TEXT CHECK (object_key IS NULL OR length(object_key) BETWEEN 1 AND 1024),
            upload_id TEXT,
            part_size INTEGER CHECK (part_size IS NULL OR part_size > 0),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            last_failure_at INTEGER,
            next_attempt_at INTEGER,
            last_error TEXT,
            etag TEXT,
            queued_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            uploaded_at INTEGER,
            CHECK ((state = 'done') = (uploaded_at IS NOT NULL)),
            CHECK (upload_id IS NULL OR part_size IS NOT NULL)
        );
        CREATE INDEX uploads_pending ON uploads(start_ms) WHERE state IN ('queued', 'uploading');
        CREATE TABLE upload_parts (
            upload INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),
            etag TEXT NOT NULL CHECK (length(etag) > 0),
            bytes INTEGER NOT NULL CHECK (bytes > 0),
            completed_at INTEGER NOT NULL,
            PRIMARY KEY (upload, number)
        ) WITHOUT ROWID;
        \(rebuildOutbox(kinds: ["ack", "state", "recording", "discovered", "uploaded", "recording_lost"]))
        """),
        // Issue 13: motion events and, per camera, how far its motion file
        // was read with the tracker's state at that point. Both change in
        // one transaction per batch of samples, so a restart neither loses
        // nor repeats an event. An event is known by (camera, start): it is
        // inserted once, when announced, and then only updated.
        Migration(name: "0006_motion", sql: """
        CREATE TABLE motion_events (
            id INTEGER PRIMARY KEY,
            camera TEXT NOT NULL REFERENCES cameras(id),
            start_ms INTEGER NOT NULL,
            last_ms INTEGER NOT NULL,
            end_ms INTEGER,
            peak REAL NOT NULL CHECK (peak >= 0),
            UNIQUE (camera, start_ms),
            CHECK (last_ms >= start_ms),
            CHECK (end_ms IS NULL OR end_ms = last_ms)
        );
        CREATE INDEX motion_events_start ON motion_events(start_ms);
        CREATE TABLE motion_cursor (
            camera TEXT PRIMARY KEY REFERENCES cameras(id),
            file_offset INTEGER NOT NULL CHECK (file_offset >= 0),
            last_stamp INTEGER NOT NULL,
            phase TEXT NOT NULL CHECK (phase IN ('idle', 'pending', 'active')),
            phase_start INTEGER,
            phase_last INTEGER,
            phase_peak REAL,
            updated_at INTEGER NOT NULL,
            CHECK ((phase = 'idle') = (phase_start IS NULL)),
            CHECK ((phase_start IS NULL) = (phase_last IS NULL) AND (phase_start IS NULL) = (phase_peak IS NULL))
        );
        \(rebuildOutbox(kinds: ["ack", "state", "recording", "discovered", "uploaded", "recording_lost", "motion"]))
        """),
    ]

    /// The outbox again with a wider `kind` check (SQLite cannot alter a
    /// CHECK): copied row by row with its AUTOINCREMENT sequence, so the
    /// next item still gets the next number. A migration that adds a
    /// report kind ends with this.
    static func rebuildOutbox(kinds: [String]) -> String {
        """
        CREATE TABLE outbox_new (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN (\(kinds.map { "'\($0)'" }.joined(separator: ", ")))),
            payload TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        INSERT INTO outbox_new SELECT seq, kind, payload, created_at FROM outbox;
        DELETE FROM sqlite_sequence WHERE name = 'outbox_new';
        INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_new', seq FROM sqlite_sequence WHERE name = 'outbox';
        DROP TABLE outbox;
        ALTER TABLE outbox_new RENAME TO outbox;
        """
    }

    /// Applies the migrations `connection` has not seen yet; returns their names.
    static func migrate(_ connection: SQLiteConnection) throws(SQLiteError) -> [String] {
        try connection.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let applied = Set(try connection.query("SELECT name FROM schema_migrations").compactMap { $0.text(0) })
        var newlyApplied: [String] = []
        for migration in migrations where !applied.contains(migration.name) {
            try connection.transaction { () throws(SQLiteError) in
                try connection.execute(migration.sql)
                try connection.query("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                                     [.text(migration.name), .integer(WallClock.nowMilliseconds())])
            }
            newlyApplied.append(migration.name)
        }
        return newlyApplied
    }
}
