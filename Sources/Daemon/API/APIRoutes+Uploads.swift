import CamgateCore
import LocalAPI
import Platform
import Store

extension APIRoutes {
    /// `GET /api/v1/uploads`: the upload queue in the order segments were
    /// queued, paged like the recordings (`after` = the previous page's
    /// `next_after`), optionally one state or one camera.
    func uploads(_ r: APIRequest) async throws -> JSONValue {
        let limit = Int(try r.intQuery("limit", in: 1...1000) ?? 100)
        let state: UploadRow.State?
        switch r.query["state"] {
        case nil: state = nil
        case let text?:
            guard let parsed = UploadRow.State(rawValue: text) else {
                throw APIError.badRequest("state must be one of \(UploadRow.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        let query = UploadQuery(state: state, camera: try r.cameraQuery(), afterID: try r.intQuery("after", in: 0...Int64.max), limit: limit)
        let items = try await store.uploads(query)
        let next: JSONValue = items.count == limit ? items.last.map { .int($0.row.id) } ?? .null : .null
        return .object(["uploads": .array(items.map(\.apiJSON)), "next_after": next])
    }
}

extension UploadListItem {
    /// One queue row as the API shows it (no upload id, no URL: nothing
    /// that lets a reader write to the bucket).
    var apiJSON: JSONValue {
        func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null }
        return .object([
            "id": .int(row.id), "recording": .int(row.recordingID), "camera": .string(row.camera.rawValue),
            "file": .string(FileSystem.basename(row.file)), "start": .string(Timestamp.rfc3339(milliseconds: row.startMs)),
            "bytes": .int(row.bytes), "state": .string(row.state.rawValue), "sent_bytes": .int(row.state == .done ? row.bytes : storedBytes),
            "key": row.objectKey.map(JSONValue.string) ?? .null, "etag": row.etag.map(JSONValue.string) ?? .null,
            "attempts": .int(Int64(row.attempts)), "last_error": row.lastError.map { .string(Redactor.redact($0)) } ?? .null,
            "next_attempt_at": time(row.nextAttemptMs), "queued_at": time(row.queuedAtMs), "uploaded_at": time(row.uploadedAtMs),
        ])
    }
}
