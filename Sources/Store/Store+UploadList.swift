import CamgateCore

/// A page of the upload queue (`GET /api/v1/uploads`), by id like the
/// recordings index: pass the previous page's last id as `afterID`.
public struct UploadQuery: Sendable, Equatable {
    public var state: UploadRow.State?
    public var camera: CameraID?
    /// Only ids greater than this: the previous page's last id.
    public var afterID: Int64?
    public var limit: Int

    public init(state: UploadRow.State? = nil, camera: CameraID? = nil, afterID: Int64? = nil, limit: Int = 100) {
        self.state = state
        self.camera = camera
        self.afterID = afterID
        self.limit = limit
    }
}

/// A queue row with the bytes S3 already acknowledged (its stored parts).
public struct UploadListItem: Sendable, Equatable {
    public var row: UploadRow
    /// Sum of the stored parts' sizes (0 for a single PUT or before the first part).
    public var storedBytes: Int64
}

extension Store {
    /// The queue in id order (the order segments were queued), one page.
    public func uploads(_ query: UploadQuery) throws -> [UploadListItem] {
        var sql = """
            SELECT \(Store.uploadColumns), (SELECT coalesce(sum(p.bytes), 0) FROM upload_parts p WHERE p.upload = uploads.id)
            FROM uploads WHERE id > ?
            """
        var values: [SQLiteValue] = [.integer(query.afterID ?? 0)]
        if let state = query.state { sql += " AND state = ?"; values.append(.text(state.rawValue)) }
        if let camera = query.camera { sql += " AND camera = ?"; values.append(.text(camera.rawValue)) }
        sql += " ORDER BY id LIMIT ?"
        values.append(.integer(Int64(max(0, query.limit))))
        return try connection.query(sql, values).compactMap { row in
            Store.upload(row).map { UploadListItem(row: $0, storedBytes: row.int(18) ?? 0) }
        }
    }

    /// The segment being uploaded (one at a time; the latest queued if
    /// several were started), with its
    /// stored bytes, and the newest error of a segment still waiting:
    /// what `camgate status` shows when the agent does not answer.
    public func uploadActivity() throws -> (current: UploadListItem?, lastError: String?) {
        let current = try uploads(UploadQuery(state: .uploading, limit: 10_000)).max { $0.row.id < $1.row.id }
        let error = try connection.query("""
            SELECT last_error FROM uploads WHERE state IN ('queued', 'uploading') AND last_error IS NOT NULL
            ORDER BY last_failure_at DESC, updated_at DESC LIMIT 1
            """).first?.text(0)
        return (current, error)
    }
}
