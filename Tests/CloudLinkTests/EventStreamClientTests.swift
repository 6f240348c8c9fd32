import Foundation
import Logging
import Testing
import CamgateCore
@testable import CloudLink
import TestSupport

/// A sink that remembers everything, with its own resume point.
actor RecordingSink: EventStreamSink {
    var events: [SSEParser.Event] = []
    var states: [LinkState] = []
    var skips: [(String?, String)] = []
    var resume: String?

    func resumeID() async -> String? { resume }
    func receive(_ event: SSEParser.Event) async throws {
        events.append(event)
        if let n = UInt64(event.lastEventID), n > UInt64(resume ?? "0") ?? 0 { resume = event.lastEventID }
    }
    func linkChanged(_ state: LinkState) async { states.append(state) }
    func skipped(id: String?, reason: String) async {
        skips.append((id, reason))
        if let id { resume = id }
    }
    var committedIDs: [String] = []
    func committed(id: String) async {
        committedIDs.append(id)
        if let n = UInt64(id), n > UInt64(resume ?? "0") ?? 0 { resume = id }
    }
    func types() -> [String] { events.map(\.type) }
    func lastState() -> LinkState? { states.last }
    func sawWaiting(containing text: String) -> Bool {
        states.contains { if case .waiting(let e, _) = $0 { e.contains(text) } else { false } }
    }
}

/// The event-stream client against the real simulator over loopback HTTP
/// (and HTTPS), with its fault switches.
@Suite(.serialized) struct EventStreamClientTests {
    let dir = TemporaryDirectory("sse-client")
    var logger: Logger { var l = Logger(label: "test"); l.logLevel = .critical; return l }

    func client(_ sim: CloudSimulatorProcess, sink: RecordingSink, token: String? = nil, idle: Duration = .seconds(45),
                maximum: Int = SSEParser.defaultMaximumEventBytes, caFile: String? = nil) throws -> EventStreamClient {
        let endpoint = try Endpoint(parsing: "\(sim.base)/v1/devices/dev-1/events")
        let t = token ?? sim.token
        return EventStreamClient(transport: try HTTPTransport(caFile: caFile), events: endpoint, token: { t }, sink: sink, logger: logger,
                                 idleLimit: idle, maximumEventBytes: maximum)
    }

