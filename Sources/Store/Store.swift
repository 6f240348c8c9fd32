#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CSQLite

/// Why the store could not be opened.
public struct StoreOpenError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// No database in the directory (read-only open).
        case missing
        /// SQLite could not open or set up the file.
        case unusable
        /// The file failed `PRAGMA integrity_check` or is not a database. It
        /// was moved to `movedTo`; nothing was deleted.
        case corrupt(movedTo: String)
    }

    public var kind: Kind
    public var path: String
    public var detail: String

    public var description: String {
        switch kind {
        case .missing:
            "no agent state at \(path): has `camgate run` used this data directory?"
        case .unusable:
            "cannot use the database \(path): \(detail)"
        case .corrupt(let movedTo):
            "the database \(path) is corrupt (\(detail)); it was moved to \(movedTo) and kept for inspection. The next start creates a new database and re-indexes the recordings on disk."
        }
    }
}

/// The agent's state in SQLite: desired state, cameras, processes,
/// recordings and the event log. WAL journal, foreign keys on, named
/// migrations. One connection, owned by this actor.
public actor Store {
    public static let fileName = "camgate.db"
    /// Events kept in the log; older ones are pruned.
    public static let eventLogLimit: Int64 = 10_000

    /// Replaced only by `rebuildWAL`.
    private(set) var connection: SQLiteConnection
    public nonisolated let path: String
    /// Migrations applied by this open (empty when the schema was current).
    public nonisolated let appliedMigrations: [String]

    private init(connection: SQLiteConnection, applied: [String]) {
        self.connection = connection
        self.path = connection.path
        self.appliedMigrations = applied
    }

    /// Opens (creating if needed) the database in `directory` for the agent:
    /// checks integrity, sets WAL and foreign keys, migrates.
    public static func open(directory: String) throws(StoreOpenError) -> Store {
        let path = directory + "/" + fileName
        let connection: SQLiteConnection
        // The database holds camera URLs with their credentials: owner only.
        // (SQLite gives the -wal and -shm files the same mode.)
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { fchmod(fd, 0o600); Glibc.close(fd) }
        #else
        let fd = Musl.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { fchmod(fd, 0o600); Musl.close(fd) }
        #endif
        do {
            connection = try SQLiteConnection(path: path, readOnly: false)
        } catch {
            throw StoreOpenError(kind: .unusable, path: path, detail: error.message)
        }
        if let problem = integrityProblem(connection) {
            connection.close()
            let movedTo = moveAside(path)
            throw StoreOpenError(kind: .corrupt(movedTo: movedTo), path: path, detail: problem)
        }
        do {
            try configure(connection)
            let applied = try Schema.migrate(connection)
            return Store(connection: connection, applied: applied)
        } catch {
            throw StoreOpenError(kind: .unusable, path: path, detail: error.description)
        }
    }

    private static func configure(_ connection: SQLiteConnection) throws(SQLiteError) {
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = NORMAL")
        try connection.execute("PRAGMA foreign_keys = ON")
    }

    /// After the `-wal` file was deleted under the open connection (which
    /// keeps writing to it, unseen by any other reader): every frame of the
    /// deleted log is checkpointed into the database, then a new connection
    /// starts a new log file and replaces this one. Throws, changing
    /// nothing, when the checkpoint could not complete (a reader was busy).
    public func rebuildWAL() throws(SQLiteError) {
        let result = try connection.query("PRAGMA wal_checkpoint(TRUNCATE)").first
        guard result?.int(0) == 0 else {
            throw SQLiteError(code: SQLITE_BUSY, message: "the checkpoint could not complete (a reader holds the log)", sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // The new connection first: closing the old one must not look like
        // the last close (which would checkpoint and unlink the log path).
        let fresh = try SQLiteConnection(path: path, readOnly: false)
        try Store.configure(fresh)
        connection.close()
        connection = fresh
    }

    /// Opens an existing database for reading (the CLI). No migration.
    public static func openReadOnly(directory: String) throws(StoreOpenError) -> Store {
        let path = directory + "/" + fileName
        guard access(path, F_OK) == 0 else { throw StoreOpenError(kind: .missing, path: path, detail: "") }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            _ = try connection.query("SELECT count(*) FROM schema_migrations")
            return Store(connection: connection, applied: [])
        } catch {
            throw StoreOpenError(kind: .unusable, path: path, detail: error.description)
        }
    }

    /// Closes the connection (after a final checkpoint of the WAL).
    public func close() {
        try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    }

    private static func integrityProblem(_ connection: SQLiteConnection) -> String? {
        do {
            let rows = try connection.query("PRAGMA integrity_check")
            let lines = rows.compactMap { $0.text(0) }
            if lines == ["ok"] { return nil }
            return lines.prefix(5).joined(separator: "; ")
        } catch {
            return error.isCorruption ? error.message : nil
        }
    }

    /// Renames the database (and its -wal / -shm) with a `.corrupt-<time>`
    /// suffix. Returns the new path of the main file.
    private static func moveAside(_ path: String) -> String {
        let stamp = Timestamp.rfc3339(milliseconds: WallClock.nowMilliseconds()).replacingOccurrences(":", with: "")
        let target = "\(path).corrupt-\(stamp)"
        rename(path, target)
        for suffix in ["-wal", "-shm"] where access(path + suffix, F_OK) == 0 {
            rename(path + suffix, target + suffix)
        }
        return target
    }
}

extension String {
    func replacingOccurrences(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}

extension Store {
    /// The first column of the first row of `sql` (tests and diagnostics).
    func scalar(_ sql: String) throws(SQLiteError) -> SQLiteValue? {
        try connection.query(sql).first?.values.first
    }

    /// Every row of `sql` (tests and diagnostics).
    func rows(_ sql: String) throws(SQLiteError) -> [[SQLiteValue]] {
        try connection.query(sql).map(\.values)
    }

    /// Runs statements that return no rows (tests and diagnostics).
    func execute(_ sql: String) throws(SQLiteError) {
        try connection.execute(sql)
    }
}
