#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CamgateCore
import Daemon
import Media
import Platform
import Store

/// `camgate cloud …`: the cloud link as the agent recorded it.
struct Cloud: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the cloud link: its state, the events received, reconnect.",
        subcommands: [CloudStatus.self, CloudEvents.self, CloudReconnect.self]
    )
}

struct CloudStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Connected or not, last event id, outbox depth, last error.")

    @OptionGroup var data: DataDirectoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let store = try openStore(data)
        let state = try await store.cloudState()
        let depth = try await store.outboxDepth()
        let agentRunning = try await agentIsRunning(store)
        let connected = agentRunning && state?.link == "connected"
        if json {
            var fields: [String: JSONValue] = ["configured": .bool(state != nil), "connected": .bool(connected), "outbox_depth": .int(Int64(depth))]
            if let state {
                fields["endpoint"] = .string(state.endpoint)
                fields["device_id"] = .string(state.deviceID)
                fields["link"] = .string(agentRunning ? state.link : "agent not running")
                fields["since"] = .string(Timestamp.rfc3339(milliseconds: state.sinceMs))
                fields["last_event_id"] = state.resumeID.map { .string($0) } ?? .null
                fields["last_error"] = state.lastError.map { .string($0) } ?? .null
                fields["credential_rejected"] = .bool(state.credentialRejected)
            }
            print(JSONValue.object(fields).serialized())
            return
        }
        guard let state else {
            print("cloud: not configured (standalone); outbox depth \(depth)")
            return
        }
        print("cloud: \(state.endpoint) as device \(state.deviceID)")
        print("link: \(agentRunning ? state.link : "agent not running") since \(Timestamp.rfc3339(milliseconds: state.sinceMs))")
        print("connected: \(connected ? "yes" : "no")")
        print("last event id: \(state.resumeID ?? "-")")
        print("outbox depth: \(depth)")
        print("last error: \(state.lastError ?? "-")")
        if state.credentialRejected { print("the device token was rejected: re-provision, then `camgate cloud reconnect`") }
    }
}

struct CloudEvents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "The stored events, in arrival order, exactly as dispatched.")

    @OptionGroup var data: DataDirectoryOptions
    @Flag(name: .long, help: "Print a JSON array of {id, type, data, received_at, outcome}.") var json = false
    @Option(name: .long, help: "At most this many, the most recent.") var limit: Int = 10_000
    @Flag(name: .long, help: "Also list the records of events dropped unread (over the size limit; type \"(dropped)\").")
    var includeDropped = false

    func run() async throws {
        let store = try openStore(data)
        // A dropped event was never dispatched: its record (id and reason)
        // is not an event "as dispatched", so it is listed only on request.
        let events = try await store.storedEvents(limit: limit).filter { includeDropped || $0.type != "(dropped)" }
        if json {
            print(JSONValue.array(events.map { e in
                .object(["id": .string(e.id), "type": .string(e.type), "data": .string(e.data),
                         "received_at": .string(Timestamp.rfc3339(milliseconds: e.receivedAtMs)), "outcome": .string(e.outcome)])
            }).serialized())
            return
        }
        for e in events {
            print("\(Timestamp.rfc3339(milliseconds: e.receivedAtMs))  id=\(e.id.isEmpty ? "-" : e.id)  \(e.type)  \(e.outcome)")
        }
        print("\(events.count) events")
    }
}

struct CloudReconnect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reconnect", abstract: "Ask the running agent to reconnect now (after a 204, a rejected token or during a backoff).")

    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        let answer = try await data.call("POST", "/api/v1/cloud/reconnect")
        let message = answer.json?["message"]?.stringValue ?? ""
        guard answer.json?["ok"] == .bool(true) else { throw fail("the agent using \(data.dataDir) cannot reconnect: \(message)", code: 1) }
        print("asked the agent to reconnect: \(message)")
    }
}

func openStore(_ data: DataDirectoryOptions) throws -> Store {
    do { return try Store.openReadOnly(directory: FileSystem.absolute(data.dataDir)) } catch { throw fail("\(error)", code: 1) }
}

func agentIsRunning(_ store: Store) async throws -> Bool {
    guard let agent = try await store.agent(), agent.stoppedAtMs == nil, let boot = try? ProcFS.bootID() else { return false }
    return ProcFS.isRunning(agent.identity, currentBootID: boot)
}
