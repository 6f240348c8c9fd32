#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The simulator's HTTP server: PROTOCOL.md on loopback (enroll, event
/// stream, reports), uploads, and a small control API for tests and demos.
struct SimulatorServer {
    let state: SimulatorState
    let host: String
    let port: Int
    let tls: NIOSSLContext?
    /// Upload targets, when an S3 endpoint was given.
    var uploads: SimulatorUploads?

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    func run(ready: @Sendable (Int) -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tlsContext = tls
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        ready(server.channel.localAddress?.port ?? port)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { try? await self.handle(connection) }
                }
            }
        }
    }

    struct Request {
        var method: HTTPMethod
        var path: String
        var headers: HTTPHeaders
        var body: [UInt8]
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    func handle(_ connection: Connection) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            guard case .head(let head)? = try await iterator.next() else { return }
            var body: [UInt8] = []
            loop: while let part = try await iterator.next() {
                switch part {
                case .body(let buffer):
                    body += buffer.readableBytesView
                    if body.count > 64 << 20 { break loop }
                case .end: break loop
                case .head: continue
                }
            }
            let request = Request(method: head.method, path: head.uri, headers: head.headers, body: body)
            try await route(request, outbound)
        }
    }

    // MARK: - Routing

    func route(_ request: Request, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let path = String(request.path.split(separator: "?", maxSplits: 1).first ?? "")
        let parts = path.split(separator: "/").map(String.init)
        let device = state.deviceID
        let method = request.method
        if method == .POST, parts == ["v1", "enroll"] {
            let (status, body, location) = await state.enroll(request.json ?? .null)
            return try await respond(out, status, body, location: location)
        }
        if method == .GET, parts == ["v1", "devices", device, "events"] || parts == ["redirected", "v1", "devices", device, "events"] {
            return try await events(request, out, redirected: parts[0] == "redirected")
        }
        if method == .POST, parts == ["v1", "devices", device, "reports"] {
            guard await state.authorized(request.headers.first(name: "Authorization")) else { return try await respond(out, 401, ["error": .string("unauthorized")]) }
            if let status = await state.faults.reportsStatus { return try await respond(out, status, ["error": .string("fault injected")]) }
            guard case .array(let items)? = request.json?["items"] else { return try await respond(out, 400, ["error": .string("items is required")]) }
            let ack = await state.receiveReports(items)
            return try await respond(out, 200, ["ack_seq": .int(ack)])
        }
        if method == .POST, parts == ["v1", "devices", device, "uploads"] {
            guard await state.authorized(request.headers.first(name: "Authorization")) else { return try await respond(out, 401, ["error": .string("unauthorized")]) }
            return try await uploadTarget(request, out)
        }
        if method == .PUT, parts.count == 2, parts[0] == "uploads" {
            await state.upload(parts[1], bytes: request.body.count)
            return try await respond(out, 200, ["bytes": .int(Int64(request.body.count))])
        }
        if parts.first == "control", parts.count >= 2 {
            return try await control(request, parts, out)
        }
        try await respond(out, 404, ["error": .string("not found: \(request.method) \(path)")])
    }

    func control(_ request: Request, _ parts: [String], _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let body = request.json ?? .object([:])
        switch (request.method, parts[1]) {
        case (.POST, "desired"):
            let (id, revision) = await state.appendDesired(body)
            try await respond(out, 200, ["id": .int(Int64(id)), "revision": .int(revision)])
        case (.POST, "command"):
            let id = await state.appendCommand(body)
            try await respond(out, 200, ["id": .int(Int64(id))])
        case (.POST, "commands"):
            // {"count": N, "template": {command without id}}: N commands at once.
            let count = Int(body["count"]?.int64Value ?? 0)
            var last = 0
            for _ in 0..<count { last = await state.appendCommand(body["template"] ?? .object([:])) }
            try await respond(out, 200, ["last_id": .int(Int64(last))])
        case (.POST, "event"):
            let id = await state.append(type: body["type"]?.stringValue ?? "message", data: body["data"]?.stringValue ?? "")
            try await respond(out, 200, ["id": .int(Int64(id))])
        case (.POST, "raw"):
            await state.writeRaw(body["text"]?.stringValue ?? "")
            try await respond(out, 200, [:])
        case (.POST, "drop"):
            await state.closeAll()
            try await respond(out, 200, [:])
        case (.POST, "faults"):
            await state.setFaults(body)
            try await respond(out, 200, ["faults": await state.faults.json])
        case (.POST, "revoke"):
            await state.revoke()
            try await respond(out, 200, [:])
        case (.POST, "token"):
            await state.setToken(body["token"]?.stringValue ?? "")
            try await respond(out, 200, [:])
        case (.POST, "upload_faults"):
            await state.setUploadFaults(body)
            try await respond(out, 200, [:])
        case (.GET, "uploads"):
            try await respond(out, 200, await state.uploadRequestsJSON)
        case (.GET, "reports"):
            try await respond(out, 200, await state.reportsJSON)
        case (.GET, "stats"):
            try await respond(out, 200, await state.statsJSON)
        case (.GET, "events") where parts.count == 3:
            guard let id = Int(parts[2]), let json = await state.eventJSON(id) else { return try await respond(out, 404, ["error": .string("no such event")]) }
            try await respond(out, 200, json)
        default:
            try await respond(out, 404, ["error": .string("unknown control request")])
        }
    }

    /// `POST /v1/devices/{id}/uploads`, with the upload faults; every request is logged.
    func uploadTarget(_ request: Request, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let now = WallClock.nowMilliseconds()
        let fault = await state.takeUploadFault(request.json)
        guard let uploads else {
            await state.noteUploadAnswer(fault.index, status: 501)
            return try await respond(out, 501, ["error": .string("no S3 endpoint configured (--s3-endpoint)")])
        }
        if let status = fault.status { return try await respond(out, status, ["error": .string("fault injected")]) }
        // Two hours back with one-hour URLs: expired for S3, while expires_at says an hour ahead.
        let answer = await uploads.answer(request.json, device: state.deviceID, signedAtMs: fault.expire ? now - 7_200_000 : now, nowMs: now)
        await state.noteUploadAnswer(fault.index, status: answer.status)
        try await respond(out, answer.status, answer.body)
    }

    // MARK: - The event stream

    func events(_ request: Request, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, redirected: Bool) async throws {
        await state.noteHeaders(request.headers.map { ($0.name, $0.value) })
        guard await state.authorized(request.headers.first(name: "Authorization")) else {
            return try await respond(out, 401, ["error": .string("unauthorized")])
        }
        let faults = await state.faults
        if try await answeredByFault(faults, request, out, redirected: redirected) { return }
        var head = HTTPResponseHead(version: .http1_1, status: .ok)
        head.headers.add(name: "Content-Type", value: faults.contentType ?? "text/event-stream; charset=utf-8")
        head.headers.add(name: "Cache-Control", value: "no-cache")
        try await out.write(.head(head))

        let (streamID, stream) = await state.register(lastEventID: request.headers.first(name: "Last-Event-ID"))
        do {
            try await pump(stream, streamID: streamID, faults: faults, out)
        } catch {
            await state.unregister(streamID)
            throw error
        }
        await state.unregister(streamID)
    }

    /// A redirect or an error status instead of the stream, when a fault asks for one.
    private func answeredByFault(_ faults: SimulatorState.Faults, _ request: Request, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
                                 redirected: Bool) async throws -> Bool {
        if faults.redirect && !redirected {
            var head = HTTPResponseHead(version: .http1_1, status: .temporaryRedirect)
            head.headers.add(name: "Location", value: "/redirected\(request.path)")
            head.headers.add(name: "Content-Length", value: "0")
            try await out.write(.head(head))
            try await out.write(.end(nil))
            return true
        }
        guard let status = faults.eventsStatus else { return false }
        if status == 204 {
            var head = HTTPResponseHead(version: .http1_1, status: .noContent)
            head.headers.add(name: "Connection", value: "close")
            try await out.write(.head(head))
            try await out.write(.end(nil))
        } else {
            try await respond(out, status, ["error": .string("fault injected")])
        }
        return true
    }

    /// Writes the stream's events (and pings, garbage, drops as the faults say) until it ends.
    private func pump(_ stream: AsyncStream<SimulatorState.Outgoing>, streamID: Int, faults: SimulatorState.Faults, _ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let state = state
        if let garbage = faults.garbageBytes {
            var bytes = (0..<garbage).map { _ in UInt8.random(in: 0...255) }.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
            bytes += Array("\n\n".utf8)
            try await out.write(.body(.byteBuffer(ByteBuffer(bytes: bytes))))
        }
        let ping = await state.pingInterval
        try await withThrowingTaskGroup(of: Void.self) { group in
            if !faults.stall {
                group.addTask {
                    while true {
                        try await Task.sleep(for: ping)
                        try await out.write(.body(.byteBuffer(ByteBuffer(string: ": ping\n\n"))))
                    }
                }
            }
            if let seconds = faults.dropEverySeconds {
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                    await state.unregister(streamID)
                }
            }
            group.addTask {
                for await outgoing in stream {
                    switch outgoing {
                    case .event(let id, let type, let data):
                        if faults.stall { continue }
                        try await out.write(.body(.byteBuffer(ByteBuffer(string: SimulatorServer.encode(id: id, type: type, data: data)))))
                        await state.noteWritten(id, atUs: SimulatorServer.nowMicroseconds())
                    case .raw(let text):
                        try await out.write(.body(.byteBuffer(ByteBuffer(string: text))))
                    case .ping:
                        try await out.write(.body(.byteBuffer(ByteBuffer(string: ": ping\n\n"))))
                    case .close:
                        return
                    }
                }
            }
            // The first task to end (close, drop, write failure) ends the stream.
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// One event; without `id` it leaves the client's last event id as it is.
    static func encode(id: Int?, type: String, data: String) -> String {
        var text = (id.map { "id: \($0)\n" } ?? "") + "event: \(type)\n"
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        return text + "\n"
    }

    static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    func respond(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, _ status: Int, _ body: [String: JSONValue]) async throws {
        try await respond(out, status, JSONValue.object(body))
    }

    func respond(_ out: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, _ status: Int, _ body: JSONValue, location: String? = nil) async throws {
        let text = body.serialized()
        var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status))
        if let location { head.headers.add(name: "Location", value: location) }
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(text.utf8.count))
        head.headers.add(name: "Connection", value: "close")
        try await out.write(.head(head))
        try await out.write(.body(.byteBuffer(ByteBuffer(string: text))))
        try await out.write(.end(nil))
    }
}
