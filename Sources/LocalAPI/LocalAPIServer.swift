#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Platform
import ServiceLifecycle

/// The local API's HTTP/1.1 server (NIOHTTP1): a Unix socket, always, and
/// optionally a TCP listener that wants a bearer token. Each connection is
/// served by a child task of `run()`; nothing outlives it.
public struct LocalAPIServer: Service {
    public struct Configuration: Sendable {
        /// The Unix socket; created 0660 (group `socketGroup` when it exists).
        public var socketPath: String
        public var socketGroup: String? = "camgate"
        /// The TCP listener, off when nil.
        public var tcp: (host: String, port: Int)?
        /// The bearer token every TCP request needs (but `GET /`).
        public var token: String?
        public var maxBodyBytes = 1 << 20
        /// A whole request must arrive within this, from when the server waits for it.
        public var requestTimeout: TimeAmount = .seconds(10)
        /// Connections served at once; more are closed as they arrive.
        public var maxConnections = 512

        public init(socketPath: String) {
            self.socketPath = socketPath
        }
    }

    let configuration: Configuration
    let handler: any APIHandler
    let logger: Logger
    let active = NIOLockedValueBox(0)

    public init(configuration: Configuration, handler: any APIHandler, logger: Logger) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
    }

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Listener = NIOAsyncChannel<Connection, Never>

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func serve(on group: EventLoopGroup) async throws {
        var listeners: [(Listener, Bool)] = []
        do {
            listeners.append((try await bindSocket(group), false))
            if let tcp = configuration.tcp { listeners.append((try await bindTCP(group, host: tcp.host, port: tcp.port), true)) }
        } catch {
            for (listener, _) in listeners { try? await listener.channel.close() }
            throw error
        }
        let tcp = configuration.tcp.map { " and \($0.host):\($0.port)" } ?? ""
        logger.info("api: listening on \(configuration.socketPath)\(tcp)")
        let channels = listeners.map(\.0.channel)
        defer { unlink(configuration.socketPath) }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                for (listener, viaTCP) in listeners {
                    tasks.addTask { try await accept(listener, viaTCP: viaTCP) }
                }
            }
        } onGracefulShutdown: {
            for channel in channels { channel.close(promise: nil) }
        }
    }

    private func accept(_ listener: Listener, viaTCP: Bool) async throws {
        try await withThrowingDiscardingTaskGroup { connections in
            defer { connections.cancelAll() }
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    let admitted = active.withLockedValue { count in
                        guard count < configuration.maxConnections else { return false }
                        count += 1
                        return true
                    }
                    guard admitted else {
                        connection.channel.close(promise: nil)
                        continue
                    }
                    connections.addTask {
                        defer { active.withLockedValue { $0 -= 1 } }
                        await serve(connection, viaTCP: viaTCP)
                    }
                }
            }
        }
    }

    private func childInitializer(_ channel: Channel) -> EventLoopFuture<Connection> {
        let timeout = configuration.requestTimeout
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(RequestDeadlineHandler(timeout: timeout))
            return try Connection(wrappingChannelSynchronously: channel)
        }
    }

    private func bindTCP(_ group: EventLoopGroup, host: String, port: Int) async throws -> Listener {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { childInitializer($0) }
    }

    private func bindSocket(_ group: EventLoopGroup) async throws -> Listener {
        let path = configuration.socketPath
        try FileSystem.createDirectories(FileSystem.parent(of: path), mode: 0o750)
        try await SocketFile.takeOver(path)
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: false) { childInitializer($0) }
        try SocketFile.restrict(path, group: configuration.socketGroup)
        return listener
    }
}
