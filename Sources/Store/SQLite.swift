import CSQLite

/// An error from SQLite with its context: the statement and SQLite's own
/// message, so that a failure can be understood from the log alone.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// SQLite's primary result code (SQLITE_CORRUPT, SQLITE_NOTADB, …).
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var text = "sqlite error \(code): \(message)"
        if let sql { text += " [\(sql.prefix(200))]" }
        return text
    }

    /// The file is damaged or is not a database at all.
    public var isCorruption: Bool {
        let primary = code & 0xFF
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }
}

/// One SQLite connection. Not thread-safe by itself: it is owned by the
/// `Store` actor (one connection owner per file, as GRDB advises).
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    let path: String

    init(path: String, readOnly: Bool) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errmsg)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
        }
        return Statement(stmt: stmt, connection: self, sql: sql)
    }

    /// Runs `sql` with `bindings` and returns every row.
    @discardableResult
    func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws(SQLiteError) -> [Row] {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        var rows: [Row] = []
        while let row = try statement.step() { rows.append(row) }
        return rows
    }

    /// Runs `body` in one IMMEDIATE transaction: committed when it returns,
    /// rolled back when it throws.
    func transaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    func error(_ rc: Int32, sql: String) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// A value bound to or read from a statement.
enum SQLiteValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    static func int(_ v: Int) -> SQLiteValue { .integer(Int64(v)) }
    static func optional(_ s: String?) -> SQLiteValue { s.map(SQLiteValue.text) ?? .null }
    static func optional(_ i: Int64?) -> SQLiteValue { i.map(SQLiteValue.integer) ?? .null }
    static func optional(_ d: Double?) -> SQLiteValue { d.map(SQLiteValue.real) ?? .null }
    static func bool(_ b: Bool) -> SQLiteValue { .integer(b ? 1 : 0) }
}

/// One result row, read by column index.
struct Row {
    var values: [SQLiteValue]

    func int(_ i: Int) -> Int64? { if case .integer(let v) = values[i] { v } else if case .real(let d) = values[i] { Int64(d) } else { nil } }
    func double(_ i: Int) -> Double? { if case .real(let v) = values[i] { v } else if case .integer(let n) = values[i] { Double(n) } else { nil } }
    func text(_ i: Int) -> String? { if case .text(let v) = values[i] { v } else { nil } }
    func bool(_ i: Int) -> Bool { int(i).map { $0 != 0 } ?? false }
}

final class Statement {
    private let stmt: OpaquePointer
    private unowned let connection: SQLiteConnection
    let sql: String

    init(stmt: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(stmt, index)
            case .integer(let v): rc = sqlite3_bind_int64(stmt, index, v)
            case .real(let v): rc = sqlite3_bind_double(stmt, index, v)
            case .text(let v): rc = Statement.bindText(stmt, index, v)
            }
            guard rc == SQLITE_OK else { throw connection.error(rc, sql: sql) }
        }
    }

    /// Text is bound by its UTF-8 length, never as a C string: text from
    /// outside (an SSE event's data, a command's arguments) may hold NUL,
    /// and a C string would end there.
    static func bindText(_ stmt: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // A nil base address would bind NULL, not the empty string.
            let empty: StaticString = ""
            let base = bytes.baseAddress ?? empty.utf8Start
            return base.withMemoryRebound(to: CChar.self, capacity: max(bytes.count, 1)) {
                sqlite3_bind_text64(stmt, index, $0, sqlite3_uint64(bytes.count), camgate_sqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
    }

    /// A text column read by its byte length (`sqlite3_column_bytes`), so
    /// that a NUL inside it is kept.
    static func columnText(_ stmt: OpaquePointer, _ column: Int32) -> SQLiteValue {
        guard let text = sqlite3_column_text(stmt, column) else { return .null }
        let count = Int(sqlite3_column_bytes(stmt, column))
        return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
    }

    /// The next row, or nil when the statement is done.
    func step() throws(SQLiteError) -> Row? {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW:
            let count = sqlite3_column_count(stmt)
            var values: [SQLiteValue] = []
            values.reserveCapacity(Int(count))
            for i in 0..<count {
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(stmt, i)))
                case SQLITE_FLOAT: values.append(.real(sqlite3_column_double(stmt, i)))
                case SQLITE_NULL: values.append(.null)
                default:
                    values.append(Statement.columnText(stmt, i))
                }
            }
            return Row(values: values)
        case SQLITE_DONE:
            return nil
        default:
            throw connection.error(rc, sql: sql)
        }
    }
}
