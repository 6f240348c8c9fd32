import CamgateCore
import Store

/// The cloud link and its events as the API and `camgate cloud` show them
/// (the same JSON whether the agent answers or the database is read).
public enum CloudReport {
    public static func status(store: Store, agentRunning: Bool) async throws -> JSONValue {
        let state = try await store.cloudState()
        let depth = try await store.outboxDepth()
        var fields: [String: JSONValue] = ["configured": .bool(state != nil), "connected": .bool(agentRunning && state?.link == "connected"),
                                           "outbox_depth": .int(Int64(depth))]
        if let state {
            fields["endpoint"] = .string(state.endpoint)
            fields["device_id"] = .string(state.deviceID)
            fields["link"] = .string(agentRunning ? state.link : "agent not running")
            fields["since"] = .string(Timestamp.rfc3339(milliseconds: state.sinceMs))
            fields["last_event_id"] = state.resumeID.map { .string($0) } ?? .null
            fields["last_error"] = state.lastError.map { .string($0) } ?? .null
            fields["credential_rejected"] = .bool(state.credentialRejected)
        }
        return .object(fields)
    }

    /// A dropped event was never dispatched: its record (id and reason) is
    /// not an event "as dispatched", so it is listed only on request.
    public static func events(store: Store, limit: Int, includeDropped: Bool) async throws -> JSONValue {
        let events = try await store.storedEvents(limit: limit).filter { includeDropped || $0.type != "(dropped)" }
        return .array(events.map { e in
            .object(["id": .string(e.id), "type": .string(e.type), "data": .string(e.data),
                     "received_at": .string(Timestamp.rfc3339(milliseconds: e.receivedAtMs)), "outcome": .string(e.outcome)])
        })
    }
}
