import CamgateCore

/// ffmpeg command lines that feed MediaMTX:
/// - `capture`: the on-demand capture MediaMTX starts for a viewing or
///   snapshot camera (`camgate capture`), source → RTSP publish;
/// - `transcode`: an on-demand lower-resolution variant of a camera's main
///   path (`camgate transcode`), with the proven encoder;
/// - `relay`: the supervised publisher of a recording camera, which forwards
///   the recorder's local MPEG-TS/UDP copy to MediaMTX (so recording never
///   depends on MediaMTX being up).
public enum PublishCommand {
    static let prefix = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+warning"]

    public static func capture(_ spec: CameraSpec, encoder: VideoEncoder, capture: CaptureMode?, destination: String) -> [String] {
        var args = prefix + EncoderArguments.hardwareInit(encoder)
        args += RecorderCommand.input(spec.source, video: spec.video, keyframesOnlyForDecoding: false, capture: capture)
        args += ["-map", "0:v:0", "-an"]
        args += EncoderArguments.video(encoder, settings: spec.video, sourceFPS: capture?.fps ?? RecorderCommand.sourceFPS(spec))
        return args + ["-f", "rtsp", "-rtsp_transport", "tcp", destination]
    }

    /// `height`: the variant's; the width keeps the source's aspect ratio.
    public static func transcode(from source: String, height: Int, bitrateKbps: Int, encoder: VideoEncoder, destination: String) -> [String] {
        var args = prefix + EncoderArguments.hardwareInit(encoder)
        args += ["-rtsp_transport", "tcp", "-timeout", "10000000", "-i", source, "-map", "0:v:0", "-an"]
        args += EncoderArguments.video(encoder, settings: VideoSettings(bitrateKbps: bitrateKbps), sourceFPS: nil, scaleToHeight: height)
        return args + ["-f", "rtsp", "-rtsp_transport", "tcp", destination]
    }

    public static func relay(port: Int, destination: String) -> [String] {
        // The UDP read times out after 5 s without data (recorder restarting):
        // the publisher exits and is restarted by the supervisor.
        prefix + ["-f", "mpegts", "-i", "udp://127.0.0.1:\(port)?fifo_size=1000000&overrun_nonfatal=1&timeout=5000000",
                  "-map", "0:v:0", "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", destination]
    }
}

/// The loopback UDP port a recording camera's recorder sends its relay copy
/// to: derived from the camera id (stable across restarts and unrelated
/// changes), moved up on a collision.
public enum RelayPort {
    public static let base = 41_000
    public static let span = 8_000

    public static func ports(for cameras: [CameraID]) -> [CameraID: Int] {
        var used = Set<Int>()
        var result: [CameraID: Int] = [:]
        for camera in cameras.sorted() {
            let spec = ProcessSpec(executable: "relay", arguments: [camera.rawValue], logFile: "")
            var offset = Int(UInt64(spec.fingerprint, radix: 16)! % UInt64(span))
            while used.contains(offset) { offset = (offset + 1) % span }
            used.insert(offset)
            result[camera] = base + offset
        }
        return result
    }
}
