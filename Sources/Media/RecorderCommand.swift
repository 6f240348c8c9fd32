import CamgateCore

/// Builds the recorder's ffmpeg command line: one process that reads the
/// source once and writes
///
/// 1. MPEG-TS segments of `segment_seconds`, cut by ffmpeg's segment muxer at
///    the first keyframe after each wall-clock boundary (so no restart at a
///    rotation and no lost frame: timestamps run on across segments), with
///    a CSV list of finished segments for the index;
/// 2. `latest.jpg`, about once a second, written atomically (temp + rename);
/// 3. with motion on, the motion samples (`MotionGraph`), from the same
///    low-rate decode as latest.jpg: of the camera's substream, a second
///    input, when it has one and the main stream is copied.
///
/// MPEG-TS is chosen over MP4 because a TS file is playable up to its last
/// packet after a power cut: there is no index (moov) to write at the end.
public enum RecorderCommand {
    /// GOP of one second: rotation lands within a second of its boundary.
    public static func gop(fps: Int) -> Int { max(1, fps) }

    public static func spec(camera: CameraID, spec: CameraSpec, policy: RecordingPolicy, layout: DataLayout,
                            tools: FFmpegTools, encoder: VideoEncoder, capture: CaptureMode? = nil, relayPort: Int? = nil,
                            substream: Bool = true) -> ProcessSpec {
        ProcessSpec(executable: tools.ffmpeg,
                    arguments: arguments(camera: camera, spec: spec, policy: policy, layout: layout, encoder: encoder, capture: capture,
                                         relayPort: relayPort, substream: substream),
                    environment: FFmpegTools.environment,
                    logFile: layout.log(camera, role: .recorder))
    }

    /// - Parameter relayPort: also send the encoded stream as MPEG-TS to
    ///   this loopback UDP port (MediaMTX's publisher reads it), through the
    ///   tee muxer: the segments are not encoded twice, and a UDP send never
    ///   fails, so viewing can never stop a recording.
    /// - Parameter substream: use the camera's motion substream, if it has
    ///   one (false once it failed: `motionSubstream`).
    public static func arguments(camera: CameraID, spec: CameraSpec, policy: RecordingPolicy, layout: DataLayout, encoder: VideoEncoder,
                                 capture: CaptureMode? = nil, relayPort: Int? = nil, substream: Bool = true) -> [String] {
        // -y: latest.jpg (and a segment name reused within the same second
        // after a restart) already exist; without it ffmpeg refuses to start.
        var args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+warning", "-y"]
        args += EncoderArguments.hardwareInit(encoder)
        // With motion on, every frame is decoded (motion from keyframes
        // alone is 2 s late and misses short events: docs/motion-design.md),
        // of the substream when the camera has one and the main stream is
        // only copied; the main stream is then not decoded at all.
        let motion = spec.motion.enabled
        let second = substream ? motionSubstream(spec, encoder: encoder) : nil
        args += input(spec.source, video: spec.video, keyframesOnlyForDecoding: encoder == .copy && !motion,
                      oneDecoderThread: encoder == .copy, capture: capture, secondInput: second != nil)
        if let second { args += input(.rtsp(url: second), video: spec.video, keyframesOnlyForDecoding: false, oneDecoderThread: true, secondInput: true) }

        // Output 1: the recording. `flush_packets=1` on the segment's MPEG-TS
        // muxer: each packet reaches the file as it is muxed, so a killed
        // recorder or a power cut loses at most the packet in flight (by
        // default ffmpeg holds 256 KiB — seconds of video — in its buffer).
        args += ["-map", "0:v:0", "-an"]
        args += video(encoder: encoder, settings: spec.video, sourceFPS: capture?.fps ?? sourceFPS(spec))
        if let relayPort {
            let segment = "[f=segment:segment_format=mpegts:segment_format_options=flush_packets=1:segment_time=\(policy.segmentSeconds):segment_atclocktime=1:strftime=1:"
                + "segment_list=\(layout.segmentList(camera)):segment_list_type=csv]\(layout.segmentPattern(camera))"
            let relay = "[f=mpegts:onfail=ignore]udp://127.0.0.1:\(relayPort)?pkt_size=1316"
            args += ["-f", "tee", "\(segment)|\(relay)"]
        } else {
            args += ["-f", "segment", "-segment_format", "mpegts", "-segment_format_options", "flush_packets=1",
                     "-segment_time", String(policy.segmentSeconds), "-segment_atclocktime", "1",
                     "-strftime", "1",
                     "-segment_list", layout.segmentList(camera), "-segment_list_type", "csv",
                     layout.segmentPattern(camera)]
        }

        // Output 2: latest.jpg for instant snapshots (full-range JPEG without
        // the deprecated yuvj pixel formats, so the log stays quiet). One
        // JPEG encoder thread: one picture a second needs no more, and each
        // thread holds its own buffers (docs/motion-design.md, "Memory").
        // With motion on, latest.jpg and the motion metric share one
        // low-rate branch of a filter graph instead.
        if motion { return args + MotionGraph.outputs(camera: camera, masks: spec.motion.masks, layout: layout, input: second == nil ? "0:v:0" : "1:v:0") }
        args += ["-map", "0:v:0", "-an", "-vf", "fps=1,scale=out_range=full", "-pix_fmt", "yuv420p", "-color_range", "pc",
                 "-strict", "-1", "-c:v", "mjpeg", "-q:v", "5", "-threads", "1",
                 "-f", "image2", "-update", "1", "-atomic_writing", "1", layout.latestSnapshot(camera)]
        return args
    }

