import CamgateCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Platform

/// A request of the cloud link or of MediaMTX's API.
public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable {
        case GET, HEAD, POST, PUT, PATCH, DELETE
    }

    public var method: Method
    public var endpoint: Endpoint
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// A body streamed from a file range instead (an upload part): read in
    /// chunks as the connection takes them, never whole in memory.
    public var fileBody: FileBody?

    public init(method: Method, endpoint: Endpoint, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.endpoint = endpoint
        self.headers = headers
        self.body = body
    }

    /// `length` bytes of `path` from `offset`, sent with that Content-Length.
    public struct FileBody: Sendable {
        public var path: String
        public var offset: Int64
        public var length: Int64
        public var chunkSize: Int
        /// Awaited before each chunk with its size (a bandwidth cap).
        public var pace: (@Sendable (Int) async throws -> Void)?
        /// Bytes handed to the connection so far.
        public var progress: (@Sendable (Int64) -> Void)?

        /// 120 KiB: half the hops of 64 KiB per part, and under the agent's
        /// 128 KiB malloc mmap threshold (Memory.tuneAllocator), so a chunk
        /// is reused heap, not a fresh mapping each time.
        public static let defaultChunkSize = 120 << 10

        public init(path: String, offset: Int64 = 0, length: Int64, chunkSize: Int = FileBody.defaultChunkSize,
                    pace: (@Sendable (Int) async throws -> Void)? = nil, progress: (@Sendable (Int64) -> Void)? = nil) {
            self.path = path
            self.offset = offset
            self.length = length
            self.chunkSize = chunkSize
            self.pace = pace
            self.progress = progress
        }
    }

    /// The file ended before `length` bytes (it was truncated under us).
    public struct FileBodyShort: Error, CustomStringConvertible {
        public var path: String
        public var expected: Int64
        public var got: Int64
        public var description: String { "\(path) ended after \(got) of \(expected) bytes to send" }
    }
}

extension HTTPRequest {
    /// A header no request can carry.
    public struct InvalidHeader: Error, CustomStringConvertible, Sendable {
        public var name: String
        public var description: String {
            "the \(CameraID.quoted(name)) header cannot be sent: a name must be an HTTP token and a value cannot hold CR, LF or NUL"
        }
    }

    /// Fetch's rule for a header: the name is a token, the value holds no
    /// CR, LF or NUL. Everything else goes out as is — non-ASCII as UTF-8,
    /// other control characters too: an SSE last event id may hold them
    /// (WHATWG excludes only NUL) and must be sent back unchanged. NIO's
    /// own check, stricter, is turned off for this reason and this one
    /// runs before connecting.
    static func validate(_ headers: [(String, String)]) throws(InvalidHeader) {
        for (name, value) in headers {
            let token = !name.isEmpty && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
            guard token, !value.utf8.contains(where: { $0 == 0 || $0 == 0x0A || $0 == 0x0D }) else { throw InvalidHeader(name: name) }
        }
    }
}

/// A response's status and headers.
public struct HTTPResponseStart: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    /// The first value of `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// No byte arrived for the idle limit.
public struct IdleTimeout: Error, CustomStringConvertible {
    public var description: String { "no data from the server for the idle limit" }
}

/// HTTP/1.1 over SwiftNIO (its API shows no NIO type), one request per connection, TLS with certificate
/// verification for https (NIOSSL, system trust roots plus an optional CA
/// file). Written on NIO directly: AsyncHTTPClient alone would take most of
/// the binary budget (docs/cloud-link.md).
public final class HTTPTransport: Sendable {
    /// The event loop, started at the first request (never in an initializer).
    private let loop = NIOLockedValueBox<MultiThreadedEventLoopGroup?>(nil)
    private let closed = NIOLockedValueBox(false)
    let tlsContext: NIOSSLContext?

    /// A transport with its own single event-loop thread (the agent's whole
    /// network I/O is one SSE stream and small POSTs), started when first used.
    /// - Parameter caFile: extra trust roots (PEM), for a private cloud.
    public init(caFile: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        if let caFile {
            tls.additionalTrustRoots = [.file(caFile)]
        }
        self.tlsContext = try NIOSSLContext(configuration: tls)
    }

