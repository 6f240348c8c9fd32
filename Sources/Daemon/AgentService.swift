#if canImport(Glibc)
import Glibc
#endif
import CloudLink
import Hardware
import Logging
import Platform
import ServiceLifecycle
import Store
import Supervisor
import UnixSignals

/// The cloud side of the service: the event stream, the report uplink and
/// the bridge between them and the agent.
public struct CloudRunner: Sendable {
    public let client: EventStreamClient
    public let uplink: ReportUplink
    public let bridge: CloudBridge
    public let transport: HTTPTransport

    public init(configuration: CloudConfiguration, store: Store, agent: Agent, transport: HTTPTransport, logger: Logger) throws {
        self.transport = transport
        bridge = CloudBridge(store: store, agent: agent, layout: agent.options.layout, transport: transport, logger: logger)
        let token: @Sendable () -> String? = { configuration.readToken() }
        client = EventStreamClient(transport: transport, events: configuration.eventsEndpoint, token: token, sink: bridge, logger: logger)
        uplink = ReportUplink(transport: transport, reports: configuration.reportsEndpoint, token: token, source: bridge, logger: logger)
    }
}

/// The daemon as a `Service`: boots the agent, then runs its loops in one
/// task group (exit watching, backoff wake-ups, indexing, health, retention,
/// watchdog) until graceful shutdown, when it stops every child and closes
/// the last segments before returning.
public struct AgentService: Service {
    let agent: Agent
    let supervisor: Supervisor
    let store: Store
    let notifier: SystemdNotifier?
    let cloud: CloudRunner?
    let logger: Logger

    public init(agent: Agent, supervisor: Supervisor, store: Store, notifier: SystemdNotifier?, cloud: CloudRunner? = nil, logger: Logger) {
        self.agent = agent
        self.supervisor = supervisor
        self.store = store
        self.notifier = notifier
        self.cloud = cloud
        self.logger = logger
    }

    /// Signals whose default action would end the agent and leave its
    /// recorders unindexed, ignored from the very start (before the
    /// configuration is read): SIGPIPE — a closed socket or pipe (journald
    /// restarting, a client gone) must never kill the agent, a write fails
    /// with EPIPE instead — and SIGHUP, SIGUSR1, SIGUSR2, which `run` then
    /// traps to act on or log.
    public static let ignoredSignals: [Int32] = [SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2]

    public static func ignoreFatalSignals() throws(SystemError) {
        try Signals.ignore(ignoredSignals)
    }

    static func logIgnored(_ signals: UnixSignalsSequence, logger: Logger) async {
        for await signal in signals {
            logger.notice("received \(signal): ignored (the configuration is read at start: restart the agent to apply a change)")
        }
    }

    public func run() async throws {
        let agent = agent, supervisor = supervisor, options = agent.options, logger = logger
        do { try AgentService.ignoreFatalSignals() } catch { logger.error("signals: \(error)") }
        // `camgate cloud reconnect` (SIGUSR1): trapped from the start, so that
        // it can never end the agent (its default action would).
        let reconnectRequests = await UnixSignalsSequence(trapping: .sigusr1)
        let otherSignals = await UnixSignalsSequence(trapping: .sighup, .sigusr2)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await supervisor.run() }
            group.addTask { await AgentService.logIgnored(otherSignals, logger: logger) }
            group.addTask {
                for await exit in supervisor.exits { await agent.handle(exit) }
            }
            do {
                try await agent.boot()
            } catch {
                logger.critical("boot failed: \(error)")
                await agent.shutdown()
                throw error
            }
            notifier?.notify("READY=1\nSTATUS=recording")
            logger.info("agent ready")
            group.addTask { await agent.recoverAfterBoot() }

            group.addTask {
                await withDiscardingTaskGroup { sleepers in
                    for await instant in agent.wakeups {
                        sleepers.addTask {
                            guard (try? await Task.sleep(until: instant + .milliseconds(10), clock: .continuous)) != nil else { return }
                            await agent.reconcile(reason: "backoff elapsed")
                        }
                    }
                }
            }
            group.addTask { for await _ in agent.mediamtxRequests { await agent.syncMediaMTX() } }
            group.addTask { await every(options.indexInterval) { await agent.indexTick() } }
            group.addTask { await every(options.healthInterval) { await agent.healthTick() } }
            group.addTask {
                await agent.enforceRetention()
                await every(options.retentionInterval) { await agent.enforceRetention() }
            }
            if agent.options.hardware != nil {
                do {
                    let watcher = try HotplugWatcher()
                    group.addTask {
                        await withTaskCancellationHandler {
                            for await _ in watcher.changes { await agent.camerasChanged() }
                        } onCancel: {
                            watcher.shutdown()
                        }
                    }
                } catch {
                    logger.warning("hardware: no hotplug notifications (\(error)); cameras are re-read on the health tick")
                    group.addTask { await every(options.healthInterval) { await agent.camerasChanged() } }
                }
            }
            if let cloud {
                // Recording already runs: the cloud is connected after, never before.
                let uplink = cloud.uplink, client = cloud.client, bridge = cloud.bridge
                await bridge.onReportsQueued { uplink.flushSoon() }
                await bridge.onLinkUp { uplink.retryNow() }
                await agent.onReportsQueued { uplink.flushSoon() }
                await agent.onInventory { inventory in await bridge.reportDiscovered(inventory) }
                if let inventory = await agent.inventory { await bridge.reportDiscovered(inventory) }
                await bridge.handleUnprocessedEvents()
                await bridge.resumeUnfinishedCommands()
                group.addTask { await client.run() }
                group.addTask { await uplink.run() }
                group.addTask { await every(options.healthInterval) { await bridge.reportState() } }
                group.addTask {
                    // Leave a backoff or a stop now.
                    for await _ in reconnectRequests {
                        logger.info("cloud: reconnect requested")
                        client.reconnectNow()
                        uplink.retryNow()
                    }
                }
            } else {
                group.addTask {
                    for await _ in reconnectRequests { logger.info("cloud: reconnect requested, but no cloud link is configured") }
                }
            }
            if let notifier, let interval = notifier.watchdogInterval {
                group.addTask {
                    await every(interval) {
                        await agent.ping()
                        notifier.notify("WATCHDOG=1")
                    }
                }
            }

            // Runs until SIGTERM / SIGINT (or the task is cancelled).
            try? await gracefulShutdown()
            notifier?.notify("STOPPING=1")
            await agent.shutdown()
            group.cancelAll()
        }
        await supervisor.shutdown()
        await cloud?.transport.shutdown()
        await store.close()
        logger.info("agent stopped")
    }
}

/// Calls `body` every `interval` until the task is cancelled.
func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
    while true {
        do { try await Task.sleep(for: interval) } catch { return }
        await body()
    }
}
