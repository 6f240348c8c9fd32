import CamgateCore
import CloudLink
import Hardware
import LocalAPI
import Logging
import Media
import MediaMTX
import ServiceLifecycle
import Store
import Supervisor

/// The agent's services, wired once: each owns its state and asks the
/// others through a narrow protocol (docs/architecture.md).
///
/// Start order: hardware, MediaMTX, recording, cloud, uploads, API; a ServiceGroup
/// shuts them down in reverse (the API stops answering first, the cloud
/// link closes, then the recorders stop and their last segments are indexed).
public struct AgentServices: Sendable {
    /// What the services are made from.
    public struct Parts: Sendable {
        public var store: Store
        public var supervisor: Supervisor
        public var options: Agent.Options
        public var desired: DesiredState
        /// The hardware probe; nil records with software and no capture choice.
        public var probe: HardwareProbe?
        public var encoderPriority = EncoderBackend.defaultPriority
        public var mediamtx: MediaMTXSync?
        public var cloud: (configuration: CloudConfiguration, transport: HTTPTransport)?
        /// Where uploads go and the transport they use (a thread of their
        /// own: a long part never delays the event stream): the cloud's
        /// presigned targets, or a standalone `s3` block.
        public var uploads: (targets: any UploadTargetSource, transport: HTTPTransport)?
        public var api: (configuration: LocalAPIServer.Configuration, context: APIRoutes.Context)?
        public var notifier: SystemdNotifier?
        public var logger: Logger

        public init(store: Store, supervisor: Supervisor, options: Agent.Options, desired: DesiredState, logger: Logger) {
            self.store = store
            self.supervisor = supervisor
            self.options = options
            self.desired = desired
            self.logger = logger
        }
    }

    public let hardware: HardwareService
    public let mediamtx: MediaMTXService?
    public let agent: Agent
    public let recording: RecordingService
    public let cloudRunner: CloudRunner?
    public let cloud: CloudService?
    public let uploads: UploadService?
    public let api: LocalAPIServer?

    public init(_ parts: Parts) throws {
        let logger = parts.logger, store = parts.store, options = parts.options
        let hardware = HardwareService(probe: parts.probe, store: store, bootID: parts.supervisor.bootID, priority: parts.encoderPriority,
                                       healthInterval: options.healthInterval, logger: logger)
        let mediamtx = parts.mediamtx.map { sync in
            MediaMTXService(sync: sync, hardware: hardware, renderer: PathRenderer(camgate: options.camgatePath, dataDirectory: options.layout.root),
                            store: store, healthInterval: options.healthInterval, logger: logger)
        }
        let agent = Agent(options: options, store: store, supervisor: parts.supervisor, hardware: hardware, mediamtx: mediamtx,
                          desired: parts.desired, logger: logger)
        let runner = try parts.cloud.map { cloud in
            try CloudRunner(configuration: cloud.configuration, store: store, agent: agent, hardware: hardware, transport: cloud.transport, logger: logger)
        }
        self.hardware = hardware
        self.mediamtx = mediamtx
        self.agent = agent
        recording = RecordingService(agent: agent, supervisor: parts.supervisor, hardware: hardware, mediamtx: mediamtx,
                                     notifier: parts.notifier, logsReconnectRequests: parts.cloud == nil, logger: logger)
        cloudRunner = runner
        cloud = runner.map { CloudService(runner: $0, agent: agent, hardware: hardware, stateInterval: options.healthInterval, logger: logger) }
        let uploads = parts.uploads.map { target in
            UploadService(store: store, owner: agent, targets: target.targets, transport: target.transport, reports: runner != nil,
                          reportsQueued: { runner?.uplink.flushSoon() }, logger: logger)
        }
        self.uploads = uploads
        api = parts.api.map { api in
            var context = AgentServices.context(api.context, cloud: runner)
            if let progress = uploads?.progress { context.uploadProgress = { await progress.value } }
            let routes = APIRoutes(store: store, agent: agent, hardware: hardware, layout: options.layout,
                                   context: context, metrics: APIMetrics(), logger: logger)
            return LocalAPIServer(configuration: api.configuration, handler: routes, logger: logger)
        }
    }

    /// The API's context with the cloud's reconnect and event count, when there is a cloud.
    static func context(_ base: APIRoutes.Context, cloud runner: CloudRunner?) -> APIRoutes.Context {
        var context = base
        guard let runner else { return context }
        let client = runner.client, uplink = runner.uplink, bridge = runner.bridge
        context.cloudReconnect = {
            client.reconnectNow()
            uplink.retryNow()
            return "reconnecting now"
        }
        context.cloudEventsReceived = { await bridge.eventsReceived }
        return context
    }

    /// In start order, for one ServiceGroup.
    public var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        var list: [any Service] = [hardware]
        if let mediamtx { list.append(mediamtx) }
        list.append(recording)
        if let cloud { list.append(cloud) }
        if let uploads { list.append(uploads) }
        if let api { list.append(api) }
        return list.map { .init(service: $0) }
    }
}