    @Test func sendsTheProtocolHeadersAndResumesWithLastEventID() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "event", #"{"type": "greeting", "data": "one"}"#)
        let sink = RecordingSink()
        let client = try client(sim, sink: sink)
        let task = Task { await client.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.events.count == 1 })
        let headers = try await sim.stats()["last_request_headers"]
        #expect(headers?["authorization"]?.stringValue == "Bearer <token>")
        #expect(headers?["accept"]?.stringValue == "text/event-stream")
        #expect(headers?["cache-control"]?.stringValue == "no-cache")
        #expect(headers?["last-event-id"] == nil, "nothing to resume from yet")
        // Drop the connection: the client reconnects with Last-Event-ID and gets only what is new.
        try await sim.control("POST", "drop")
        try await sim.control("POST", "event", #"{"type": "greeting", "data": "two"}"#)
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.events.count == 2 })
        #expect(try await sim.stats()["last_request_headers"]?["last-event-id"]?.stringValue == "1")
        #expect(await sink.events.map(\.data) == ["one", "two"])
        task.cancel()
        await sim.stop()
    }

    @Test func aPartialEventCutByADropIsDiscardedAndReplayed() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let sink = RecordingSink()
        let client = try client(sim, sink: sink)
        let task = Task { await client.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.states.contains(.connected) })
        try await sim.control("POST", "raw", #"{"text": "id: 99\nevent: command\ndata: {\"id\": \"half"}"#)
        try await Task.sleep(for: .milliseconds(200))
        try await sim.control("POST", "drop")
        try await sim.control("POST", "event", #"{"type": "whole", "data": "complete"}"#)
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.events.count == 1 })
        #expect(await sink.types() == ["whole"], "the half event never dispatched")
        task.cancel()
        await sim.stop()
    }

    /// WHATWG: an `id:` in a block without data sets the last event id
    /// though nothing is dispatched; it is where the next connection resumes.
    @Test func anIDWithoutDataIsWhereTheNextConnectionResumes() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let sink = RecordingSink()
        let client = try client(sim, sink: sink)
        let task = Task { await client.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.states.contains(.connected) })
        try await sim.control("POST", "raw", #"{"text": "id: 60\n\n"}"#)
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.committedIDs == ["60"] })
        #expect(await sink.events.isEmpty, "nothing dispatched")
        try await sim.control("POST", "drop")
        #expect(try await waitUntil(timeout: .seconds(10)) { try await sim.stats()["last_request_headers"]?["last-event-id"]?.stringValue == "60" })
        task.cancel()
        await sim.stop()
    }

    @Test func followsARedirect() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "faults", #"{"redirect": true}"#)
        try await sim.control("POST", "event", #"{"type": "moved", "data": "here"}"#)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.events.count == 1 })
        task.cancel()
        await sim.stop()
    }

    @Test(arguments: [(204, StopReason.noContent), (401, .credentialRejected), (403, .credentialRejected)])
    func stopsReconnectingOn(_ status: Int, _ reason: StopReason) async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "faults", #"{"events_status": \#(status)}"#)
        let sink = RecordingSink()
        let client = try client(sim, sink: sink)
        let task = Task { await client.run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.lastState() == .stopped(reason) })
        try await Task.sleep(for: .seconds(2))
        #expect(try await sim.stats()["connections"]?.int64Value == 0, "no reconnect attempts while stopped")
        #expect(await sink.lastState() == .stopped(reason))
        // A local reconnect request tries again.
        try await sim.control("POST", "faults", #"{"clear": true}"#)
        client.reconnectNow()
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.lastState() == .connected })
        task.cancel()
        await sim.stop()
    }

    @Test func aRevokedTokenStopsTheLink() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink, token: "not-the-token")).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.lastState() == .stopped(.credentialRejected) })
        task.cancel()
        await sim.stop()
    }

    @Test func wrongContentTypeAndServerErrorsBackOff() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "faults", #"{"content_type": "text/html"}"#)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.sawWaiting(containing: "wrong Content-Type") })
        try await sim.control("POST", "faults", #"{"content_type": null, "events_status": 503}"#)
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.sawWaiting(containing: "HTTP 503") })
        try await sim.control("POST", "faults", #"{"clear": true}"#)
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.lastState() == .connected }, "back after the backoff")
        task.cancel()
        await sim.stop()
    }

    @Test func silenceIsADeadLink() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "faults", #"{"stall": true}"#)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink, idle: .seconds(1))).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.sawWaiting(containing: "dead link") })
        task.cancel()
        await sim.stop()
    }

    @Test func pingsKeepAQuietLinkAlive() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path, pingInterval: 0.3)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink, idle: .seconds(1))).run() }
        #expect(await waitUntil(timeout: .seconds(5)) { await sink.lastState() == .connected })
        try await Task.sleep(for: .seconds(3))
        #expect(await !sink.sawWaiting(containing: "dead link"))
        #expect(try await sim.stats()["connections"]?.int64Value == 1)
        task.cancel()
        await sim.stop()
    }

    @Test func aHugeEventDropsTheConnectionAndIsSkipped() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let huge = String(repeating: "x", count: 10 << 20)
        try await sim.control("POST", "event", #"{"type": "huge", "data": "\#(huge)"}"#)
        try await sim.control("POST", "event", #"{"type": "after", "data": "small"}"#)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(20)) { await sink.types() == ["after"] })
        let skips = await sink.skips
        #expect(skips.count == 1 && skips.first?.0 == "1" && skips.first?.1.contains("larger than 1048576 bytes") == true)
        task.cancel()
        await sim.stop()
    }

    @Test func garbageBytesDoNotStopTheStream() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await sim.control("POST", "faults", #"{"garbage_bytes": 4096}"#)
        try await sim.control("POST", "event", #"{"type": "fine", "data": "ok"}"#)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.types().contains("fine") })
        task.cancel()
        await sim.stop()
    }

    @Test func verifiesTheServerCertificate() async throws {
        let tls = try makeTestCertificate(in: dir.path)
        let sim = try await CloudSimulatorProcess(directory: dir.path, tls: tls, caFile: tls.certificate)
        try await sim.control("POST", "event", #"{"type": "secure", "data": "ok"}"#)
        // Not trusted: the handshake fails, nothing is received.
        let untrusting = RecordingSink()
        let t1 = Task { await (try! client(sim, sink: untrusting)).run() }
        let sawFailure = await waitUntil(timeout: .seconds(10)) { await untrusting.sawWaiting(containing: "certificate") }
        let seen = await untrusting.states
        #expect(sawFailure, "\(seen)")
        #expect(await untrusting.events.isEmpty)
        let states = await untrusting.states
        #expect(states.contains { if case .waiting(let e, _) = $0 { e == "TLS handshake failed: the server certificate could not be verified" } else { false } }, "\(states)")
        t1.cancel()
        // Trusted through ca_file: it works.
        let trusting = RecordingSink()
        let t2 = Task { await (try! client(sim, sink: trusting, caFile: tls.certificate)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await trusting.types() == ["secure"] })
        t2.cancel()
        await sim.stop()
    }
}
