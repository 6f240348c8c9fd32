import CamgateCore

/// The ffmpeg options of each encoder backend, in one table: used by the
/// recorder, the restream and the trial encodes alike, so that what was
/// proven is what runs. Every backend gets a GOP of one second and no
/// B-frames (rotation lands on time; low latency), and either the camera's
/// bitrate or a quality target.
public enum EncoderArguments {
    /// Global options that must come before the input (hardware devices).
    public static func hardwareInit(_ encoder: VideoEncoder) -> [String] {
        switch encoder {
        case .vaapi(let device):
            ["-init_hw_device", "vaapi=va:\(device)", "-filter_hw_device", "va"]
        case .qsv(let device):
            ["-init_hw_device", "vaapi=va:\(device)", "-init_hw_device", "qsv=qs@va", "-filter_hw_device", "qs"]
        case .copy, .software, .nvenc, .v4l2m2m:
            []
        }
    }

    /// Filters and codec options for one video output.
    public static func video(_ encoder: VideoEncoder, settings: VideoSettings, sourceFPS: Int?) -> [String] {
        if case .copy = encoder { return ["-c:v", "copy"] }
        let fps = settings.fps ?? sourceFPS ?? 15
        let gop = String(RecorderCommand.gop(fps: fps))
        var filters: [String] = []
        if let wanted = settings.fps, wanted != sourceFPS { filters.append("fps=\(wanted)") }
        let kbps = settings.bitrateKbps
        var codec: [String]
        switch encoder {
        case .copy:
            return ["-c:v", "copy"]
        case .software:
            if let size = settings.size { filters.append("scale=\(size.width):\(size.height)") }
            codec = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p",
                     "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0"]
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k", "-bufsize", "\($0 * 2)k"] } ?? ["-crf", "23"]
        case .vaapi:
            filters.append("format=nv12")
            filters.append("hwupload")
            if let size = settings.size { filters.append("scale_vaapi=w=\(size.width):h=\(size.height)") }
            codec = ["-c:v", "h264_vaapi", "-profile:v", "main", "-g", gop, "-bf", "0"]
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-qp", "24"]
        case .qsv:
            filters.append("format=nv12")
            filters.append("hwupload=extra_hw_frames=64")
            if let size = settings.size { filters.append("scale_qsv=w=\(size.width):h=\(size.height)") }
            codec = ["-c:v", "h264_qsv", "-preset", "veryfast", "-profile:v", "main", "-g", gop, "-bf", "0"]
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-global_quality", "25"]
        case .nvenc:
            if let size = settings.size { filters.append("scale=\(size.width):\(size.height)") }
            codec = ["-c:v", "h264_nvenc", "-preset", "p1", "-tune", "ll", "-profile:v", "main", "-pix_fmt", "yuv420p",
                     "-g", gop, "-bf", "0"]
            codec += kbps.map { ["-rc", "cbr", "-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-rc", "vbr", "-cq", "23"]
        case .v4l2m2m:
            if let size = settings.size { filters.append("scale=\(size.width):\(size.height)") }
            // The Pi's encoder has no quality mode: it needs a bitrate.
            codec = ["-c:v", "h264_v4l2m2m", "-pix_fmt", "yuv420p", "-g", gop, "-bf", "0", "-b:v", "\(kbps ?? 2000)k"]
        }
        return (filters.isEmpty ? [] : ["-vf", filters.joined(separator: ",")]) + codec
    }
}
