import CamgateCore
import Logging
import Media
import Platform
import Store

/// Motion events (issue 13; docs/motion-design.md). The recorder writes its
/// samples to `run/<camera>/motion.log`; the agent tails that file from a
/// cursor kept in SQLite and turns the samples into events (`MotionFeed`,
/// `MotionTracker`). This is part of the recording side, next to the segment
/// index, because it follows the recorders' lifecycle: a recorder's file is
/// read to its end and removed before the next recorder of that camera
/// starts (ffmpeg opens it with O_TRUNC), and an adopted recorder keeps its
/// file and its cursor.
extension Agent {
    /// Most bytes read from one file in one go (about 13 000 samples).
    static let motionReadLimit: Int64 = 1 << 20
    /// The clock the tracker gets lags the wall clock by this much: a sample
    /// stamped just before a read may reach the file just after it.
    static let motionClockSlackMs: Int64 = 300

    /// The 500 ms tick: every camera with motion on, and any camera with an
    /// event still open (motion turned off, camera removed), is read and its
    /// quiet gaps end events.
    public func motionTick() async {
        let nowMs = WallClock.nowMilliseconds() - Agent.motionClockSlackMs
        var cameras = Set(desired.cameras.filter { $0.value.record && $0.value.motion.enabled }.map(\.key))
        cameras.formUnion(motionCursors.filter { $0.value.phase != .idle }.map(\.key))
        for camera in cameras.sorted() where !motionBusy.contains(camera) {
            await withMotionFile(camera) { await readMotion(camera, nowMs: nowMs) }
        }
    }

    /// Runs `body` as the only reader of the camera's motion file: a read
    /// whose commit lands after the file was replaced would move the new
    /// file's cursor past samples it never read.
    func withMotionFile<T>(_ camera: CameraID, _ body: () async -> T) async -> T {
        while motionBusy.contains(camera) { try? await Task.sleep(for: .milliseconds(10)) }
        motionBusy.insert(camera)
        defer { motionBusy.remove(camera) }
        return await body()
    }

    /// Reads a camera's motion file from its cursor to the end (in pieces
    /// of `motionReadLimit`), one transaction per piece. Returns false when
    /// the store refused a batch (the cursor then stays where it was).
    @discardableResult
    func readMotion(_ camera: CameraID, nowMs: Int64?) async -> Bool {
        let settings = desired.cameras[camera]?.motion ?? MotionSettings()
        let file = layout.motionLog(camera)
        while true {
            guard var cursor = await loadMotionCursor(camera) else { return false }
            let size = (try? FileSystem.fileSize(file)) ?? 0
            if size < cursor.offset { cursor.offset = 0 }  // a new recorder's file
            let count = min(size - cursor.offset, Agent.motionReadLimit)
            let bytes = count > 0 ? ((try? FileSystem.read(file, from: cursor.offset, limit: Int(count))) ?? []) : []
            let batch = MotionFeed.feed(bytes, cursor: cursor, settings: settings, nowMs: nowMs)
            if batch.cursor != motionCursors[camera] || !batch.transitions.isEmpty {
                do {
                    let queued = try await store.applyMotion(camera: camera, batch, report: options.reportRecordings, upload: motionUploadWindow)
                    if queued > 0 { uploadsQueued() }
                } catch {
                    logger.error("motion: cannot store the events of \(camera): \(error)", metadata: ["camera": "\(camera)"])
                    return false
                }
                motionCursors[camera] = batch.cursor
                await noteMotion(camera, batch.transitions)
            }
            if count < Agent.motionReadLimit || batch.cursor.offset == cursor.offset { return true }
        }
    }

    /// The cursor in memory, else the stored one, else a new one.
    func loadMotionCursor(_ camera: CameraID) async -> MotionCursor? {
        if let cursor = motionCursors[camera] { return cursor }
        do {
            let cursor = try await store.motionCursor(camera) ?? MotionCursor()
            motionCursors[camera] = cursor
            return cursor
        } catch {
            logger.error("motion: cannot read the cursor of \(camera): \(error)", metadata: ["camera": "\(camera)"])
            return nil
        }
    }

    func noteMotion(_ camera: CameraID, _ transitions: [MotionTracker.Transition]) async {
        guard !transitions.isEmpty else { return }
        for transition in transitions {
            switch transition {
            case .started(let start, let peak):
                counters.motionEvents[camera, default: 0] += 1
                logger.info("motion started", metadata: ["camera": "\(camera)", "start": "\(Timestamp.rfc3339(milliseconds: start))", "peak": "\(peak)"])
            case .ended(let start, let end, let peak):
                logger.info("motion ended", metadata: ["camera": "\(camera)", "start": "\(Timestamp.rfc3339(milliseconds: start))",
                                                       "end": "\(Timestamp.rfc3339(milliseconds: end))", "peak": "\(peak)"])
            }
        }
        if options.reportRecordings { reportsQueued() }
    }

    /// Before a camera's recorder starts: the previous recorder's motion
    /// file is read to its end (its samples may continue an open event: the
    /// clock is not advanced), removed, and the cursor rewound for the new
    /// file. When the store refuses them, they are dropped and recording
    /// starts all the same (motion must never stop it).
    func prepareMotionFile(_ camera: CameraID) async {
        await withMotionFile(camera) { await replaceMotionFile(camera) }
    }

    private func replaceMotionFile(_ camera: CameraID) async {
        let file = layout.motionLog(camera)
        guard FileSystem.exists(file) else { return }
        if await !readMotion(camera, nowMs: nil) {
            logger.error("motion: the last samples of the previous recorder of \(camera) could not be stored and are dropped", metadata: ["camera": "\(camera)"])
        }
        do {
            try FileSystem.remove(file)
            try await store.rewindMotionCursor(camera)
            motionCursors[camera]?.offset = 0
        } catch {
            logger.error("motion: cannot start a new motion file for \(camera): \(error)", metadata: ["camera": "\(camera)"])
        }
    }

    /// After the recorders stopped (agent shutdown): what they wrote is read
    /// and open events end, as nothing watches any more.
    func finishMotion() async {
        let nowMs = WallClock.nowMilliseconds() + 600_000
        for camera in Set(motionCursors.keys).union(desired.cameras.filter { $0.value.motion.enabled }.map(\.key)).sorted() {
            await withMotionFile(camera) { await readMotion(camera, nowMs: nowMs) }
        }
    }
}
