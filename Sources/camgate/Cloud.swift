#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
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
        let status: JSONValue
        if let answer = try await data.read("/api/v1/cloud") {
            status = answer
        } else {
            if !json { noteOffline(data) }
            let store = try openStore(data)
            status = try await CloudReport.status(store: store, agentRunning: try await agentIsRunning(store))
        }
        if json {
            print(status.serialized())
            return
        }
        let depth = status["outbox_depth"]?.serialized() ?? "0"
        guard status["configured"] == .bool(true) else {
            print("cloud: not configured (standalone); outbox depth \(depth)")
            return
        }
        func text(_ key: String) -> String { status[key]?.stringValue ?? "-" }
        print("cloud: \(text("endpoint")) as device \(text("device_id"))")
        print("link: \(text("link")) since \(text("since"))")
        print("connected: \(status["connected"] == .bool(true) ? "yes" : "no")")
        print("last event id: \(text("last_event_id"))")
        print("outbox depth: \(depth)")
        print("last error: \(text("last_error"))")
        if status["credential_rejected"] == .bool(true) { print("the device token was rejected: re-provision, then `camgate cloud reconnect`") }
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
        let events: JSONValue
        if let answer = try await data.read("/api/v1/cloud/events?limit=\(limit)&include_dropped=\(includeDropped)"), let list = answer["events"] {
            events = list
        } else {
            if !json { noteOffline(data) }
            events = try await CloudReport.events(store: try openStore(data), limit: limit, includeDropped: includeDropped)
        }
        if json {
            print(events.serialized())
            return
        }
        guard case .array(let list) = events else { return }
        for e in list {
            let id = e["id"]?.stringValue ?? ""
            print("\(e["received_at"]?.stringValue ?? "")  id=\(id.isEmpty ? "-" : id)  \(e["type"]?.stringValue ?? "")  \(e["outcome"]?.stringValue ?? "")")
        }
        print("\(list.count) events")
    }

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
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
