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
        case .vaapi(let device, _):
            ["-init_hw_device", "vaapi=va:\(device)", "-filter_hw_device", "va"]
        case .qsv(let device):
            ["-init_hw_device", "vaapi=va:\(device)", "-init_hw_device", "qsv=qs@va", "-filter_hw_device", "qs"]
        case .copy, .software, .nvenc, .v4l2m2m:
            []
        }
    }

    /// Filters and codec options for one video output. `scaleToHeight`
    /// scales to that height keeping the aspect ratio (width rounded to
    /// even, as H.264 needs) when `settings.size` is not set.
    public static func video(_ encoder: VideoEncoder, settings: VideoSettings, sourceFPS: Int?, scaleToHeight: Int? = nil) -> [String] {
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
            if let (w, h) = scale(settings, scaleToHeight) { filters.append("scale=\(w):\(h)") }
            codec = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p",
                     "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-bf", "0"]
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k", "-bufsize", "\($0 * 2)k"] } ?? ["-crf", "23"]
        case .vaapi(_, let lowPower):
            filters.append("format=nv12")
            filters.append("hwupload")
            if let (w, h) = scale(settings, scaleToHeight) { filters.append("scale_vaapi=w=\(w):h=\(h)") }
            codec = ["-c:v", "h264_vaapi", "-profile:v", "main", "-g", gop, "-bf", "0"] + (lowPower ? ["-low_power", "1"] : [])
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-qp", "24"]
        case .qsv:
            filters.append("format=nv12")
            filters.append("hwupload=extra_hw_frames=64")
            if let (w, h) = scale(settings, scaleToHeight) { filters.append("scale_qsv=w=\(w):h=\(h)") }
            codec = ["-c:v", "h264_qsv", "-preset", "veryfast", "-profile:v", "main", "-g", gop, "-bf", "0"]
            codec += kbps.map { ["-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-global_quality", "25"]
        case .nvenc:
            if let (w, h) = scale(settings, scaleToHeight) { filters.append("scale=\(w):\(h)") }
            codec = ["-c:v", "h264_nvenc", "-preset", "p1", "-tune", "ll", "-profile:v", "main", "-pix_fmt", "yuv420p",
                     "-g", gop, "-bf", "0"]
            codec += kbps.map { ["-rc", "cbr", "-b:v", "\($0)k", "-maxrate", "\($0)k"] } ?? ["-rc", "vbr", "-cq", "23"]
        case .v4l2m2m:
            if let (w, h) = scale(settings, scaleToHeight) { filters.append("scale=\(w):\(h)") }
            // The Pi's encoder has no quality mode: it needs a bitrate.
            codec = ["-c:v", "h264_v4l2m2m", "-pix_fmt", "yuv420p", "-g", gop, "-bf", "0", "-b:v", "\(kbps ?? 2000)k"]
        }
        return (filters.isEmpty ? [] : ["-vf", filters.joined(separator: ",")]) + codec
    }

    /// The scale filters' width and height (-2: keep the aspect ratio, even).
    static func scale(_ settings: VideoSettings, _ height: Int?) -> (String, String)? {
        if let size = settings.size { return (String(size.width), String(size.height)) }
        return height.map { ("-2", String($0)) }
    }
}
