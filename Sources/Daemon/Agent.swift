#if canImport(Glibc)
import Glibc
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
        /// A child's log is cut back to half when it grows past this.
        public var logCapBytes: Int64 = 1 << 20
        /// Queue a `recording` report per finished segment (cloud mode).
        public var reportRecordings = false
        /// The hardware probe; nil records with software and no capture choice.
        public var hardware: HardwareProbe?
        /// Which usable encoder `auto` takes first.
        public var encoderPriority = EncoderBackend.defaultPriority
        /// Whether a V4L2 device node exists now (a camera without it is offline).
        public var devicePresent: @Sendable (String) -> Bool = { FileSystem.exists($0) }
        /// Whether a node that still exists belongs to an unplugged device
        /// (checked when its recorder exits, before udev removes the node).
        public var deviceUnplugged: @Sendable (String) -> Bool = { SystemV4L2Opener.isUnplugged($0) }
        /// MediaMTX, when configured: its paths are kept in step; with a
        /// binary, the agent runs it.
        public var mediamtx: MediaMTXSync?
        /// The camgate executable MediaMTX runs for on-demand captures.
        public var camgatePath = Agent.currentExecutable()

        public init(layout: DataLayout, tools: FFmpegTools) {
            self.layout = layout
            self.tools = tools
        }
    }

    public let options: Options
    let store: Store
    let supervisor: Supervisor
    let logger: Logger

    var desired: DesiredState
    var trackers: [WorkloadKey: RestartTracker] = [:]
    var indexers: [CameraID: SegmentIndexer] = [:]
    /// One per running recorder, fed by the index tick.
    var stallDetectors: [CameraID: StallDetector] = [:]
    var reconciling = false
    /// Cameras already told that their segments rotate late (long GOP).
    var lateRotationWarned: Set<CameraID> = []
    var pendingReasons: [String] = []
    var random = SystemRandomNumberGenerator()
    var lastEventPrune = ContinuousClock.now
    /// Called after reports were queued (the uplink flushes).
    var reportsQueued: @Sendable () -> Void = {}
    /// Cameras and encoders, from the last probe.
    public internal(set) var inventory: Inventory?
    /// Cameras whose hardware encoder failed at run time: they use software.
    var softwareFallback: [CameraID: String] = [:]
    /// The encoder each running recorder was started with.
    var runningEncoders: [WorkloadKey: VideoEncoder] = [:]
    var inventoryListeners: [@Sendable (Inventory) async -> Void] = []
    /// The MediaMTX paths last applied successfully.
    var appliedPaths: [MediaMTXPath]?
    public internal(set) var mediamtxStatus: MediaMTXStatus?
    var mediamtxEndpoints: MediaMTXEndpoints?
    var mediamtxSilentTicks = 0
    static let mediamtxUnhealthyTicks = 3

    /// Set when shutdown begins: nothing is started any more.
    var shuttingDown = false
    /// Bumped at each recorder start, so that the bookkeeping of an old
    /// recorder's end never touches its successor's indexer.
    var indexerGenerations: [CameraID: Int] = [:]
    /// Counts since start, for the metrics.
    public internal(set) var counters = AgentCounters()

    /// Instants at which a held workload may start again; the service
    /// sleeps until each and reconciles.
    public nonisolated let wakeups: AsyncStream<ContinuousClock.Instant>
    private let wakeupContinuation: AsyncStream<ContinuousClock.Instant>.Continuation
    /// Requests to bring MediaMTX in step, served by their own task: a slow
    /// MediaMTX API never holds up starting a recorder.
    public nonisolated let mediamtxRequests: AsyncStream<Void>
    let mediamtxRequestContinuation: AsyncStream<Void>.Continuation

    public init(options: Options, store: Store, supervisor: Supervisor, desired: DesiredState, logger: Logger) {
        self.options = options
        self.store = store
        self.supervisor = supervisor
        self.desired = desired
        self.logger = logger
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: ContinuousClock.Instant.self)
        (mediamtxRequests, mediamtxRequestContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var layout: DataLayout { options.layout }

    // MARK: - Boot

    /// Restores what survived the previous agent: adopts its recorders when
    /// this is the same boot (drops their PIDs without signalling anything
    /// after a reboot), finalizes segments that were cut off, then starts
    /// whatever should run. Needs no network.
    public func boot() async throws {
        // A MediaMTX configured on an earlier run and removed since: `camgate
        // view` must say "not configured", not show its last state.
        if options.mediamtx == nil { try? await store.clearMediaMTXState() }
        for row in try await store.processes() {
            if row.identity.bootID != supervisor.bootID {
                logger.info("dropping process record from a previous boot", metadata: ["workload": "\(row.key)", "pid": "\(row.identity.pid)"])
                try await store.deleteProcess(row.key)
                continue
            }
            if let child = await supervisor.adopt(row.key, identity: row.identity, fingerprint: row.fingerprint,
                                                  startedAtMs: row.startedAtMs, logFile: row.logFile) {
                logger.info("adopted running process", metadata: ["workload": "\(row.key)", "pid": "\(child.identity.pid)"])
                try? await store.logEvent(.info, "adopted", camera: row.key.camera, "adopted \(row.key.role.rawValue) \(child.identity)")
                if row.key.role == .recorder {
                    indexers[row.key.camera] = SegmentIndexer(camera: row.key.camera, layout: layout)
                    stallDetectors[row.key.camera] = StallDetector(segmentSeconds: desired.recording.segmentSeconds, startedAt: .now)
                    try? await store.setCameraState(row.key.camera, .recording)
                }
            } else {
                logger.info("process from the previous agent is gone", metadata: ["workload": "\(row.key)", "pid": "\(row.identity.pid)"])
                try await store.deleteProcess(row.key)
            }
        }
        // Segments cut off while no agent watched (crash, power cut) are
        // closed in the index after recording has started again: ffprobe on
        // many files must not delay the first byte or READY.
        let adopted = Set(await supervisor.running.keys.filter { $0.role == .recorder }.map(\.camera))
        let bootMs = WallClock.nowMilliseconds()
        await indexTick()
        try? await store.pruneEvents()
        await refreshInventory(full: false)
        await reconcile(reason: "boot")
        pendingRecovery = (adopted, bootMs)
    }

    /// The recovery `boot` left for later: cameras whose recorder was not
    /// adopted, and files started before the boot.
    var pendingRecovery: (adopted: Set<CameraID>, beforeMs: Int64)?

    /// Runs the segment recovery `boot` deferred (the service calls it once recording runs).
    public func recoverAfterBoot() async {
        guard let pending = pendingRecovery else { return }
        pendingRecovery = nil
        await recoverSegments(excluding: pending.adopted, beforeMs: pending.beforeMs)
    }

    // MARK: - Desired state

    /// Replaces the desired state (already validated and stored by the caller).
    ///
    /// - Parameter deferRestart: workloads whose new command line is taken
    ///   as theirs without a restart; it applies at their next start.
    public func apply(_ state: DesiredState, reason: String, deferRestart: Set<WorkloadKey> = []) async {
        desired = state
        if !deferRestart.isEmpty {
            let specs = desiredWorkloads()
            for key in deferRestart {
                guard let spec = specs[key], let child = await supervisor.child(key) else { continue }
                await supervisor.acceptFingerprint(key, spec.fingerprint)
                try? await store.saveProcess(ProcessRow(key: key, identity: child.identity, fingerprint: spec.fingerprint,
                                                        startedAtMs: child.startedAtMs, logFile: child.logFile))
            }
        }
        await reconcile(reason: reason)
    }

    public func onReportsQueued(_ callback: @escaping @Sendable () -> Void) {
        reportsQueued = callback
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
        if options.mediamtx != nil { mediamtxRequestContinuation.yield() }
        let specs = desiredWorkloads()
        let running = await supervisor.running
        let now = ContinuousClock.now
        let holds = trackers.compactMapValues { $0.hold?.until }
        let plan = Reconciler.plan(desired: specs.mapValues(\.fingerprint), running: running.mapValues(\.fingerprint),
                                   holds: holds, now: now)
        for action in plan.actions {
            switch action {
            case .stop(let key):
                await stopWorkload(key, reason: "no longer desired")
            case .restart(let key):
                await stopWorkload(key, reason: "configuration changed")
                trackers[key]?.reset()
                await startWorkload(key, spec: specs[key]!)
            case .start(let key):
                await startWorkload(key, spec: specs[key]!)
            case .wait, .keep:
                break
            }
        }
        for (id, camera) in desired.sortedCameras where camera.record && isOffline(camera) {
            if case .v4l2(let device) = camera.source {
                try? await store.setCameraState(id, .offline, lastError: .some("\(device) is not present"))
            }
        }
        logger.info("reconcile (\(reason)): \(plan.summary)")
    }

    /// What should run: one recorder per recording camera, one restream
    /// per camera with an RTMP destination.
    func desiredWorkloads() -> [WorkloadKey: ProcessSpec] {
        var specs: [WorkloadKey: ProcessSpec] = [:]
        let relayPorts = options.mediamtx == nil ? [:] : RelayPort.ports(for: desired.cameras.filter { $0.value.record }.map(\.key))
        let rtspPort = mediamtxEndpoints?.rtspPort ?? 8554
        if let mediamtx = options.mediamtx, let binary = mediamtx.settings.binary {
            specs[WorkloadKey(camera: .mediamtx, role: .mediamtx)] =
                ProcessSpec(executable: binary, arguments: [mediamtx.settings.config], environment: FFmpegTools.environment,
                            logFile: "\(layout.logsRoot)/mediamtx.log")
        }
        for (id, camera) in desired.sortedCameras where !isOffline(camera) {
            if camera.record {
                let (encoder, capture) = encoding(for: id, camera)
                specs[WorkloadKey(camera: id, role: .recorder)] =
                    RecorderCommand.spec(camera: id, spec: camera, policy: desired.recording, layout: layout,
                                         tools: options.tools, encoder: encoder, capture: capture, relayPort: relayPorts[id])
                if camera.view, let port = relayPorts[id] {
                    specs[WorkloadKey(camera: id, role: .publisher)] =
                        ProcessSpec(executable: options.tools.ffmpeg,
                                    arguments: PublishCommand.relay(port: port, destination: "rtsp://127.0.0.1:\(rtspPort)/\(id)"),
                                    environment: FFmpegTools.environment, logFile: layout.log(id, role: .publisher))
                }
            }
            if let restream = camera.restream,
               let spec = RestreamCommand.spec(camera: id, spec: camera, destination: restream.url, layout: layout, tools: options.tools) {
                specs[WorkloadKey(camera: id, role: .restream)] = spec
            }
        }
        return specs
    }

    /// A V4L2 camera whose device node is absent.
    func isOffline(_ spec: CameraSpec) -> Bool {
        if case .v4l2(let device) = spec.source { return !options.devicePresent(device) || options.deviceUnplugged(device) }
        return false
    }

    /// The encoder a running recorder uses (for reports).
    public func encoderName(_ camera: CameraID) -> String? {
        runningEncoders[WorkloadKey(camera: camera, role: .recorder)].map { encoder in
            softwareFallback[camera].map { _ in "\(encoder.name) (fallback from hardware)" } ?? encoder.name
        }
    }

    // MARK: - One-shot actions

    /// A JPEG of `camera` at `output` (see `Snapshotter`).
    public func snapshot(_ camera: CameraID, output: String) async throws -> Snapshotter.Snapshot {
        guard let spec = desired.cameras[camera] else {
            throw Snapshotter.Failure(description: "unknown camera \(camera)")
        }
        try FileSystem.createDirectories(FileSystem.parent(of: output), mode: 0o750)
        let recording = await supervisor.child(WorkloadKey(camera: camera, role: .recorder)) != nil
        let viaMediaMTX = mediamtxStatus?.apiUp == true ? mediamtxEndpoints.map { "rtsp://127.0.0.1:\($0.rtspPort)/\(camera)" } : nil
        return try await Snapshotter.take(camera: camera, spec: spec, recorderRunning: recording, layout: layout,
                                          tools: options.tools, output: output, mediamtxURL: viaMediaMTX)
    }

    /// Probes the hardware again (trial encodes included), forgets runtime
    /// encoder fallbacks, and reconciles with what it finds.
    public func rescanHardware() async -> String {
        guard options.hardware != nil else {
            await reconcile(reason: "rescan_hardware")
            return "no hardware probe configured; reconciled"
        }
        softwareFallback.removeAll()
        await refreshInventory(full: true)
        await reconcile(reason: "rescan_hardware")
        guard let inventory else { return "probe failed" }
        let usable = inventory.encoders.filter(\.usable).map(\.backend.rawValue)
        return "\(inventory.cameras.count) cameras; usable encoders: \(usable.joined(separator: ", ")); probed in \(inventory.durationMs) ms"
    }

    /// What the agent runs for a camera now.
    public func runningWorkloads(of camera: CameraID) async -> [WorkloadKey] {
        await supervisor.running.keys.filter { $0.camera == camera }.sorted()
    }

    func startWorkload(_ key: WorkloadKey, spec: ProcessSpec) async {
        guard !shuttingDown else { return }
        do {
            try prepareDirectories(for: key)
            if key.role == .recorder {
                // Segments are named after their first second: a recorder
                // started within the second its predecessor opened a segment
                // would reopen (truncate) that indexed file. Wait for the next second.
                for _ in 0..<3 {
                    let now = WallClock.nowMilliseconds()
                    let current = "\(layout.day(key.camera, date: Timestamp.utcDate(milliseconds: now)))/\(SegmentName.name(startMilliseconds: now))"
                    guard FileSystem.exists(current) else { break }
                    try? await Task.sleep(for: .milliseconds(1000 - now % 1000 + 5))
                }
                guard !shuttingDown else { return }
                // A fresh list for a fresh recorder; the previous one was read to the end.
                try FileSystem.remove(layout.segmentList(key.camera))
                indexers[key.camera] = SegmentIndexer(camera: key.camera, layout: layout)
                stallDetectors[key.camera] = StallDetector(segmentSeconds: desired.recording.segmentSeconds, startedAt: .now)
                indexerGenerations[key.camera, default: 0] += 1
            }
            if key.camera.isReserved { try await store.ensureSystemCamera(key.camera) }
            let child = try await supervisor.start(key, spec: spec)
            if key.role == .recorder, let camera = desired.cameras[key.camera] { runningEncoders[key] = encoding(for: key.camera, camera).0 }
            try await store.saveProcess(ProcessRow(key: key, identity: child.identity, fingerprint: child.fingerprint,
                                                   startedAtMs: child.startedAtMs, logFile: child.logFile))
            if showsInCameraState(key) { try await store.setCameraState(key.camera, .starting) } else if key.role == .restream { restreamStates[key.camera] = "running" }
            try await store.logEvent(.info, "started", camera: key.camera, "\(key.role.rawValue) started, pid \(child.identity.pid)")
            logger.info("started", metadata: ["workload": "\(key)", "pid": "\(child.identity.pid)", "command": "\(spec.redactedCommandLine)"])
        } catch {
            let message = "cannot start \(key.role.rawValue): \(error)"
            logger.error("\(message)", metadata: ["workload": "\(key)"])
            let now = ContinuousClock.now
            var tracker = tracker(key)
            let hold = tracker.recordExit(startedAt: now, exitedAt: now, random: Double.random(in: 0..<1, using: &random))
            trackers[key] = tracker
            await holdWorkload(key, hold, error: message)
        }
    }

    func stopWorkload(_ key: WorkloadKey, reason: String) async {
        let identity = await supervisor.child(key)?.identity
        await supervisor.stop(key, grace: options.stopGrace)
        runningEncoders[key] = nil
        if let identity { try? await store.deleteProcess(key, identity: identity) }
        if key.role == .recorder { await finishRecorder(key.camera, endedAtMs: WallClock.nowMilliseconds()) }
        if showsInCameraState(key) {
            try? await store.setCameraState(key.camera, desired.cameras[key.camera] == nil ? .removed : .idle)
        } else if key.role == .restream {
            restreamStates[key.camera] = nil
        }
        try? await store.logEvent(.info, "stopped", camera: key.camera, "\(key.role.rawValue) stopped: \(reason)")
        logger.info("stopped", metadata: ["workload": "\(key)", "reason": "\(reason)"])
    }

    /// A camera's state (and `last_error`) is its recorder's; a restream's
    /// state is kept apart (`restreamStates`) so one cannot hide the other.
    func showsInCameraState(_ key: WorkloadKey) -> Bool {
        key.role == .recorder
    }

    /// The path of this executable (for MediaMTX's on-demand commands).
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "/usr/bin/camgate"
    }

    /// Restreams' states for reports: running, or held with the reason.
    public internal(set) var restreamStates: [CameraID: String] = [:]

    func tracker(_ key: WorkloadKey) -> RestartTracker {
        trackers[key] ?? RestartTracker(policy: options.restartPolicy)
    }

    func holdWorkload(_ key: WorkloadKey, _ hold: RestartTracker.Hold, error: String) async {
        let state: CameraState
        switch hold {
        case .backoff: state = .backoff
        case .circuitOpen: state = .failed
        }
        if showsInCameraState(key) {
            try? await store.setCameraState(key.camera, state, lastError: .some(Redactor.redact(error)), countRestart: true)
        } else if key.role == .restream {
            restreamStates[key.camera] = "\(state.rawValue): \(Redactor.redact(error))"
        }
        wakeupContinuation.yield(hold.until)
    }

    /// Forgets a camera's failures (backoff, open circuit) and reconciles:
    /// what is held back starts now.
    public func resetRestarts(for camera: CameraID) async {
        for key in trackers.keys where key.camera == camera { trackers[key]?.reset() }
        await reconcile(reason: "restart requested for \(camera)")
    }

    /// Restarts a camera's processes now (the `restart_camera` command).
    public func restartCamera(_ camera: CameraID) async {
        for key in await supervisor.running.keys where key.camera == camera {
            await stopWorkload(key, reason: "restart requested")
        }
        await resetRestarts(for: camera)
    }

    // MARK: - Exits

    /// A supervised process ended. A requested stop is bookkept by
    /// `stopWorkload`; anything else is a failure: the segment is closed in
    /// the index, the restart is held back (backoff or circuit breaker), and
    /// the last lines of its log become the camera's error.
    public func handle(_ exit: Supervisor.Exit) async {
        guard !exit.requested, !shuttingDown else { return }
        let key = exit.child.key
        let endedAtMs = WallClock.nowMilliseconds()
        let encoder = runningEncoders.removeValue(forKey: key)
        let tail = exit.logTail.suffix(3).joined(separator: " | ")
        // An unplug: the node is gone, or still there with its device gone
        // (ENODEV) because udev has not removed it yet. Not a failure.
        let offlineDevice: String? = desired.cameras[key.camera].flatMap { camera in
            if case .v4l2(let device) = camera.source, isOffline(camera) { device } else { nil }
        }
        // Decide before any await: a reconcile that runs while the
        // bookkeeping below waits must already see the hold (or the fallback).
        var hold: RestartTracker.Hold?
        var fallback: String?
        if offlineDevice == nil {
            if let encoder, encoder.isHardware, exit.ranFor < options.restartPolicy.healthyRun {
                softwareFallback[key.camera] = tail
                fallback = "hardware encoder \(encoder.name) failed for \(key.camera)" + (tail.isEmpty ? "" : " (\(tail))") + "; recording with software"
            }
            var tracker = tracker(key)
            hold = tracker.recordExit(startedAt: exit.child.startedAt, exitedAt: .now, random: Double.random(in: 0..<1, using: &random))
            trackers[key] = tracker
            if let hold { wakeupContinuation.yield(hold.until) }
        }
        try? await store.deleteProcess(key, identity: exit.child.identity)
        if key.role == .recorder { await finishRecorder(key.camera, endedAtMs: endedAtMs) }
        if let device = offlineDevice {
            // The camera was unplugged: not a failure; it records again when it returns.
            logger.warning("camera \(key.camera) is offline: \(device) vanished", metadata: ["workload": "\(key)"])
            try? await store.logEvent(.warning, "offline", camera: key.camera, "\(device) vanished; the segment was closed")
            try? await store.setCameraState(key.camera, .offline, lastError: .some("\(device) vanished"))
            await reconcile(reason: "process exit")
            return
        }
        if let fallback {
            logger.warning("\(fallback)")
            try? await store.logEvent(.warning, "encoder-fallback", camera: key.camera, fallback)
        }
        guard let hold else { return }
        let detail = "\(key.role.rawValue) exited (\(exit.status)) after \(exit.ranFor.formattedSeconds)" + (tail.isEmpty ? "" : ": \(tail)")
        let retry: String
        switch hold {
        case .backoff(let until, let attempt): retry = "retry \(attempt) in \((until - .now).formattedSeconds)"
        case .circuitOpen(let until): retry = "failing repeatedly: circuit open, next try in \((until - .now).formattedSeconds)"
        }
        logger.warning("\(detail); \(retry)", metadata: ["workload": "\(key)"])
        try? await store.logEvent(.error, "exited", camera: key.camera, "\(detail); \(retry)")
        await holdWorkload(key, hold, error: tail.isEmpty ? "\(exit.status)" : tail)
        await reconcile(reason: "process exit")
    }

    /// Indexes what the recorder wrote up to its end, and closes in the index
    /// a segment it could not close itself (killed, crashed).
    func finishRecorder(_ camera: CameraID, endedAtMs: Int64) async {
        let generation = indexerGenerations[camera]
        await indexTick(only: camera)
        // A successor may have started meanwhile: its indexer stays.
        if indexerGenerations[camera] == generation {
            indexers[camera] = nil
            stallDetectors[camera] = nil
        }
        await recoverSegments(of: camera, beforeMs: endedAtMs)
    }

    // MARK: - Shutdown

    /// Stops every child (SIGTERM, then SIGKILL after the grace period),
    /// indexes their last segments and records the agent as stopped.
    public func shutdown() async {
        shuttingDown = true
        let count = await supervisor.running.count
        logger.info("shutting down: stopping \(count) processes")
        await supervisor.stopAll(grace: options.stopGrace)
        let stoppedMs = WallClock.nowMilliseconds()
        for camera in indexers.keys.sorted() { await finishRecorder(camera, endedAtMs: stoppedMs) }
        for process in (try? await store.processes()) ?? [] {
            try? await store.deleteProcess(process.key)
            try? await store.setCameraState(process.key.camera, desired.cameras[process.key.camera] == nil ? .removed : .idle)
        }
        try? await store.logEvent(.info, "agent", "agent stopped")
        try? await store.markAgentStopped()
    }

    func prepareDirectories(for key: WorkloadKey) throws {
        try FileSystem.createDirectories(layout.logsRoot, mode: 0o750)
        guard key.role == .recorder else { return }
        try FileSystem.createDirectories(layout.run(key.camera))
        let now = WallClock.nowMilliseconds()
        for offset: Int64 in [0, RetentionPlanner.millisecondsPerDay] {
            try FileSystem.createDirectories(layout.day(key.camera, date: Timestamp.utcDate(milliseconds: now + offset)))
        }
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
