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
        resume = event.lastEventID.isEmpty ? nil : event.lastEventID  // WHATWG: whatever it is; empty is none
    }
    func linkChanged(_ state: LinkState) async { states.append(state) }
    func skipped(id: String?, reason: String) async {
        skips.append((id, reason))
        if let id, !id.isEmpty { resume = id }
    }
    var committedIDs: [String] = []
    func committed(id: String) async {
        committedIDs.append(id)
        resume = id.isEmpty ? nil : id
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

    /// WHATWG: an empty `id` resets the last event id, with data or
    /// without; the next connection then sends no `Last-Event-ID` at all.
    @Test(arguments: ["id\ndata: b\n\n", "id:\n\n"])
    func anEmptyIDResetsTheLastEventIDAndTheNextConnectionSendsNone(_ reset: String) async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.states.contains(.connected) })
        try await sim.control("POST", "raw", try Self.rawText("id: 5\ndata: a\n\n"))
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.resume == "5" })
        try await sim.control("POST", "drop")
        #expect(try await waitUntil(timeout: .seconds(10)) { try await Self.lastEventIDs(sim).last == "5" })
        try await sim.control("POST", "raw", try Self.rawText(reset))
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.resume == nil }, "\(reset.debugDescription)")
        try await sim.control("POST", "drop")
        #expect(try await waitUntil(timeout: .seconds(10)) { try await sim.stats()["connections"]?.int64Value == 3 })
        let stats = try await sim.stats()
        #expect(stats["last_request_headers"]?["last-event-id"] == nil, "no Last-Event-ID after the reset")
        #expect(try await Self.lastEventIDs(sim) == ["", "5", ""])
        task.cancel()
        await sim.stop()
    }

    /// WHATWG: only an id with NUL is ignored; any other goes back as its
    /// UTF-8 bytes in `Last-Event-ID`.
    @Test func anIDWithNonASCIICharactersIsSentBackAsUTF8() async throws {
        let id = "ünï-📷"
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let sink = RecordingSink()
        let task = Task { await (try! client(sim, sink: sink)).run() }
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.states.contains(.connected) })
        try await sim.control("POST", "raw", try Self.rawText("id: \(id)\ndata: x\n\nid: bad\u{0}\ndata: y\n\n"))
        #expect(await waitUntil(timeout: .seconds(10)) { await sink.events.count == 2 })
        #expect(await sink.events.map(\.lastEventID) == [id, id], "the id with NUL is ignored")
        try await sim.control("POST", "drop")
        #expect(try await waitUntil(timeout: .seconds(10)) { try await sim.stats()["connections"]?.int64Value == 2 })
        #expect(try await sim.stats()["last_request_headers"]?["last-event-id"]?.stringValue == id)
        task.cancel()
        await sim.stop()
    }

    /// The `Last-Event-ID` of each connection ("" when none was sent).
    static func lastEventIDs(_ sim: CloudSimulatorProcess) async throws -> [String] {
        guard case .array(let ids)? = try await sim.stats()["last_event_ids"] else { return [] }
        return ids.compactMap(\.stringValue)
    }

    /// Control characters other than NUL are valid in an id too, and NIO's
    /// own header check would refuse them (the simulator's NIO server does):
    /// the bytes on the wire, as a bare socket receives them.
    @Test func aHeaderValueWithControlCharactersIsWrittenAsIsAndOnlyCRLFAndNULAreRefused() async throws {
        let capture = try RequestCapture()
        let transport = try HTTPTransport()
        let endpoint = try Endpoint(parsing: "http://127.0.0.1:\(capture.port)/v1/devices/d/events")
        let value = "a\u{1}b\tc\u{7F} ünï"
        let response = try await transport.send(HTTPRequest(method: .GET, endpoint: endpoint, headers: [("Last-Event-ID", value)]))
        #expect(response.status == 204)
        let head = String(decoding: capture.head(), as: UTF8.self)
        #expect(head.contains("\r\nLast-Event-ID: \(value)\r\n"), "\(head.debugDescription)")
        for bad in [("Last-Event-ID", "1\r\nX-Evil: 1"), ("Last-Event-ID", "a\u{0}"), ("Bad Name", "x"), ("", "x")] {
            await #expect(throws: HTTPRequest.InvalidHeader.self) {
                _ = try await transport.send(HTTPRequest(method: .GET, endpoint: endpoint, headers: [bad]))
            }
        }
        await transport.shutdown()
    }

    static func rawText(_ text: String) throws -> String {
        JSONValue.object(["text": .string(text)]).serialized()
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

/// A loopback socket that takes one request, keeps its head, answers 204
/// and closes (a server with no header check of its own).
final class RequestCapture: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let received = DispatchSemaphore(value: 0)
    private var bytes: [UInt8] = []

    init() throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = listener
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
        port = UInt16(bigEndian: addr.sin_port)
        Thread { self.serveOne() }.start()
    }

    private func serveOne() {
        let connection = accept(listener, nil, nil)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !bytes.suffix(4).elementsEqual("\r\n\r\n".utf8) {
            let n = read(connection, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        let answer = Array("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".utf8)
        _ = write(connection, answer, answer.count)
        close(connection)
        close(listener)
        received.signal()
    }

    /// The request head (waits for it, 10 s at most).
    func head() -> [UInt8] {
        _ = received.wait(timeout: .now() + 10)
        return bytes
    }
}
