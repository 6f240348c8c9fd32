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
        // A full disk is not the recorder's failure: make room, restart now.
        if offlineDevice == nil, key.role == .recorder,
           case .diskFull(let cause) = DiskGuard.exitCause(logTail: exit.logTail, storage: recordingsStorage(), policy: desired.recording) {
            return await handleFullDiskExit(exit, cause: cause)
        }
        var hold: RestartTracker.Hold?
        var fallback: String?
        let substream = offlineDevice == nil && key.role == .recorder ? blamedSubstream(exit) : nil
        if offlineDevice == nil {
            if let encoder, encoder.isHardware, exit.ranFor < options.restartPolicy.healthyRun {
                fallbackPending.insert(key.camera)
                fallback = "hardware encoder \(encoder.name) failed for \(key.camera)" + (tail.isEmpty ? "" : " (\(tail))") + "; recording with software"
            }
            var tracker = tracker(key)
            hold = tracker.recordExit(startedAt: exit.child.startedAt, exitedAt: .now, random: Double.random(in: 0..<1, using: &random))
            trackers[key] = tracker
            if let hold { wakeupContinuation.yield(hold.until) }
        }
        if fallback != nil {
            await hardware.fellBackToSoftware(key.camera, detail: tail)
            fallbackPending.remove(key.camera)
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
        if let substream { await noteSubstreamFailure(key.camera, substream) }
        if let fallback {
            logger.warning("\(fallback)")
            try? await store.logEvent(.warning, "encoder-fallback", camera: key.camera, fallback)
        }
        guard let hold else { return }
        await reportFailedExit(exit, hold: hold, tail: tail)
        await reconcile(reason: "process exit")
    }

    /// A failure's log line and event, and its hold.
    func reportFailedExit(_ exit: Supervisor.Exit, hold: RestartTracker.Hold, tail: String) async {
        let key = exit.child.key
        let detail = "\(key.role.rawValue) exited (\(exit.status)) after \(exit.ranFor.formattedSeconds)" + (tail.isEmpty ? "" : ": \(tail)")
        let retry: String
        switch hold {
        case .backoff(let until, let attempt): retry = "retry \(attempt) in \((until - .now).formattedSeconds)"
        case .circuitOpen(let until): retry = "failing repeatedly: circuit open, next try in \((until - .now).formattedSeconds)"
        }
        logger.warning("\(detail); \(retry)", metadata: ["workload": "\(key)"])
        try? await store.logEvent(.error, "exited", camera: key.camera, "\(detail); \(retry)")
        await holdWorkload(key, hold, error: tail.isEmpty ? "\(exit.status)" : tail)
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
            runningSubstreams[camera] = nil
        }
        await recoverSegments(of: camera, beforeMs: endedAtMs)
    }
}