    /// The substream a recorder decodes for motion and latest.jpg: the
    /// camera's, when motion is on and the main stream is copied (an
    /// encoding recorder decodes every frame anyway: the branch is free there).
    public static func motionSubstream(_ spec: CameraSpec, encoder: VideoEncoder) -> String? {
        guard spec.motion.enabled, encoder == .copy, spec.source.rtspURL != nil else { return nil }
        return spec.motion.substream
    }

    /// Input options for a source. `-re` paces the synthetic camera at real
    /// time (lavfi otherwise produces frames as fast as the CPU allows).
    /// - Parameters:
    ///   - oneDecoderThread: decode with one thread (a copying recorder
    ///     decodes only for latest.jpg and motion, at 1–2 fps).
    ///   - secondInput: the recorder reads two RTSP inputs (main and
    ///     substream); ffmpeg then reads each in a thread, through a queue
    ///     of packets. It is pinned at 5.1's default, 8: 64 would silence
    ///     ffmpeg's "Thread message queue blocking" warning (the reader
    ///     waits, nothing is lost) but holds 0.8 MB more per recorder.
    public static func input(_ source: CameraSource, video: VideoSettings, keyframesOnlyForDecoding: Bool, oneDecoderThread: Bool = false,
                             capture: CaptureMode? = nil, secondInput: Bool = false) -> [String] {
        switch source {
        case .test(let p):
            return ["-re", "-f", "lavfi", "-i", "\(p.pattern)=size=\(p.size):rate=\(p.fps)"]
        case .rtsp(let url):
            // TCP: no lost packets on a busy network. The 10 s socket timeout
            // turns a vanished camera into an exit (the segment is closed and
            // the supervisor reconnects) instead of a silent hang. RTP gives
            // no DTS: packets are stamped with their arrival time and
            // generated PTS (as Frigate does), which keeps the copied stream
            // monotonic across the camera's own timestamp resets.
            var args = ["-rtsp_transport", "tcp", "-timeout", "10000000",
                        "-fflags", "+genpts+discardcorrupt", "-use_wallclock_as_timestamps", "1"]
            // When packets are copied, only latest.jpg decodes: keyframes are
            // enough, and one decoder thread (frame threads hold a picture
            // each: −6.5 MB at 360p, docs/motion-design.md "Memory").
            if keyframesOnlyForDecoding { args += ["-skip_frame", "nokey"] }
            if keyframesOnlyForDecoding || oneDecoderThread { args += ["-threads", "1"] }
            if secondInput { args += ["-thread_queue_size", "8"] }
            return args + ["-i", url]
        case .v4l2(let device):
            var args = ["-f", "v4l2", "-thread_queue_size", "64"]
            if let capture {
                args += ["-input_format", capture.inputFormat, "-video_size", capture.size.description]
                if let fps = capture.fps { args += ["-framerate", String(fps)] }
            } else {
                if let size = video.size { args += ["-video_size", size.description] }
                if let fps = video.fps { args += ["-framerate", String(fps)] }
            }
            return args + ["-i", device]
        }
    }

    /// Video codec options for the recording output.
    public static func video(encoder: VideoEncoder, settings: VideoSettings, sourceFPS: Int?) -> [String] {
        EncoderArguments.video(encoder, settings: settings, sourceFPS: sourceFPS)
    }

    static func sourceFPS(_ spec: CameraSpec) -> Int? {
        if case .test(let p) = spec.source { return p.fps }
        return spec.video.fps
    }

    /// The encoder a camera records with when nothing is known of the
    /// hardware: H.264 network cameras are copied, everything else is
    /// encoded in software. (The agent refines this with the inventory.)
    public static func encoder(for spec: CameraSpec) -> VideoEncoder {
        switch (spec.video.encoder, spec.source) {
        case (.copy, _): .copy
        case (.auto, .rtsp): .copy
        default: .software
        }
    }
}
