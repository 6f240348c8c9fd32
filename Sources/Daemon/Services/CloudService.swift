import CloudLink
import Hardware
import Logging
import ServiceLifecycle
import Store
import UnixSignals

/// The cloud side: the event stream, the report uplink and the bridge
/// between them and the agent.
public struct CloudRunner: Sendable {
    public let client: EventStreamClient
    public let uplink: ReportUplink
    public let bridge: CloudBridge

    public init(configuration: CloudConfiguration, store: Store, agent: Agent, hardware: any HardwareControl, transport: HTTPTransport, logger: Logger) throws {
        bridge = CloudBridge(store: store, agent: agent, hardware: hardware, layout: agent.options.layout, transport: transport, logger: logger)
        let token: @Sendable () -> String? = { configuration.readToken() }
        client = EventStreamClient(transport: transport, events: configuration.eventsEndpoint, token: token, sink: bridge, logger: logger)
        uplink = ReportUplink(transport: transport, reports: configuration.reportsEndpoint, token: token, source: bridge, logger: logger)
    }
}

/// The owner of the cloud link as a `Service`: connects only once the agent
/// has booted (recording never waits for the network), then runs the event
/// stream, the uplink, the periodic state report, `discovered` reports of
/// new inventories and reconnect requests (SIGUSR1, the API) until shutdown.
public struct CloudService: Service {
    let runner: CloudRunner
    let agent: Agent
    let hardware: HardwareService
    let stateInterval: Duration
    let logger: Logger

    public init(runner: CloudRunner, agent: Agent, hardware: HardwareService, stateInterval: Duration = .seconds(30), logger: Logger) {
        self.runner = runner
        self.agent = agent
        self.hardware = hardware
        self.stateInterval = stateInterval
        self.logger = logger
    }

    public func run() async throws {
        let uplink = runner.uplink, client = runner.client, bridge = runner.bridge, logger = logger, interval = stateInterval
        // `camgate cloud reconnect` of old (SIGUSR1): trapped, so it can never end the agent.
        let reconnectRequests = await UnixSignalsSequence(trapping: .sigusr1)
        await cancelWhenGracefulShutdown {
            await agent.waitUntilBooted()
            guard !Task.isCancelled else { return }
            await bridge.onReportsQueued { uplink.flushSoon() }
            await bridge.onLinkUp { uplink.retryNow() }
            await agent.onReportsQueued { uplink.flushSoon() }
            await bridge.handleUnprocessedEvents()
            await bridge.resumeUnfinishedCommands()
            await withDiscardingTaskGroup { group in
                // An ota_update outlives agents: each one acks it when its update ends.
                group.addTask { await every(.seconds(2)) { await bridge.settleUpdates() } }
                group.addTask { await client.run() }
                group.addTask { await uplink.run() }
                group.addTask { await every(interval) { await bridge.reportState() } }
                // The newest inventory is kept for this loop: the boot's probe is reported first.
                group.addTask { for await inventory in hardware.inventories { await bridge.reportDiscovered(inventory) } }
                group.addTask {
                    for await _ in reconnectRequests {
                        logger.info("cloud: reconnect requested")
                        client.reconnectNow()
                        uplink.retryNow()
                    }
                }
            }
        }
    }
}
