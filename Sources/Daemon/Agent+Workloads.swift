#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Logging
import Media
import MediaMTX
import Platform
import Store
import Supervisor

extension Agent {
    /// What should run: one recorder per recording camera, one restream
    /// per camera with an RTMP destination.
    func desiredWorkloads() async -> [WorkloadKey: ProcessSpec] {
        var specs: [WorkloadKey: ProcessSpec] = [:]
        let policy = await encodingPolicy()
        let relayPorts = mediamtx == nil ? [:] : RelayPort.ports(for: desired.cameras.filter { $0.value.record }.map(\.key))
        let rtspPort = await mediamtx?.currentStatus().endpoints?.rtspPort ?? 8554
        if let settings = mediamtx?.sync.settings, let binary = settings.binary {
            specs[WorkloadKey(camera: .mediamtx, role: .mediamtx)] =
                ProcessSpec(executable: binary, arguments: [settings.config], environment: FFmpegTools.environment,
                            logFile: "\(layout.logsRoot)/mediamtx.log")
        }
        for (id, camera) in desired.sortedCameras where !isOffline(camera) {
            if camera.record {
                let (encoder, capture) = policy.encoding(for: id, camera)
                specs[WorkloadKey(camera: id, role: .recorder)] =
                    RecorderCommand.spec(camera: id, spec: camera, policy: desired.recording, layout: layout,
                                         tools: options.tools, encoder: encoder, capture: capture, relayPort: relayPorts[id],
                                         substream: substreamAllowed(id, camera))
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

    /// The hardware's policy, with the fallbacks decided but not yet handed to it.
    func encodingPolicy() async -> EncodingPolicy {
        var policy = await hardware.policy()
        policy.softwareFallback.formUnion(fallbackPending)
        return policy
    }

    /// A V4L2 camera whose device node is absent.
    func isOffline(_ spec: CameraSpec) -> Bool {
        if case .v4l2(let device) = spec.source { return !options.devicePresent(device) || options.deviceUnplugged(device) }
        return false
    }

    /// The encoder a running recorder uses (for reports).
    public func encoderName(_ camera: CameraID) async -> String? {
        guard let encoder = runningEncoders[WorkloadKey(camera: camera, role: .recorder)] else { return nil }
        return await hardware.isFallingBack(camera) ? "\(encoder.name) (fallback from hardware)" : encoder.name
    }

    // MARK: - One-shot actions

    /// A JPEG of `camera` at `output` (see `Snapshotter`).
    public func snapshot(_ camera: CameraID, output: String) async throws -> Snapshotter.Snapshot {
        guard let spec = desired.cameras[camera] else {
            throw Snapshotter.Failure(description: "unknown camera \(camera)")
        }
        try FileSystem.createDirectories(FileSystem.parent(of: output), mode: 0o750)
        let recording = await supervisor.child(WorkloadKey(camera: camera, role: .recorder)) != nil
        let viaMediaMTX = await mediamtx?.liveRTSPURL(camera)
        return try await Snapshotter.take(camera: camera, spec: spec, recorderRunning: recording, layout: layout,
                                          tools: options.tools, output: output, mediamtxURL: viaMediaMTX)
    }

    /// What the agent runs for a camera now.
    public func runningWorkloads(of camera: CameraID) async -> [WorkloadKey] {
        await supervisor.running.keys.filter { $0.camera == camera }.sorted()
    }

    /// Starts a workload and records it; false when it could not (it is
    /// then held back, and never left running without its process row).
    @discardableResult
    func startWorkload(_ key: WorkloadKey, spec: ProcessSpec) async -> Bool {
        guard !shuttingDown else { return false }
        var started = false
        do {
            try prepareDirectories(for: key)
            if key.role == .recorder {
                try checkRoomToRecord()
                // Segments are named after their first second: a recorder
                // started within the second its predecessor opened a segment
                // would reopen (truncate) that indexed file. Wait for the next second.
                for _ in 0..<3 {
                    let now = WallClock.nowMilliseconds()
                    let current = "\(layout.day(key.camera, date: Timestamp.utcDate(milliseconds: now)))/\(SegmentName.name(startMilliseconds: now))"
                    guard FileSystem.exists(current) else { break }
                    try? await Task.sleep(for: .milliseconds(1000 - now % 1000 + 5))
                }
                guard !shuttingDown else { return false }
                // A fresh list for a fresh recorder; the previous one was read to the end.
                try FileSystem.remove(layout.segmentList(key.camera))
                await prepareMotionFile(key.camera)
                guard !shuttingDown else { return false }
                indexers[key.camera] = SegmentIndexer(camera: key.camera, layout: layout)
                watchRecorder(key.camera, substream: Substream.input(ofCommandLine: spec.arguments))
                indexerGenerations[key.camera, default: 0] += 1
            }
            if key.camera.isReserved { try await store.ensureSystemCamera(key.camera) }
            let child = try await supervisor.start(key, spec: spec)
            started = true
            if key.role == .recorder, let camera = desired.cameras[key.camera] { runningEncoders[key] = await encodingPolicy().encoding(for: key.camera, camera).encoder }
            try await store.saveProcess(ProcessRow(key: key, identity: child.identity, fingerprint: child.fingerprint,
                                                   startedAtMs: child.startedAtMs, logFile: child.logFile))
            if showsInCameraState(key) { try await store.setCameraState(key.camera, .starting) } else if key.role == .restream { restreamStates[key.camera] = "running" }
            try await store.logEvent(.info, "started", camera: key.camera, "\(key.role.rawValue) started, pid \(child.identity.pid)")
            logger.info("started", metadata: ["workload": "\(key)", "pid": "\(child.identity.pid)", "command": "\(spec.redactedCommandLine)"])
            return true
        } catch {
            // Held before any await (a reconcile meanwhile must see it);
            // counted as a failure below unless the disk is full.
            trackers[key] = { var held = tracker(key); held.waitForRoom(until: .now + .seconds(5)); return held }()
            if !started, key.role == .recorder { runningSubstreams[key.camera] = nil }
            let (message, diskFull) = await abandonStart(key, started: started, error: error)
            logger.error("\(message)", metadata: ["workload": "\(key)"])
            let now = ContinuousClock.now
            var restarts = tracker(key)
            let hold = diskFull ? restarts.waitForRoom(until: now + .seconds(5))
                                : restarts.recordExit(startedAt: now, exitedAt: now, random: Double.random(in: 0..<1, using: &random))
            trackers[key] = restarts
            await holdWorkload(key, hold, error: message)
            return false
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
