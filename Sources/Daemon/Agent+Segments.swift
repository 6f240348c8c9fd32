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

extension Agent {
    // MARK: - Index

    /// Reads every recorder's new segments into the store.
    public func indexTick() async {
        for camera in indexers.keys.sorted() {
            await indexTick(only: camera)
            await checkStall(camera)
            await checkSubstream(camera)
        }
    }

    /// A recorder that wrote nothing for two segment lengths (StallDetector)
    /// is reported and restarted (at once the first time, then with backoff
    /// and circuit breaker, `recordStall`): its status would otherwise say
    /// `recording` while nothing is recorded.
    func checkStall(_ camera: CameraID) async {
        guard var detector = stallDetectors[camera], let indexer = indexers[camera] else { return }
        let file = indexer.currentFile
        let bytes = file.flatMap { try? FileSystem.fileSize($0) } ?? 0
        let verdict = detector.observe(.init(file: file, bytes: bytes), at: .now)
        stallDetectors[camera] = detector
        guard case .stalled(let quiet) = verdict else { return }
        stallDetectors[camera] = nil
        let key = WorkloadKey(camera: camera, role: .recorder)
        guard let child = await supervisor.child(key) else { return }
        let problem = "stalled: nothing written for \(quiet.formattedSeconds) (the process is frozen, or the camera or network stopped sending)"
        logger.error("recorder \(problem); restarting it", metadata: ["camera": "\(camera)", "pid": "\(child.identity.pid)"])
        try? await store.logEvent(.error, "stalled", camera: camera, "recorder \(problem); restarted")
        // A stopped process acts on SIGTERM only once continued.
        await supervisor.resume(key)
        await stopWorkload(key, reason: "stalled")
        var tracker = tracker(key)
        let hold = tracker.recordStall(startedAt: child.startedAt, at: .now, random: Double.random(in: 0..<1, using: &random))
        trackers[key] = tracker
        if let hold { await holdWorkload(key, hold, error: problem) }
        await reconcile(reason: "stalled recorder")
    }

    func indexTick(only camera: CameraID) async {
        guard var indexer = indexers[camera] else { return }
        let events = indexer.poll(nowMs: WallClock.nowMilliseconds())
        indexers[camera] = indexer
        guard !events.isEmpty else { return }
        let changes = events.map { event -> RecordingChange in
            switch event {
            case .started(let file, let startMs): .started(camera: camera, file: file, startMs: startMs)
            case .finished(let file, let startMs, let duration, let bytes):
                .finished(camera: camera, file: file, startMs: startMs, duration: duration, bytes: bytes)
            }
        }
        // The floor first: the rows below need room to be written.
        await holdFloor(finished: events.compactMap { if case .finished(_, _, _, let bytes) = $0 { (camera, bytes) } else { nil } })
        do {
            let uploading = options.uploadsConfigured && desired.upload.mode == .all
            let motionQueued = try await store.record(changes, report: options.reportRecordings, upload: uploading ? [camera] : [],
                                                      motionUpload: motionUploadWindow)
            for case .finished(_, _, _, let bytes) in events { counters.noteFinished(camera, bytes: bytes) }
            if motionQueued > 0 || uploading && changes.contains(where: { if case .finished = $0 { true } else { false } }) { uploadsQueued() }
            if options.reportRecordings, changes.contains(where: { if case .finished = $0 { true } else { false } }) { reportsQueued() }
            if events.contains(where: { if case .started = $0 { true } else { false } }) {
                try await store.setCameraState(camera, .recording, lastError: .some(nil))
            }
            await warnOfLateRotation(camera, events)
        } catch {
            logger.error("cannot index segments: \(error)", metadata: ["camera": "\(camera)"])
        }
    }

    /// A copied stream (an H.264 camera) can only be cut at its own
    /// keyframes: with a long GOP, segments end late. Said once per camera
    /// and agent run, with what to change.
    func warnOfLateRotation(_ camera: CameraID, _ events: [SegmentEvent]) async {
        guard !lateRotationWarned.contains(camera) else { return }
        let target = Double(desired.recording.segmentSeconds)
        for case .finished(let file, _, let duration, _) in events where duration > target + 2.5 {
            lateRotationWarned.insert(camera)
            let message = "segment \(FileSystem.basename(file)) lasted \(Int(duration.rounded())) s for a \(Int(target)) s target: "
                + "the camera's keyframe interval is long and its stream is copied; set the camera's I-frame interval to 2 s or less, "
                + "or give the camera a video.encoder to re-encode it"
            logger.warning("\(message)", metadata: ["camera": "\(camera)"])
            try? await store.logEvent(.warning, "recording", camera: camera, message)
            return
        }
    }

