import CamgateCore

/// The restream of seeds/001: a camera's RTSP stream copied to an RTMP
/// destination by a supervised ffmpeg (`-c:v copy`, audio to AAC because FLV
/// cannot carry the G.711 many cameras send). The synthetic test camera is
/// encoded instead (it produces raw frames).
public enum RestreamCommand {
    /// nil for a V4L2 camera: its recorder holds the device (validation
    /// refuses that combination; this is the last line of defence).
    public static func spec(camera: CameraID, spec: CameraSpec, destination: String, layout: DataLayout, tools: FFmpegTools) -> ProcessSpec? {
        arguments(source: spec.source, video: spec.video, destination: destination).map {
            ProcessSpec(executable: tools.ffmpeg, arguments: $0, environment: FFmpegTools.environment, logFile: layout.log(camera, role: .restream))
        }
    }

    public static func arguments(source: CameraSource, video: VideoSettings, destination: String) -> [String]? {
        var args = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+warning"]
        switch source {
        case .rtsp(let url):
            args += ["-rtsp_transport", "tcp", "-timeout", "10000000", "-fflags", "+genpts", "-i", url,
                     "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "copy", "-c:a", "aac", "-b:a", "128k", "-ar", "44100"]
        case .test(let p):
            args += ["-re", "-f", "lavfi", "-i", "\(p.pattern)=size=\(p.size):rate=\(p.fps)", "-map", "0:v:0"]
            args += RecorderCommand.video(encoder: .software, settings: video, sourceFPS: p.fps)
        case .v4l2:
            return nil
        }
        return args + ["-f", "flv", destination]
    }
}