    var group: any EventLoopGroup {
        get throws {
            try loop.withLockedValue { group in
                if let group { return group }
                guard !closed.withLockedValue({ $0 }) else { throw ConnectionClosed() }
                let created = MultiThreadedEventLoopGroup(numberOfThreads: 1)
                group = created
                return created
            }
        }
    }

    /// Stops the event loop, when one was started.
    public func shutdown() async {
        closed.withLockedValue { $0 = true }
        let group = loop.withLockedValue { group in
            defer { group = nil }
            return group
        }
        try? await group?.shutdownGracefully()
    }

    /// Sends `request` and hands the response head and its body chunks to
    /// `body`; the connection is closed when `body` returns. A read idle for
    /// `idleTimeout` fails the body sequence with `IdleTimeout`.
    public func execute<T: Sendable>(
        _ request: HTTPRequest,
        connectTimeout: Duration = .seconds(10),
        idleTimeout: Duration,
        _ body: @Sendable (HTTPResponseStart, inout HTTPBodyReader) async throws -> T
    ) async throws -> T {
        let endpoint = request.endpoint
        try HTTPRequest.validate(request.headers + [("Host", endpoint.hostHeader)])
        let tls = endpoint.secure ? tlsContext : nil
        let channel = try await ClientBootstrap(group: try group)
            .connectTimeout(.nanoseconds(connectTimeout.nanoseconds))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: endpoint.host, port: endpoint.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.hostIsIPAddress ? nil : endpoint.host))
                    }
                    try sync.addHandler(IdleStateHandler(readTimeout: .nanoseconds(idleTimeout.nanoseconds)))
                    try sync.addHandler(FailOnIdleHandler())
                    try sync.addHTTPClientHandlers(enableOutboundHeaderValidation: false)  // HTTPRequest.validate instead
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method.rawValue), uri: endpoint.path)
            head.headers.add(name: "Host", value: endpoint.hostHeader)
            head.headers.add(name: "User-Agent", value: "camgate/\(CamgateCore.version)")
            for (name, value) in request.headers { head.headers.add(name: name, value: value) }
            if let file = request.fileBody {
                head.headers.add(name: "Content-Length", value: String(file.length))
            } else if let bytes = request.body {
                head.headers.add(name: "Content-Length", value: String(bytes.count))
            }
            head.headers.add(name: "Connection", value: "close")
            try await HTTPTransport.write(head, request, to: outbound, channel: channel.channel)

            var iterator = inbound.makeAsyncIterator()
            var start: HTTPResponseStart?
            while start == nil {
                switch try await iterator.next() {
                case .head(let responseHead)?:
                    // 1xx interim responses are skipped.
                    if responseHead.status.code >= 200 {
                        start = HTTPResponseStart(status: Int(responseHead.status.code), headers: responseHead.headers.map { ($0.name, $0.value) })
                    }
                case .body?, .end?:
                    continue
                case nil:
                    throw ConnectionClosed()
                }
            }
            var reader = HTTPBodyReader(iterator: iterator)
            return try await body(start!, &reader)
        }
    }

    /// The request: head, body and end in one write for an in-memory body
    /// (written part by part, a server that answers and closes as soon as
    /// it has the body could make the last write fail, I/O on closed
    /// channel, after it had taken the request; the request would then be
    /// sent twice); a file body streamed between head and end, all written
    /// on the channel itself (`stream`).
    static func write(_ head: HTTPRequestHead, _ request: HTTPRequest, to outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>,
                      channel: any Channel) async throws {
        if let file = request.fileBody {
            try await channel.writeAndFlush(HTTPClientRequestPart.head(head)).get()
            try await stream(file, to: channel)
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
            return
        }
        var parts: [HTTPClientRequestPart] = [.head(head)]
        if let bytes = request.body { parts.append(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
        parts.append(.end(nil))
        try await outbound.write(contentsOf: parts)
    }

    /// Writes a file range chunk by chunk, each read straight into a buffer
    /// of `ChunkBuffers`, with at most `ChunkBuffers.inFlight` writes not yet
    /// taken by the socket: a buffer is filled again only once its write is
    /// done, so no chunk is allocated anew, whatever the speed. (Through
    /// the async writer, which gives no completion, a fast sender allocated
    /// a fresh buffer per chunk: RssAnon +5 MB while uploading.) The socket
    /// buffer keeps the server fed meanwhile.
    static func stream(_ file: HTTPRequest.FileBody, to channel: any Channel) async throws {
        let reader = try FileReader(file.path)
        var buffers = ChunkBuffers(chunkSize: max(1, file.chunkSize))
        var inFlight: [EventLoopFuture<Void>] = []
        var sent: Int64 = 0
        while sent < file.length {
            if inFlight.count >= ChunkBuffers.inFlight { try await inFlight.removeFirst().get() }
            let count = Int(min(Int64(buffers.chunkSize), file.length - sent))
            let chunk = try buffers.fill(count) { try reader.read(at: file.offset + sent, into: $0) }
            guard chunk.readableBytes == count else {
                throw HTTPRequest.FileBodyShort(path: file.path, expected: file.length, got: sent + Int64(chunk.readableBytes))
            }
            try await file.pace?(count)
            inFlight.append(channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(chunk))))
            sent += Int64(count)
            file.progress?(sent)
        }
        for write in inFlight { try await write.get() }
    }

    /// A request whose whole response body (at most `limit` bytes) is returned.
    public func send(_ request: HTTPRequest, timeout: Duration = .seconds(30), limit: Int = 64 * 1024) async throws -> (status: Int, body: [UInt8]) {
        try await execute(request, idleTimeout: timeout) { start, reader in
            var bytes: [UInt8] = []
            while let chunk = try await reader.next() {
                guard bytes.count + chunk.count <= limit else { throw ResponseTooLarge(limit: limit) }
                bytes += chunk
            }
            return (start.status, bytes)
        }
    }

    /// A transport error in words (TLS and socket errors named, URLs redacted).
    public static func describe(_ error: any Error) -> String {
        if let tls = error as? NIOSSLError {
            let text = "\(tls)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return "TLS handshake failed: the server certificate could not be verified" }
            return "TLS error: \(text.prefix(200))"
        }
        if let io = error as? IOError { return "\(io.description)" }
        return Redactor.redact("\(error)")
    }

    public struct ConnectionClosed: Error, CustomStringConvertible {
        public var description: String { "the server closed the connection before answering" }
    }

    public struct ResponseTooLarge: Error, CustomStringConvertible {
        public var limit: Int
        public init(limit: Int) { self.limit = limit }
        public var description: String { "the response is larger than \(limit) bytes" }
    }
}