    /// Closes, in the index, segments no recorder is writing: rows left as
    /// `recording`, and files on disk the index never heard of (the agent or
    /// the power went away). Durations come from ffprobe; empty files go.
    /// Only files that began before `beforeMs` are touched: a recorder
    /// started since writes newer ones.
    func recoverSegments(of only: CameraID, beforeMs: Int64) async {
        await recover(only, beforeMs: beforeMs)
    }

    /// Recovery for every camera except `excluding` (whose adopted
    /// recorders list their own segments).
    func recoverSegments(excluding: Set<CameraID>, beforeMs: Int64) async {
        let cameras = ((try? FileSystem.list(layout.recordingsRoot)) ?? []).compactMap { try? CameraID($0) }
        for camera in cameras.sorted() where !excluding.contains(camera) {
            await recover(camera, beforeMs: beforeMs)
        }
    }

    private func recover(_ camera: CameraID, beforeMs: Int64) async {
        let known = Dictionary(((try? await store.recordings(camera: camera)) ?? []).map { ($0.file, $0) }, uniquingKeysWith: { a, _ in a })
        for file in segmentFiles(of: camera) {
            guard let start = SegmentName.startMilliseconds(FileSystem.basename(file)), start < beforeMs else { continue }
            if let row = known[file], row.status == .complete { continue }
            await closeSegment(camera: camera, file: file)
        }
        // Rows whose file is gone (deleted to start on a full disk, or by
        // hand): the index describes the files on disk.
        let gone = known.values.filter { $0.startMs < beforeMs && !FileSystem.exists($0.file) }.map(\.id)
        if !gone.isEmpty { try? await store.deleteRecordings(ids: gone) }
    }

    func closeSegment(camera: CameraID, file: String) async {
        let name = FileSystem.basename(file)
        guard let startMs = SegmentName.startMilliseconds(name) else { return }
        let bytes = (try? FileSystem.fileSize(file)) ?? 0
        if bytes == 0 {
            try? FileSystem.remove(file)
            if let row = try? await store.recording(file: file) { try? await store.deleteRecordings(ids: [row.id]) }
            return
        }
        let duration = await MediaProbe.duration(of: file, tools: options.tools) ?? 0
        // Queued for upload like any finished segment (`upload.mode: all`): a
        // segment cut off by a crash is footage all the same.
        let uploading = options.uploadsConfigured && desired.upload.mode == .all
        let motionQueued = try? await store.record([.finished(camera: camera, file: file, startMs: startMs, duration: duration, bytes: bytes)],
                                                   upload: uploading ? [camera] : [], motionUpload: motionUploadWindow)
        if uploading || (motionQueued ?? 0) > 0 { uploadsQueued() }
        logger.info("closed an interrupted segment", metadata: ["camera": "\(camera)", "file": "\(file)", "duration": "\(duration)"])
    }

    func segmentFiles(of camera: CameraID) -> [String] {
        var files: [String] = []
        for day in ((try? FileSystem.list(layout.recordings(camera))) ?? []).sorted() {
            let dir = layout.day(camera, date: day)
            for name in ((try? FileSystem.list(dir)) ?? []).sorted() where SegmentName.startMilliseconds(name) != nil {
                files.append("\(dir)/\(name)")
            }
        }
        return files
    }

    // MARK: - Housekeeping

    /// The 30 s health tick: reconcile (a lost process is restarted even if
    /// an exit went unnoticed), cap child logs, make
    /// tomorrow's directory.
    public func healthTick() async {
        await checkDatabaseLog()
        await reconcile(reason: "health")
        for (key, child) in await supervisor.running {
            LogFile.enforceCap(child.logFile, maxBytes: options.logCapBytes)
            if key.role == .recorder { try? prepareDirectories(for: key) }
        }
        if ContinuousClock.now - lastEventPrune > .seconds(3600) {
            lastEventPrune = .now
            try? await store.pruneEvents()
            try? await store.pruneInbox()
        }
    }

