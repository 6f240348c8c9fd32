import CamgateCore
import Platform

/// Takes a JPEG of a camera: from the recorder's `latest.jpg` when it is at
/// most 2 s old (instant), otherwise by a one-shot capture from the source.
/// A V4L2 device a recorder holds is never opened a second time.
public enum Snapshotter {
    public static let freshness: Int64 = 2_000

    public struct Snapshot: Sendable, Equatable {
        public var file: String
        public var bytes: Int64
        public var takenAtMs: Int64
        /// "latest" (the recorder's frame) or "capture" (one-shot ffmpeg).
        public var method: String
    }

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// - Parameter mediamtxURL: the camera's MediaMTX path, when MediaMTX
    ///   runs: reading it starts the on-demand capture (one process opens
    ///   the device, however many readers there are).
    public static func take(camera: CameraID, spec: CameraSpec, recorderRunning: Bool, layout: DataLayout, tools: FFmpegTools,
                            output: String, mediamtxURL: String? = nil, timeout: Duration = .seconds(10)) async throws -> Snapshot {
        let latest = layout.latestSnapshot(camera)
        let now = WallClock.nowMilliseconds()
        if let mtime = try? FileSystem.modificationTime(latest), now - mtime <= freshness {
            let bytes = try FileSystem.read(latest, limit: 32 << 20)
            try FileSystem.writeAtomically(output, bytes, mode: 0o640)
            return Snapshot(file: output, bytes: Int64(bytes.count), takenAtMs: mtime, method: "latest")
        }
        if case .v4l2 = spec.source, recorderRunning, mediamtxURL == nil {
            throw Failure(description: "the recorder holds \(spec.source.redacted) and its latest.jpg is stale; not opening the device twice")
        }
        let deadline = ContinuousClock.now + timeout
        let direct = RecorderCommand.input(spec.source, video: spec.video, keyframesOnlyForDecoding: false).filter { $0 != "-re" }
        guard let mediamtxURL else {
            return try await capture(direct, method: "capture", output: output, tools: tools, timeout: timeout)
        }
        do {
            return try await capture(["-rtsp_transport", "tcp", "-timeout", "5000000", "-i", mediamtxURL], method: "mediamtx",
                                     output: output, tools: tools, timeout: timeout)
        } catch {
            // MediaMTX did not deliver (its path has no publisher, it is
            // restarting, …): straight from the source, unless a recorder
            // holds that device.
            if case .v4l2 = spec.source, recorderRunning { throw Failure(description: "through MediaMTX: \(error); the recorder holds the device") }
            let left = deadline - ContinuousClock.now
            guard left > .milliseconds(500) else { throw error }
            do {
                return try await capture(direct, method: "capture", output: output, tools: tools, timeout: left)
            } catch let second {
                throw Failure(description: "through MediaMTX: \(error); from the source: \(second)")
            }
        }
    }

    static func capture(_ input: [String], method: String, output: String, tools: FFmpegTools, timeout: Duration) async throws -> Snapshot {
        let args = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"] + input
            + ["-frames:v", "1", "-vf", "scale=out_range=full", "-pix_fmt", "yuv420p", "-color_range", "pc", "-strict", "-1",
               "-c:v", "mjpeg", "-q:v", "3", "-f", "image2", "-update", "1", "-atomic_writing", "1", output]
        let result = try await Subprocess.run(tools.ffmpeg, args, environment: FFmpegTools.environment, timeout: timeout, outputLimit: 16 * 1024)
        guard result.succeeded, let bytes = try? FileSystem.fileSize(output), bytes > 0 else {
            let reason = result.timedOut ? "timed out after \(timeout)" : Redactor.redact(result.text.split(whereSeparator: \.isNewline).suffix(2).joined(separator: " | "))
            throw Failure(description: "capture failed: \(reason)")
        }
        return Snapshot(file: output, bytes: bytes, takenAtMs: WallClock.nowMilliseconds(), method: method)
    }
}
