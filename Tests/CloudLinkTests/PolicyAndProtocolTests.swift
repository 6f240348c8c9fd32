import Testing
import CamgateCore
@testable import CloudLink

@Suite struct ReconnectPolicyTests {
    @Test func stopsOn204AndOnARejectedToken() {
        var policy = ReconnectPolicy()
        #expect(policy.decide(after: .status(204), random: 0.5) == .stop(.noContent))
        #expect(policy.decide(after: .status(401), random: 0.5) == .stop(.credentialRejected))
        #expect(policy.decide(after: .status(403), random: 0.5) == .stop(.credentialRejected))
    }

    @Test func backsOffWithFullJitterBetweenOneAndSixtySeconds() {
        for r in [0.0, 0.3, 0.999] {
            var policy = ReconnectPolicy()
            var caps: [Duration] = []
            for _ in 0..<10 {
                guard case .reconnect(let d) = policy.decide(after: .status(503), random: r) else { Issue.record("no reconnect"); return }
                #expect(d >= .seconds(1) && d <= .seconds(60))
                caps.append(d)
            }
            if r > 0.9 { #expect(caps.last! > .seconds(59), "the cap grows to 60 s") }
        }
    }

    /// Jitter from the first attempt: a fleet cut off in the same instant
    /// does not come back in the same instant.
    @Test func theFirstReconnectIsJitteredToo() {
        let first = [0.0, 0.5, 0.999].map { r -> Duration in
            var policy = ReconnectPolicy()
            guard case .reconnect(let d) = policy.decide(after: .networkError("x"), random: r) else { return .zero }
            return d
        }
        #expect(first[0] == .seconds(1) && first[1] == .milliseconds(1500) && first[2] > .milliseconds(1990) && first[2] <= .seconds(2))
    }

    @Test func everyFailureKindReconnects() {
        let outcomes: [StreamOutcome] = [.networkError("refused"), .status(500), .status(502), .wrongContentType("text/html"),
                                         .idleTimeout, .eventTooLarge, .ended(receivedEvents: false)]
        for outcome in outcomes {
            var policy = ReconnectPolicy()
            guard case .reconnect = policy.decide(after: outcome, random: 0.5) else { Issue.record("\(outcome) did not reconnect"); continue }
        }
    }

    @Test func onlyNewEventsOrAStableConnectionStartTheScheduleOver() {
        var policy = ReconnectPolicy()
        for _ in 0..<6 { _ = policy.decide(after: .networkError("x"), random: 0.99) }
        #expect(policy.failures == 6)
        // A server that accepts, re-sends what the agent has, and drops: still backing off.
        _ = policy.decide(after: .ended(receivedEvents: true), random: 0.99)
        #expect(policy.failures == 7)
        #expect(!ReconnectPolicy.startsOver(newEvents: false, connectedFor: .seconds(2)))
        #expect(!ReconnectPolicy.startsOver(newEvents: false, connectedFor: nil))
        #expect(ReconnectPolicy.startsOver(newEvents: true, connectedFor: .milliseconds(10)))
        #expect(ReconnectPolicy.startsOver(newEvents: false, connectedFor: .seconds(30)))
        policy.connected()
        #expect(policy.failures == 0)
    }

    @Test func retryHintIsHonouredWithinBounds() {
        var policy = ReconnectPolicy()
        policy.serverAsked(retryMilliseconds: 10)
        #expect(policy.retryHint == .seconds(1))
        policy.serverAsked(retryMilliseconds: 10_000_000)
        #expect(policy.retryHint == .seconds(60))
        policy.serverAsked(retryMilliseconds: 5000)
        guard case .reconnect(let d) = policy.decide(after: .status(500), random: 0) else { Issue.record("no reconnect"); return }
        #expect(d == .seconds(5), "the server's retry raises the floor")
    }

    @Test func followsAtMostFiveRedirectsInARow() throws {
        var policy = ReconnectPolicy()
        let target = try Endpoint(parsing: "https://cloud.example/next")
        for _ in 0..<5 { #expect(policy.decide(after: .redirect(target), random: 0.5) == .follow(target)) }
        guard case .reconnect = policy.decide(after: .redirect(target), random: 0.5) else { Issue.record("a sixth redirect was followed"); return }
    }
}

@Suite struct EndpointTests {
    @Test func parsesHTTPSAndLoopbackHTTP() throws {
        let e = try Endpoint(parsing: "https://cloud.example.com/base")
        #expect(e.secure && e.host == "cloud.example.com" && e.port == 443 && e.path == "/base")
        #expect(e.appending(path: "/v1/devices/d/events").path == "/base/v1/devices/d/events")
        let query = try Endpoint(parsing: "https://cloud.example.com/base?tenant=7")
        #expect(query.appending(path: "/v1/devices/d/events").path == "/base/v1/devices/d/events?tenant=7")
        let local = try Endpoint(parsing: "http://127.0.0.1:8787")
        #expect(!local.secure && local.port == 8787 && local.path == "/")
        #expect(try Endpoint(parsing: "http://[::1]:9/x").host == "::1")
        #expect(try Endpoint(parsing: "http://localhost").isLoopback)
    }

    @Test(arguments: ["http://cloud.example.com", "http://10.0.0.1:80", "http://127.attacker.example/", "http://127.0.0.1.nip.io/", "ftp://x",
                      "https://user:pw@cloud.example/", "https://", "https://host:99999", "https://a b"])
    func rejectsUnsafeOrMalformedEndpoints(_ text: String) {
        #expect(throws: ConfigurationError.self) { try Endpoint(parsing: text) }
    }

    @Test func originsAreSchemeHostAndPort() throws {
        let e = try Endpoint(parsing: "https://cloud.example/v1")
        #expect(e.sameOrigin(try e.resolving("/v2")))
        #expect(!e.sameOrigin(try Endpoint(parsing: "https://other.example/v1")))
        #expect(!e.sameOrigin(try Endpoint(parsing: "https://cloud.example:8443/v1")))
        #expect(try Endpoint(parsing: "http://127.0.0.1:8787").isLoopback && !(try Endpoint(parsing: "https://127.example/")).isLoopback)
    }

    @Test func resolvesRedirectLocations() throws {
        let e = try Endpoint(parsing: "https://cloud.example/v1/devices/d/events")
        #expect(try e.resolving("/v2/events").description == "https://cloud.example/v2/events")
        #expect(try e.resolving("https://other.example/x").host == "other.example")
        #expect(throws: ConfigurationError.self) { try e.resolving("http://evil.example/x") }
    }
}

@Suite struct CloudProtocolTests {
    @Test func decodesACommand() throws {
        let message = try CloudProtocol.decode(type: "command", data: #"{"id": "c-91f2", "type": "snapshot", "camera": "front", "args": {"upload_url": "https://u"}, "expires_at": "2026-11-22T10:30:00Z"}"#)
        guard case .command(let c)? = message else { Issue.record("not a command"); return }
        #expect(c.id == "c-91f2" && c.kind == .snapshot && c.camera?.rawValue == "front")
        #expect(c.args["upload_url"]?.stringValue == "https://u")
        #expect(c.isExpired(nowMs: 1_795_343_400_000) && !c.isExpired(nowMs: 1_795_343_399_999))
    }

    @Test func unknownEventTypesAreNotErrors() throws {
        #expect(try CloudProtocol.decode(type: "weather", data: "sunny") == nil)
    }

    @Test func unknownCommandTypesDecodeWithoutAKind() throws {
        guard case .command(let c)? = try CloudProtocol.decode(type: "command", data: #"{"id": "x", "type": "self_destruct"}"#) else { return }
        #expect(c.kind == nil && c.type == "self_destruct")
    }

    @Test(arguments: [
        ("command", "{not json", "not valid JSON"),
        ("command", #"{"type": "snapshot"}"#, "id: is required"),
        ("command", #"{"id": 5, "type": "snapshot"}"#, "id: expected a string"),
        ("command", #"{"id": "", "type": "snapshot"}"#, "id: must be"),
        ("command", #"{"id": "a\u0000b", "type": "snapshot"}"#, "id: must be"),
        ("command", #"{"id": "c", "type": "snapshot", "camera": "../x"}"#, "camera: camera id"),
        ("command", #"{"id": "c", "type": "snapshot", "expires_at": "tomorrow"}"#, "expires_at: expected an RFC 3339"),
        ("command", #"{"id": "c", "type": "snapshot", "args": [1]}"#, "args: expected an object"),
        ("desired", #"{"revision": "nine"}"#, "revision: expected an integer"),
        ("desired", #"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "rtsp://x/$(reboot)\n"}}}}"#, "cameras.a.source.url"),
        ("url_update", #"{"camera": "gate"}"#, "needs rtsp_url, rtmp_url or both"),
        ("url_update", #"{"camera": "gate", "rtsp_url": "http://x/y"}"#, "rtsp_url: URL scheme"),
        ("url_update", #"{"camera": "gate", "rtmp_url": "rtmp://x/a b"}"#, "rtmp_url: URL contains whitespace"),
        ("url_update", #"{"camera": "gate", "rtmp_url": "rtmp://x/a", "restart_required": "yes"}"#, "restart_required: expected true or false"),
    ])
    func rejectsMalformedEventsNamingTheField(_ type: String, _ data: String, _ expected: String) {
        do {
            _ = try CloudProtocol.decode(type: type, data: data)
            Issue.record("accepted \(data)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test func ackReportsAreRedacted() {
        let ack = Report.ack(commandID: "c", status: .failed, detail: "rtsp://u:pw@h/x refused", result: nil, atMs: 0)
        #expect(ack.json["detail"]?.stringValue == "rtsp://u:***@h/x refused")
        #expect(ack.json["status"]?.stringValue == "failed" && ack.json["kind"]?.stringValue == "ack")
    }
}
