import CamgateCore
import Logging
import MediaMTX
import Platform
import ServiceLifecycle
import Store

/// What the recorders ask of MediaMTX: where it listens and whether it answers.
public protocol MediaMTXStatusSource: Sendable {
    func currentStatus() async -> (status: MediaMTXStatus?, endpoints: MediaMTXEndpoints?)
    /// Asks for MediaMTX's paths to follow `desired` (served by the service's own loop).
    func requestSync(_ desired: DesiredState)
    /// MediaMTX's RTSP URL of `camera` when its API answers now (a snapshot
    /// goes through MediaMTX then), else nil.
    func liveRTSPURL(_ camera: CameraID) async -> String?
}

/// The owner of MediaMTX's paths and status: syncs them (Control API and
/// config file) whenever the desired state changes, checks its API on the
/// health tick, and asks for a restart (on `restarts`) when a MediaMTX the
/// agent runs stops answering. A slow MediaMTX API never holds up a recorder.
public actor MediaMTXService: Service, MediaMTXStatusSource {
    static let unhealthyTicks = 3

    public let sync: MediaMTXSync
    let hardware: any EncodingSource
    let renderer: PathRenderer
    let store: Store
    let healthInterval: Duration
    let logger: Logger

    private var desired = DesiredState()
    private var appliedPaths: [MediaMTXPath]?
    public private(set) var status: MediaMTXStatus?
    private var endpoints: MediaMTXEndpoints?
    private var silentTicks = 0

    private nonisolated let requests: AsyncStream<DesiredState>
    private let requestContinuation: AsyncStream<DesiredState>.Continuation
    /// A reason each time the MediaMTX the agent runs should be restarted (hung).
    public nonisolated let restarts: AsyncStream<String>
    private let restartContinuation: AsyncStream<String>.Continuation

    public init(sync: MediaMTXSync, hardware: any EncodingSource, renderer: PathRenderer, store: Store,
                healthInterval: Duration = .seconds(30), logger: Logger) {
        self.sync = sync
        self.hardware = hardware
        self.renderer = renderer
        self.store = store
        self.healthInterval = healthInterval
        self.logger = logger
        (requests, requestContinuation) = AsyncStream.makeStream(of: DesiredState.self, bufferingPolicy: .bufferingNewest(1))
        (restarts, restartContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { for await desired in self.requests { await self.apply(desired) } }
                group.addTask { await every(self.healthInterval) { await self.checkHealth() } }
            }
        }
    }

    public nonisolated func requestSync(_ desired: DesiredState) {
        requestContinuation.yield(desired)
    }

    public func currentStatus() -> (status: MediaMTXStatus?, endpoints: MediaMTXEndpoints?) {
        (status, endpoints)
    }

    public func liveRTSPURL(_ camera: CameraID) async -> String? {
        guard await sync.answersNow() else { return nil }
        let current: MediaMTXEndpoints
        if let endpoints { current = endpoints } else { current = await sync.endpoints() }
        let port = current.rtspPort
        return "rtsp://127.0.0.1:\(port)/\(camera)"
    }

    private func apply(_ desired: DesiredState) async {
        self.desired = desired
        await syncPaths()
    }

    /// The paths MediaMTX should have, per lifecycle type.
    func paths() async throws(MediaMTXRenderError) -> [MediaMTXPath] {
        try await hardware.policy().mediamtxPaths(desired, renderer: renderer)
    }

    /// Brings MediaMTX's paths in line with the desired state (API and file)
    /// when they changed, or when the last attempt did not get through.
    func syncPaths(force: Bool = false) async {
        let next: MediaMTXStatus
        do {
            let paths = try await paths()
            if !force, paths == appliedPaths, status?.synced == true, status?.apiUp == true { return }
            next = await sync.apply(paths)
            if next.synced { appliedPaths = paths }
        } catch {
            next = MediaMTXStatus(apiUp: false, synced: false, reason: "\(error)")
        }
        let endpoints = await sync.endpoints()
        self.endpoints = endpoints
        if next != status {
            if let reason = next.reason { logger.warning("mediamtx: \(reason)") } else { logger.info("mediamtx: paths in step") }
        }
        status = next
        try? await store.setMediaMTXState(MediaMTXStateRow(config: sync.settings.config, apiAddress: endpoints.apiAddress,
                                                            rtspPort: endpoints.rtspPort, hlsPort: endpoints.hlsPort, webrtcPort: endpoints.webrtcPort,
                                                            apiUp: next.apiUp, synced: next.synced, reason: next.reason,
                                                            updatedAtMs: WallClock.nowMilliseconds()))
    }

    /// Asks MediaMTX's API whether it is alive; a MediaMTX that stops
    /// answering (alive but hung) is asked to be restarted after three ticks.
    func checkHealth() async {
        // The file as the agent left it? A hand edit that removed or changed
        // its block would be hot-reloaded by MediaMTX (dropping the paths).
        if let applied = appliedPaths, let file = await sync.currentFile(), !MediaMTXConfigFile.isInStep(file, paths: applied) {
            logger.warning("mediamtx: the agent's paths in \(sync.settings.config) were changed by hand; writing them again")
            await syncPaths(force: true)
        }
        if await sync.runtime() != nil {
            silentTicks = 0
            if status?.apiUp != true { await syncPaths(force: true) }
            return
        }
        silentTicks += 1
        if var current = status, current.apiUp {
            current.apiUp = false
            current.reason = "MediaMTX stopped answering on its API"
            status = current
            await syncPaths(force: true)
        }
        if silentTicks >= MediaMTXService.unhealthyTicks, sync.settings.binary != nil {
            logger.warning("mediamtx: no answer from its API for \(silentTicks) health checks; restarting it")
            silentTicks = 0
            restartContinuation.yield("not answering its API")
        }
    }
}