/// The chunks of a streamed body, each read straight from the file into
/// one of a few buffers used in turn: no zero-fill, no second copy, no
/// fresh heap pages per chunk. A buffer still held elsewhere is not written
/// over (`clear` would give it new storage then; `stream` waits for its
/// write first, so that does not happen).
struct ChunkBuffers {
    /// Writes of a file body the socket has not taken yet, at most.
    static let inFlight = 2

    let chunkSize: Int
    private var ring: [ByteBuffer]
    private var turn = 0

    init(chunkSize: Int) {
        self.chunkSize = chunkSize
        ring = Array(repeating: ByteBuffer(), count: ChunkBuffers.inFlight + 1)
    }

    /// The next buffer, holding what `read` put in its first `count` bytes.
    mutating func fill(_ count: Int, _ read: (UnsafeMutableRawBufferPointer) throws -> Int) throws -> ByteBuffer {
        var buffer = ring[turn]
        ring[turn] = ByteBuffer()  // so that ours is the only reference the connection does not hold
        buffer.clear(minimumCapacity: chunkSize)
        _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { try read(UnsafeMutableRawBufferPointer(rebasing: $0.prefix(count))) }
        ring[turn] = buffer
        turn = (turn + 1) % ring.count
        return buffer
    }
}

/// The body of a response, chunk by chunk; nil at its end.
public struct HTTPBodyReader {
    var iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    var finished = false

    public mutating func next() async throws -> [UInt8]? {
        guard !finished else { return nil }
        while true {
            switch try await iterator.next() {
            case .body(let buffer)?:
                return Array(buffer.readableBytesView)
            case .head?:
                continue
            case .end?, nil:
                finished = true
                return nil
            }
        }
    }
}

/// Turns the IdleStateHandler's read-idle event into an error (and a close),
/// so the reader of the stream sees why it ended.
final class FailOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(IdleTimeout())
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
