#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Logging
import Media
import Platform
import Store
import Supervisor

/// A full disk is the steady state of every recorder: the floor is held at
/// every segment rotation (not only on the retention tick), a recorder that
/// ran out of space is restarted as soon as room is made (not counted as a
/// crash), and the database keeps a reserve for its own writes.
extension Agent {
    /// Room to keep above the floor for the segments being written
    /// (none when the policy keeps no floor).
    var headroom: Int64 {
        guard desired.recording.minFreePercent > 0, let total = recordingsStorage()?.totalBytes else { return 0 }
        return DiskGuard.headroom(lastSegmentBytes: lastSegmentBytes.values, totalBytes: total)
    }

    /// The recordings file system, nil when it cannot be read.
    func recordingsStorage() -> RetentionPlanner.Storage? {
        guard let capacity = try? FileSystem.capacity(of: FileSystem.exists(layout.recordingsRoot) ? layout.recordingsRoot : layout.root) else { return nil }
        return .init(totalBytes: capacity.total, availableBytes: capacity.available)
    }

    /// A segment finished (the index saw it): delete now when the next
    /// segments would take the disk below its floor.
    func holdFloor(finished: [(camera: CameraID, bytes: Int64)]) async {
        for segment in finished where segment.bytes > 0 { lastSegmentBytes[segment.camera] = segment.bytes }
        guard let storage = recordingsStorage(),
              DiskGuard.needsRoom(storage: storage, policy: desired.recording, headroom: headroom) else { return }
        await makeRoom()
    }

    /// Releases the database's reserve when the disk is full, then runs
    /// retention at once. Returns what retention deleted.
    @discardableResult
    func makeRoom() async -> (segments: Int, bytes: Int64) {
        maintainReserve()
        return await enforceRetentionNow()
    }

    /// Releases the reserve on a full disk; makes it again once the space is back.
    func maintainReserve() {
        do {
            switch try DiskSpace.maintainReserve(layout, policy: desired.recording, headroom: headroom) {
            case .keep: break
            case .release: logger.warning("disk full: released the database reserve (\(DiskSpace.reserveBytes >> 20) MiB at \(layout.reserveFile)) so that state changes can still be written")
            case .create: logger.info("disk: made the database reserve (\(DiskSpace.reserveBytes >> 20) MiB at \(layout.reserveFile))")
            }
        } catch {
            logger.debug("disk: reserve not changed: \(error)")
        }
    }

    /// A recorder exited on a full disk (`DiskGuard.exitCause`): room is
    /// made at once, and it restarts now when there is room for its next
    /// segments, else in a few seconds; never counted toward its circuit
    /// breaker. Its camera's error says "disk full" in plain words.
    func handleFullDiskExit(_ exit: Supervisor.Exit, cause: String) async {
        let key = exit.child.key
        let endedAtMs = WallClock.nowMilliseconds()
        // A hold first: a reconcile during the awaits below must not restart it on a full disk.
        var tracker = tracker(key)
        tracker.waitForRoom(until: .now + .seconds(5))
        trackers[key] = tracker
        let freed = await makeRoom()
        try? await store.deleteProcess(key, identity: exit.child.identity)
        await finishRecorder(key.camera, endedAtMs: endedAtMs)
        let restart = DiskGuard.restartAfterFullDisk(storage: recordingsStorage(), reserveHeld: FileSystem.exists(layout.reserveFile),
                                                     reserveBytes: DiskSpace.reserveBytes)
        var message = "disk full: the recorder stopped writing (\(cause)); deleted \(freed.segments) oldest segments (\(freed.bytes >> 10) KiB)"
        switch restart {
        case .now:
            trackers[key]?.waitForRoom(until: .now)
            message += "; restarted at once"
            try? await store.setCameraState(key.camera, .starting, lastError: .some(message))
        case .waitForRoom(let delay):
            trackers[key]?.waitForRoom(until: .now + delay)
            message += "; no room yet, retrying in \(delay.formattedSeconds)"
            try? await store.setCameraState(key.camera, .backoff, lastError: .some(message))
            wakeupContinuation.yield(.now + delay)
        }
        logger.warning("\(message)", metadata: ["workload": "\(key)"])
        try? await store.logEvent(.warning, "disk-full", camera: key.camera, message)
        await reconcile(reason: "disk full")
    }

    /// Refuses to start a recorder on a disk with no room to record beside
    /// the database's reserve (`DiskGuard.roomToRecord`): it would fail at
    /// once and take the room the database needs to say so.
    func checkRoomToRecord() throws(DiskFull) {
        guard let storage = recordingsStorage(),
              !DiskGuard.roomToRecord(storage: storage, reserveHeld: FileSystem.exists(layout.reserveFile),
                                      reserveBytes: DiskSpace.reserveBytes) else { return }
        throw DiskFull(storage: storage)
    }

    /// `store.saveProcess` (or another write) failed after the recorder
    /// started: a recorder without its process row could not be adopted
    /// after an agent restart, so it is stopped at once and its segment
    /// closed. Returns the camera's error, "disk full: …" when the disk is
    /// full (then room is made and the restart is not counted as a failure).
    func abandonStart(_ key: WorkloadKey, started: Bool, error: any Error) async -> (message: String, diskFull: Bool) {
        if started {
            await supervisor.stop(key, grace: options.stopGrace)
            runningEncoders[key] = nil
            if key.role == .recorder { await finishRecorder(key.camera, endedAtMs: WallClock.nowMilliseconds()) }
        }
        let text = "\(error)"
        let storage = recordingsStorage()
        let full = DiskGuard.isFullDiskError(text) || storage.map { $0.availableBytes < DiskSpace.reserveBytes } == true
        guard full else {
            return ("cannot start \(key.role.rawValue): \(text)" + (started ? " (stopped: it could not be recorded in the database)" : ""), false)
        }
        let freed = await makeRoom()
        let free = storage.map { "\($0.availableBytes >> 10) KiB free of \($0.totalBytes >> 10) KiB" } ?? "free space unknown"
        return ("disk full: cannot start \(key.role.rawValue) (\(free); \(text)); deleted \(freed.segments) oldest segments, retrying", true)
    }
}

/// A recorder not started for want of space.
struct DiskFull: Error, CustomStringConvertible {
    var storage: RetentionPlanner.Storage
    var description: String {
        "No space left on device: \(storage.availableBytes >> 10) KiB free of \(storage.totalBytes >> 10) KiB, not enough to record beside the database's reserve"
    }
}
