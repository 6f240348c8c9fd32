import CamgateCore
import Media
import Platform
import Store

/// The `state` report (docs/protocol.md), without its `at`.
enum StateReport {
    static func build(store: Store, agent: Agent, layout: DataLayout) async throws -> JSONValue {
        let desired = await agent.desiredState
        let restreams = await agent.restreamStates
        var cameras: [String: JSONValue] = [:]
        for row in try await store.cameras() where row.state != .removed && !row.id.isReserved {
            guard let spec = desired.cameras[row.id] else { continue }
            var fields: [String: JSONValue] = [
                "state": .string(row.state.rawValue),
                "viewing": .bool(false),
                "encoder": .string(await agent.encoderName(row.id) ?? "none"),
                "motion_source": await agent.motionSource(row.id).map(JSONValue.string) ?? .null,
                "last_error": row.lastError.map { .string($0) } ?? .null,
            ]
            if spec.restream != nil { fields["restream"] = .string(restreams[row.id] ?? "stopped") }
            cameras[row.id.rawValue] = .object(fields)
        }
        let capacity = (try? FileSystem.capacity(of: FileSystem.exists(layout.recordingsRoot) ? layout.recordingsRoot : layout.root)) ?? (total: 0, available: 0)
        return .object([
            "kind": .string("state"),
            "applied_revision": .int(desired.revision),
            "cameras": .object(cameras),
            "storage": .object(["free_bytes": .int(capacity.available), "recordings_bytes": .int(try await store.recordingBytes())]),
        ])
    }
}
