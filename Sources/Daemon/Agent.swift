#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Hardware
import Logging
import Media
import MediaMTX
import Platform
import Store
import Supervisor

/// The agent: owns the desired state and keeps the world in line with it.
///
/// It reconciles (pure `Reconciler.plan`) on boot, on a desired-state
/// change, on a process exit, when a restart backoff elapses and on a
/// health tick; indexes segments as the recorders write them; and enforces
/// retention. Passes are serialized: a trigger that arrives during a pass
/// runs one more pass after it.
public actor Agent {
    public struct Options: Sendable {
        public var layout: DataLayout
        public var tools: FFmpegTools
        public var restartPolicy = RestartPolicy()
        public var stopGrace: Duration = .seconds(5)
        public var indexInterval: Duration = .seconds(2)
        public var healthInterval: Duration = .seconds(30)
        public var retentionInterval: Duration = .seconds(60)
        /// How often the recorders' motion files are read (issue 13).
        public var motionInterval: Duration = .milliseconds(500)
        /// When the executable's code pages are handed back to the kernel
        /// after the agent is ready, then how often again (nil: never;
        /// docs/footprint.md, "Resident memory").
        public var codePageOut: (after: Duration, every: Duration)? = (.seconds(30), .seconds(3600))
        /// A child's log is cut back to half when it grows past this.
        public var logCapBytes: Int64 = 1 << 20
        /// Queue a `recording` report per finished segment (cloud mode).
        public var reportRecordings = false
        /// An uploader runs (a cloud or an `s3` block): segments are queued
        /// per `upload.mode` and retention keeps the queued ones.
        public var uploadsConfigured = false
        /// Whether a V4L2 device node exists now (a camera without it is offline).
        public var devicePresent: @Sendable (String) -> Bool = { FileSystem.exists($0) }
        /// Whether a node that still exists belongs to an unplugged device
        /// (checked when its recorder exits, before udev removes the node).
        public var deviceUnplugged: @Sendable (String) -> Bool = { SystemV4L2Opener.isUnplugged($0) }
        /// The camgate executable MediaMTX runs for on-demand captures.
        public var camgatePath = Agent.currentExecutable()
        /// Root of the install whose OTA layout and state file the agent
        /// reads (`/` on a device; a tree in tests).
        public var installRoot = "/"

        public init(layout: DataLayout, tools: FFmpegTools) {
            self.layout = layout
            self.tools = tools
        }
    }

    public let options: Options
    let store: Store
    let supervisor: Supervisor
    /// How to encode each camera (the hardware service).
    let hardware: any EncodingSource
    /// MediaMTX's service, when configured: its paths follow the desired
    /// state; with a binary, the agent runs MediaMTX.
    let mediamtx: MediaMTXService?
    let logger: Logger

    var desired: DesiredState
    var trackers: [WorkloadKey: RestartTracker] = [:]
    var indexers: [CameraID: SegmentIndexer] = [:]
    /// One per running recorder, fed by the index tick.
    var stallDetectors: [CameraID: StallDetector] = [:]
    /// Each camera's last finished segment size: the headroom kept above
    /// the free-space floor at every rotation (`DiskGuard`).
    var lastSegmentBytes: [CameraID: Int64] = [:]
    var reconciling = false
    /// Cameras already told that their segments rotate late (long GOP).
    var lateRotationWarned: Set<CameraID> = []
    var pendingReasons: [String] = []
    var random = SystemRandomNumberGenerator()
    var lastEventPrune = ContinuousClock.now
    /// Called after reports were queued (the uplink flushes).
    var reportsQueued: @Sendable () -> Void = {}
    /// Called after segments were queued for upload (the uploader looks).
    var uploadsQueued: @Sendable () -> Void = {}
    /// The encoder each running recorder was started with.
    var runningEncoders: [WorkloadKey: VideoEncoder] = [:]
    /// Cameras whose hardware encoder just failed, until the hardware service has it.
    var fallbackPending: Set<CameraID> = []
    /// The substream each running recorder decodes for motion, and the
    /// watch on the latest.jpg it alone feeds (Agent+Substream).
    var runningSubstreams: [CameraID: (url: String, picture: StallDetector)] = [:]
    /// Substreams that failed, and why: not used again until the desired one changes.
    var failedSubstreams: [CameraID: (url: String, reason: String)] = [:]
    /// Each camera's motion cursor as last stored (Agent+Motion).
    var motionCursors: [CameraID: MotionCursor] = [:]
    /// Cameras whose motion file is being read (one reader at a time).
    var motionBusy: Set<CameraID> = []

    /// Set when shutdown begins: nothing is started any more.
    var shuttingDown = false
    /// Bumped at each recorder start, so that the bookkeeping of an old
    /// recorder's end never touches its successor's indexer.
    var indexerGenerations: [CameraID: Int] = [:]
    /// Counts since start, for the metrics.
    public internal(set) var counters = AgentCounters()
    /// Restreams' states for reports: running, or held with the reason.
    public internal(set) var restreamStates: [CameraID: String] = [:]
    /// The recovery `boot` left for later: cameras whose recorder was not
    /// adopted, and files started before the boot.
    var pendingRecovery: (adopted: Set<CameraID>, beforeMs: Int64)?

    /// Instants at which a held workload may start again; the service
    /// sleeps until each and reconciles.
    public nonisolated let wakeups: AsyncStream<ContinuousClock.Instant>
    let wakeupContinuation: AsyncStream<ContinuousClock.Instant>.Continuation
    /// Set once `boot` has run (the cloud connects only after).
    var booted = false
    var bootWaiters: [CheckedContinuation<Void, Never>] = []

    public init(options: Options, store: Store, supervisor: Supervisor, hardware: any EncodingSource, mediamtx: MediaMTXService? = nil,
                desired: DesiredState, logger: Logger) {
        self.options = options
        self.store = store
        self.supervisor = supervisor
        self.hardware = hardware
        self.mediamtx = mediamtx
        self.desired = desired
        self.logger = logger
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: ContinuousClock.Instant.self)
    }

    var layout: DataLayout { options.layout }

    // MARK: - Desired state

    /// Replaces the desired state (already validated and stored by the caller).
    ///
    /// - Parameter deferRestart: workloads whose new command line is taken
    ///   as theirs without a restart; it applies at their next start.
    public func apply(_ state: DesiredState, reason: String, deferRestart: Set<WorkloadKey> = []) async {
        if state.upload.mode != .none, state.upload != desired.upload { await warnIfNoUploader(state.upload) }
        desired = state
        forgetReplacedSubstreams()
        if !deferRestart.isEmpty {
            let specs = await desiredWorkloads()
            for key in deferRestart {
                guard let spec = specs[key], let child = await supervisor.child(key) else { continue }
                await acceptCommandLine(key, spec.fingerprint, of: child)
            }
        }
        await reconcile(reason: reason)
    }

    /// An upload policy with nowhere to upload (no cloud, no `s3` block:
    /// a local edit): said in the log and the events, never silently
    /// accepted as if recordings were leaving the box.
    func warnIfNoUploader(_ policy: UploadPolicy) async {
        guard !options.uploadsConfigured else { return }
        let message = "upload mode \(policy.mode.rawValue) is set, but no upload target is configured (\"s3\" or \"cloud\"): recordings stay on the device"
        logger.warning("\(message)")
        try? await store.logEvent(.warning, "upload", message)
    }

    public func onReportsQueued(_ callback: @escaping @Sendable () -> Void) {
        reportsQueued = callback
    }

    public func onUploadsQueued(_ callback: @escaping @Sendable () -> Void) {
        uploadsQueued = callback
    }

    public var desiredState: DesiredState { desired }

    // MARK: - Reconciliation

    /// One reconciliation pass (or, when one is running, one more after it).
    public func reconcile(reason: String) async {
        guard !shuttingDown else { return }
        pendingReasons.append(reason)
        guard !reconciling else { return }
        reconciling = true
        defer { reconciling = false }
        while !pendingReasons.isEmpty {
            let reasons = pendingReasons
            pendingReasons.removeAll()
            await reconcileOnce(reason: reasons.uniqued().joined(separator: ", "))
        }
    }

    func reconcileOnce(reason: String) async {
        mediamtx?.requestSync(desired)
        let specs = await desiredWorkloads()
        let running = await supervisor.running
        let now = ContinuousClock.now
        let holds = trackers.compactMapValues { $0.hold?.until }
        let plan = Reconciler.plan(desired: specs.mapValues(\.fingerprint), running: running.mapValues(\.fingerprint),
                                   holds: holds, now: now)
        var failedStarts = 0
        for action in plan.actions {
            switch action {
            case .stop(let key):
                await stopWorkload(key, reason: "no longer desired")
            case .restart(let key):
                await stopWorkload(key, reason: "configuration changed")
                trackers[key]?.reset()
                if await !startWorkload(key, spec: specs[key]!) { failedStarts += 1 }
            case .start(let key):
                if await !startWorkload(key, spec: specs[key]!) { failedStarts += 1 }
            case .wait, .keep:
                break
            }
        }
        for (id, camera) in desired.sortedCameras where camera.record && isOffline(camera) {
            if case .v4l2(let device) = camera.source {
                try? await store.setCameraState(id, .offline, lastError: .some("\(device) is not present"))
            }
        }
        logger.info("reconcile (\(reason)): \(plan.summary(failedStarts: failedStarts))")
    }

    /// Restarts the MediaMTX the agent runs (its service found it hung).
    public func restartMediaMTX(reason: String) async {
        let key = WorkloadKey(camera: .mediamtx, role: .mediamtx)
        guard await supervisor.child(key) != nil else { return }
        try? await store.logEvent(.warning, "mediamtx", "MediaMTX \(reason); restarted")
        await stopWorkload(key, reason: reason)
        await reconcile(reason: "mediamtx restarted")
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}

extension Duration {
    /// `1.5 s`, for log messages.
    var formattedSeconds: String {
        let ms = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        return "\(ms / 1000).\(String(ms % 1000 / 100)) s"
    }
}
