import CamgateCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The CLI's side of the local API: one request per connection over the
/// Unix socket (tailscale's LocalAPI pattern). Its API shows no NIO types.
public struct LocalAPIClient: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public var json: JSONValue? { try? JSONValue.parse(body) }

        /// The `{"error": {"message"}}` of a failed request, or the status.
        public var errorMessage: String {
            json?["error"]?["message"]?.stringValue ?? "HTTP \(status)"
        }
    }

    /// No agent answers on the socket (not running, or another path).
    public struct Unreachable: Error, CustomStringConvertible, Sendable {
        public var socketPath: String
        public var reason: String
        public var description: String { "no agent answers at \(socketPath): \(reason)" }
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public let socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .seconds(60)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    private typealias Connection = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    public func request(_ method: String, _ path: String, json: JSONValue? = nil) async throws -> Response {
        let connection: Connection
        do {
            connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Unreachable(socketPath: socketPath, reason: "\(error)")
        }
        let body = json.map { Array($0.serialized().utf8) }
        let limit = timeout
        return try await withThrowingTaskGroup(of: Response?.self) { group in
            group.addTask { try await Self.exchange(connection, method: method, path: path, body: body) }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                connection.channel.close(promise: nil)
                throw Failure(description: "the agent did not answer \(method) \(path) within \(limit)")
            }
            return response
        }
    }

    private static func exchange(_ connection: Connection, method: String, path: String, body: [UInt8]?) async throws -> Response {
        try await connection.executeThenClose { inbound, outbound in
            var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
            head.headers.add(name: "host", value: "localhost")
            head.headers.add(name: "connection", value: "close")
            if let body {
                head.headers.add(name: "content-type", value: "application/json")
                head.headers.add(name: "content-length", value: String(body.count))
            }
            try await outbound.write(.head(head))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))
            var response = Response(status: 0, headers: [], body: [])
            for try await part in inbound {
                switch part {
                case .head(let h):
                    response.status = Int(h.status.code)
                    response.headers = h.headers.map { ($0.name, $0.value) }
                case .body(let chunk):
                    response.body.append(contentsOf: chunk.readableBytesView)
                case .end:
                    return response
                }
            }
            throw Failure(description: "the agent closed the connection before answering \(method) \(path)")
        }
    }
}

/// Where the API socket is: `/run/camgate/api.sock` for the system agent
/// (the default data directory), `DATA/api.sock` for any other; a path too
/// long for a socket address moves to /tmp under a hash of the data directory.
public enum APISocketPath {
    public static let systemDataDirectory = "/var/lib/camgate"
    public static let systemSocket = "/run/camgate/api.sock"

    public static func resolve(dataDirectory: String) -> String {
        if dataDirectory == systemDataDirectory { return systemSocket }
        let path = "\(dataDirectory)/api.sock"
        guard path.utf8.count >= 100 else { return path }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in dataDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return "/tmp/camgate-api-\(String(hash, radix: 16)).sock"
    }
}
