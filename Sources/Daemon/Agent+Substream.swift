import CamgateCore
import Logging
import Media
import Platform
import Store
import Supervisor

/// Motion from a camera's substream (docs/motion-design.md, "Substream").
/// A copying recorder decodes the substream for motion and latest.jpg, a
/// second RTSP input of the same ffmpeg. ffmpeg goes on while one of its
/// inputs is gone, so each input is watched: the main stream by the segment
/// growth (a short `StallDetector` limit), the substream by latest.jpg,
/// which it alone feeds. A substream that fails is not used again until the
/// desired substream changes or the agent restarts; motion then comes from
/// the main stream (going back would restart the recorder and cost a
/// second of recording).
extension Agent {
    /// A two-input recorder whose main stream stopped: its segments stop growing.
    static let substreamMainQuietLimit: Duration = .seconds(30)
    /// A substream whose latest.jpg (1 a second) is older than this is gone.
    static let substreamPictureLimit: Duration = .seconds(20)
    /// ... if the segments grew within this (the main stream is alive).
    static let substreamBlameWindow: Duration = .seconds(5)

    /// Whether the recorder of `camera` may use its configured substream
    /// (a failed one is forgotten when the desired one changes).
    func substreamAllowed(_ camera: CameraID, _ spec: CameraSpec) -> Bool {
        spec.motion.substream != nil && failedSubstreams[camera] == nil
    }

    /// Bookkeeping at a recorder's start (or adoption): which substream it
    /// decodes, and the watches that go with one.
    func watchRecorder(_ camera: CameraID, substream: String?) {
        let segments = desired.recording.segmentSeconds
        stallDetectors[camera] = StallDetector(segmentSeconds: segments, startedAt: .now,
                                               quietLimit: substream == nil ? nil : Agent.substreamMainQuietLimit)
        runningSubstreams[camera] = substream.map {
            ($0, StallDetector(limit: Agent.substreamPictureLimit, startupLimit: .seconds(20), startedAt: .now))
        }
    }

    /// The substream of a running recorder still feeds latest.jpg; if not,
    /// the recorder is restarted with motion from its main stream. Not
    /// while its segments stand still too: the recorder itself is frozen,
    /// or the whole camera gone, and `checkStall` restarts it as it is.
    func checkSubstream(_ camera: CameraID) async {
        guard let running = runningSubstreams[camera] else { return }
        let url = running.url
        var watch = running.picture
        let file = layout.latestSnapshot(camera)
        let stamp = (try? FileSystem.modificationTime(file)) ?? 0
        let verdict = watch.observe(.init(file: file, bytes: stamp), at: .now)
        runningSubstreams[camera]?.picture = watch
        guard case .stalled(let quiet) = verdict,
              let segments = stallDetectors[camera], segments.quiet(at: .now) < Agent.substreamBlameWindow else { return }
        // Marked before any await: the recorder's command line changes with
        // it, so whichever reconcile runs first restarts it, once.
        let message = markSubstreamFailed(camera, url: url, reason: "no picture for \(quiet.formattedSeconds)")
        await noteSubstreamFailure(camera, message)
        await reconcile(reason: "substream lost")
    }

    /// A recorder that ended early blaming its substream in its log
    /// (`Substream.isBlamed`): marked failed before any await, so that a
    /// reconcile meanwhile already starts the next without it. Returns the
    /// message to note.
    func blamedSubstream(_ exit: Supervisor.Exit) -> String? {
        let camera = exit.child.key.camera
        guard let url = runningSubstreams[camera]?.url, exit.ranFor < options.restartPolicy.healthyRun,
              Substream.isBlamed(url, rawLogTail: LogFile.lastLines(exit.child.logFile, redacted: false)) else { return nil }
        return markSubstreamFailed(camera, url: url, reason: "could not be opened: \(exit.logTail.last ?? "\(exit.status)")")
    }

    /// Motion of `camera` comes from its main stream from the next start on.
    func markSubstreamFailed(_ camera: CameraID, url: String, reason: String) -> String {
        failedSubstreams[camera] = (url, reason)
        return "motion substream \(Redactor.redactURL(url)) failed (\(reason)); motion now comes from the main stream"
    }

    func noteSubstreamFailure(_ camera: CameraID, _ message: String) async {
        logger.warning("\(message)", metadata: ["camera": "\(camera)"])
        try? await store.logEvent(.warning, "motion-substream", camera: camera, message)
    }

    /// The substream an adopted recorder decodes, from its command line
    /// (/proc): what it really reads, even if the desired one changed
    /// while no agent ran (a hand-over keeps the old command line).
    func adoptedSubstream(pid: Int32) -> String? {
        Substream.input(ofCommandLine: ProcFS.commandLine(pid: pid))
    }

    /// A new desired state: a substream that failed is tried again once
    /// the camera names another (or none, or is removed).
    func forgetReplacedSubstreams() {
        failedSubstreams = failedSubstreams.filter { desired.cameras[$0.key]?.motion.substream == $0.value.url }
    }

    /// Where the motion of a camera's running recorder comes from, for the
    /// API and the state report: nil with motion off or no recorder.
    public func motionSource(_ camera: CameraID) async -> String? {
        guard let spec = desired.cameras[camera], spec.motion.enabled,
              await supervisor.child(WorkloadKey(camera: camera, role: .recorder)) != nil else { return nil }
        if runningSubstreams[camera] != nil { return "substream" }
        if let failed = failedSubstreams[camera] { return "main (substream failed: \(failed.reason))" }
        return "main"
    }
}
