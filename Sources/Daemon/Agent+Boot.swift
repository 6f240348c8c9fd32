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
    // MARK: - Boot

    /// Restores what survived the previous agent: adopts its recorders when
    /// this is the same boot (drops their PIDs without signalling anything
    /// after a reboot), finalizes segments that were cut off, then starts
    /// whatever should run. Needs no network.
    /// - Parameter afterHandover: the previous agent stopped for an update
    ///   and left its recorders running: an adopted recorder whose command
    ///   line this version would write differently keeps running as it is
    ///   (the new arguments apply at its next restart), so that the update
    ///   cuts no recording (docs/ota.md, "Recording across an update").
    public func boot(afterHandover: Bool = false) async throws {
        // A MediaMTX configured on an earlier run and removed since: `camgate
        // view` must say "not configured", not show its last state.
        if mediamtx == nil { try? await store.clearMediaMTXState() }
        if desired.upload.mode != .none { await warnIfNoUploader(desired.upload) }
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
                    watchRecorder(row.key.camera, substream: adoptedSubstream(pid: row.identity.pid))
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
        if afterHandover { await keepAdoptedCommandLines() }
        let bootMs = WallClock.nowMilliseconds()
        await indexTick()
        try? await store.pruneEvents()
        await hardware.prepare()
        await reconcile(reason: "boot")
        pendingRecovery = (adopted, bootMs)
        booted = true
        for waiter in bootWaiters { waiter.resume() }
        bootWaiters.removeAll()
    }

    /// After an update's hand-over: adopted workloads whose desired command
    /// line differs only take the new one at their next start.
    private func keepAdoptedCommandLines() async {
        let specs = await desiredWorkloads()
        for (key, child) in await supervisor.running {
            guard let spec = specs[key], spec.fingerprint != child.fingerprint else { continue }
            await acceptCommandLine(key, spec.fingerprint, of: child)
            logger.notice("kept \(key) running across the update; its new command line applies at its next start")
            try? await store.logEvent(.info, "adopted", camera: key.camera, "kept \(key.role.rawValue) running across an update: its new command line applies at its next start")
        }
    }

    /// Takes `fingerprint` as the running child's own: its new command line applies at its next start.
    func acceptCommandLine(_ key: WorkloadKey, _ fingerprint: String, of child: Supervisor.Child) async {
        await supervisor.acceptFingerprint(key, fingerprint)
        try? await store.saveProcess(ProcessRow(key: key, identity: child.identity, fingerprint: fingerprint,
                                                startedAtMs: child.startedAtMs, logFile: child.logFile))
    }

    /// Returns once `boot` has run (recording started): the cloud connects after, never before.
    public func waitUntilBooted() async {
        if booted { return }
        await withCheckedContinuation { bootWaiters.append($0) }
    }

    /// Runs the segment recovery `boot` deferred (the service calls it once recording runs).
    public func recoverAfterBoot() async {
        guard let pending = pendingRecovery else { return }
        pendingRecovery = nil
        await recoverSegments(excluding: pending.adopted, beforeMs: pending.beforeMs)
    }

    // MARK: - Shutdown

    /// Stops without stopping the children: the root side of an update
    /// marked a hand-over before restarting the service, so the recorders
    /// keep running and the next agent (the new version, or the old one
    /// after a rollback) adopts them as it would after a crash. The
    /// segments finished so far are indexed; the one being written is the
    /// next agent's (docs/ota.md, "Recording across an update").
    public func handOver() async {
        let count = await beginStopping()
        logger.notice("handing over for an update: \(count) processes keep running for the next agent to adopt")
        await indexTick()
        try? await store.logEvent(.info, "agent", "agent stopped for an update; \(count) processes left running to be adopted")
        try? await store.markAgentStopped()
    }

    /// Nothing starts any more and boot waiters are released; the number of children running.
    private func beginStopping() async -> Int {
        shuttingDown = true
        for waiter in bootWaiters { waiter.resume() }
        bootWaiters.removeAll()
        return await supervisor.running.count
    }

    /// Stops every child (SIGTERM, then SIGKILL after the grace period),
    /// indexes their last segments and records the agent as stopped.
    public func shutdown() async {
        let count = await beginStopping()
        logger.info("shutting down: stopping \(count) processes")
        await supervisor.stopAll(grace: options.stopGrace)
        let stoppedMs = WallClock.nowMilliseconds()
        for camera in indexers.keys.sorted() { await finishRecorder(camera, endedAtMs: stoppedMs) }
        await finishMotion()
        for process in (try? await store.processes()) ?? [] {
            try? await store.deleteProcess(process.key)
            try? await store.setCameraState(process.key.camera, desired.cameras[process.key.camera] == nil ? .removed : .idle)
        }
        try? await store.logEvent(.info, "agent", "agent stopped")
        try? await store.markAgentStopped()
    }
}
