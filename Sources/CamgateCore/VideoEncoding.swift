/// How video is encoded and captured: values the media, hardware, MediaMTX
/// and agent modules all speak.

/// How a recorder treats the video it reads.
public enum VideoEncoder: Hashable, Sendable {
    /// Keep the source's encoded packets (an H.264 network camera).
    case copy
    /// libx264 on the CPU.
    case software
    /// VA-API on a DRM render node (Intel, AMD). `lowPower`: the driver
    /// offers only the low-power entrypoint (EncSliceLP, e.g. recent Intel
    /// with the iHD driver), which ffmpeg uses only with `-low_power 1`.
    case vaapi(device: String, lowPower: Bool = false)
    /// Intel Quick Sync (oneVPL/MFX over the iHD driver) on a render node.
    case qsv(device: String)
    /// NVIDIA NVENC.
    case nvenc
    /// A V4L2 memory-to-memory encoder (Raspberry Pi 4's bcm2835-codec).
    case v4l2m2m

    /// The backend's name in reports and `camgate detect`.
    public var name: String {
        switch self {
        case .copy: "copy"
        case .software: "software"
        case .vaapi: "vaapi"
        case .qsv: "qsv"
        case .nvenc: "nvenc"
        case .v4l2m2m: "v4l2m2m"
        }
    }

    /// The form `camgate capture --encoder` takes: `software`, `copy`,
    /// `nvenc`, `v4l2m2m`, `vaapi:/dev/dri/renderD128` (`vaapi-lp:` for the
    /// low-power entrypoint), `qsv:/dev/dri/renderD128`.
    public var argument: String {
        switch self {
        case .vaapi(let device, false): "vaapi:\(device)"
        case .vaapi(let device, true): "vaapi-lp:\(device)"
        case .qsv(let device): "qsv:\(device)"
        default: name
        }
    }

    public init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count) {
        case ("software", 1): self = .software
        case ("copy", 1): self = .copy
        case ("nvenc", 1): self = .nvenc
        case ("v4l2m2m", 1): self = .v4l2m2m
        case ("vaapi", 2) where VideoEncoder.isDevice(parts[1]): self = .vaapi(device: parts[1])
        case ("vaapi-lp", 2) where VideoEncoder.isDevice(parts[1]): self = .vaapi(device: parts[1], lowPower: true)
        case ("qsv", 2) where VideoEncoder.isDevice(parts[1]): self = .qsv(device: parts[1])
        default: return nil
        }
    }

    static func isDevice(_ path: String) -> Bool {
        (try? SourceValidation.checkDevicePath(path)) != nil
    }

    public var isHardware: Bool {
        switch self {
        case .copy, .software: false
        default: true
        }
    }
}

/// How a V4L2 camera is opened (see Hardware's CaptureChoice).
public struct CaptureMode: Hashable, Sendable {
    /// ffmpeg's `-input_format` (h264, mjpeg, yuyv422, nv12, yuv420p).
    public var inputFormat: String
    public var size: Resolution
    public var fps: Int?
    /// The camera encodes H.264 itself: copy it.
    public var native: Bool

    public init(inputFormat: String, size: Resolution, fps: Int?, native: Bool) {
        self.inputFormat = inputFormat
        self.size = size
        self.fps = fps
        self.native = native
    }
}

/// An encoder backend the agent can use.
public enum EncoderBackend: String, Hashable, Sendable, CaseIterable, Comparable {
    case nvenc, qsv, vaapi, v4l2m2m, software

    /// nvenc > qsv > vaapi > v4l2m2m > software.
    public static let defaultPriority: [EncoderBackend] = [.nvenc, .qsv, .vaapi, .v4l2m2m, .software]

    public static func < (a: EncoderBackend, b: EncoderBackend) -> Bool {
        defaultPriority.firstIndex(of: a)! < defaultPriority.firstIndex(of: b)!
    }
}