    /// A deleted `camgate.db-wal` (rm, a cleanup script) leaves the agent
    /// writing to a log no other process sees: every CLI read fails with
    /// "disk I/O error" while the agent itself works. Said plainly, then
    /// repaired: the deleted log's content goes into the database and a new
    /// log is started.
    func checkDatabaseLog() async {
        let wal = store.path + "-wal"
        guard ProcFS.openFileTargets().contains("\(wal) (deleted)") else { return }
        let problem = "the database's write-ahead log \(wal) was deleted while the agent was running; until it is rebuilt, other readers (the camgate CLI) fail with \"disk I/O error\""
        logger.error("store: \(problem)")
        do {
            try await store.rebuildWAL()
            logger.notice("store: write-ahead log rebuilt: its content is in the database and a new \(wal) was started")
            try? await store.logEvent(.error, "database", "\(problem). Rebuilt: nothing was lost, a new log was started.")
        } catch {
            logger.error("store: cannot rebuild the write-ahead log (\(error)); retried on the next health tick, or restart the agent")
            try? await store.logEvent(.error, "database", "\(problem). Not rebuilt yet: \(error)")
        }
    }

    /// The retention tick: deletes what retention asks for, then makes the
    /// database's reserve again if the space is back (or releases it).
    public func enforceRetention() async {
        await enforceRetentionNow()
        maintainReserve()
    }

    /// Deletes finished segments past retention or below the free-space
    /// floor plus the headroom for the segments being written: files
    /// first, then their rows; the segment being written is never a
    /// candidate. A segment waiting for its upload goes only when the floor
    /// cannot be held otherwise, and is then reported (`recording_lost`).
    /// Returns what it deleted.
    @discardableResult
    func enforceRetentionNow() async -> (segments: Int, bytes: Int64) {
        guard let finished = try? await store.finishedRecordings(), !finished.isEmpty else { return (0, 0) }
        let capacity: (total: Int64, available: Int64)
        do {
            try FileSystem.createDirectories(layout.recordingsRoot)
            capacity = try FileSystem.capacity(of: layout.recordingsRoot)
        } catch {
            logger.error("retention: cannot read free space: \(error)")
            return (0, 0)
        }
        let queued = options.uploadsConfigured ? ((try? await store.queuedRecordingIDs()) ?? []) : []
        let nowMs = WallClock.nowMilliseconds()
        let plan = RetentionPlanner.plan(finished: finished, queued: queued, policy: desired.recording,
                                         storage: .init(totalBytes: capacity.total, availableBytes: capacity.available),
                                         nowMs: nowMs, headroom: headroom)
        let doomed = plan.deletions.map { ($0.segment, $0.reason.rawValue) } + plan.lost.map { ($0.segment, "free-space (queued for upload)") }
        guard !doomed.isEmpty else { return (0, 0) }
        let removed = removeSegmentFiles(doomed.map(\.0))
        let lostItems = Dictionary(uniqueKeysWithValues: plan.lost.filter { removed.ids.contains($0.segment.id) }.map {
            ($0.segment.id, Agent.lostItem($0, nowMs: nowMs))
        })
        do {
            try await store.deleteRecordings(ids: removed.ids, lost: lostItems, report: options.reportRecordings)
        } catch {
            logger.error("retention: deleted \(removed.ids.count) files but cannot delete their rows: \(error)")
        }
        counters.retentionDeletedSegments += removed.ids.count
        counters.retentionDeletedBytes += removed.bytes
        let reasons = Set(doomed.map(\.1)).sorted().joined(separator: ", ")
        let message = "deleted \(removed.ids.count) segments (\(removed.bytes) bytes) by \(reasons)"
        logger.info("retention: \(message)")
        try? await store.logEvent(.info, "retention", message)
        if !lostItems.isEmpty { await noteLost(plan.lost.filter { lostItems[$0.segment.id] != nil }) }
        return (removed.ids.count, removed.bytes)
    }

    /// Deletes segment files (and the day directories they leave empty, but today's).
    func removeSegmentFiles(_ segments: [RetentionPlanner.Segment]) -> (ids: [Int64], bytes: Int64) {
        var removed: [Int64] = []
        var bytes: Int64 = 0
        var directories = Set<String>()
        for segment in segments {
            do {
                try FileSystem.remove(segment.file)
                removed.append(segment.id)
                bytes += segment.bytes
                directories.insert(FileSystem.parent(of: segment.file))
            } catch {
                logger.error("retention: cannot delete \(segment.file): \(error)")
            }
        }
        let today = Timestamp.utcDate(milliseconds: WallClock.nowMilliseconds())
        for dir in directories where FileSystem.basename(dir) < today { FileSystem.removeDirectoryIfEmpty(dir) }
        return (removed, bytes)
    }

    /// Answers when the actor is responsive (for the systemd watchdog).
    public func ping() {}
}
