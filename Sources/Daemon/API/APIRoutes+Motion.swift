import CamgateCore
import LocalAPI
import Platform
import Store

extension APIRoutes {
    // MARK: - Motion (issue 13)

    /// `GET /api/v1/motion?camera=&since=&limit=`: motion events, newest first.
    func motion(_ r: APIRequest) async throws -> JSONValue {
        let limit = Int(try r.intQuery("limit", in: 1...1000) ?? 100)
        let rows = try await store.motionEvents(camera: try r.cameraQuery(), sinceMs: try r.timeQuery("since"), limit: limit)
        return .object(["events": .array(rows.map(\.apiJSON))])
    }
}

extension MotionEventRow {
    /// An event as the API and `camgate events --motion` show it: `end` is
    /// null while it lasts (`last` is then its latest motion).
    public var apiJSON: JSONValue {
        .object([
            "id": .int(id), "camera": .string(camera.rawValue),
            "start": .string(Timestamp.rfc3339(milliseconds: startMs)),
            "last": .string(Timestamp.rfc3339(milliseconds: lastMs)),
            "end": endMs.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
            "duration": .double(Double(lastMs - startMs) / 1000),
            "peak": .double((peak * 100).rounded() / 100),
            "segments": .array(segments.map { .object(["id": .int($0.id), "file": .string($0.file),
                                                       "start": .string(Timestamp.rfc3339(milliseconds: $0.startMs))]) }),
        ])
    }
}
