import CamgateCore

/// A V4L2 pixel format (a FourCC such as `MJPG`, `H264`, `YUYV`).
public struct PixelFormat: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let code: UInt32

    public init(code: UInt32) { self.code = code }

    public init(_ fourcc: String) {
        let bytes = Array(fourcc.utf8) + [0x20, 0x20, 0x20, 0x20]
        code = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
    }

    public var fourcc: String {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: code >> ($0 * 8)) }
        return String(decoding: bytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            .trimmingTrailingSpaces()
    }

    public var description: String { fourcc }
    public static func < (a: PixelFormat, b: PixelFormat) -> Bool { a.fourcc < b.fourcc }

    public static let h264 = PixelFormat("H264")
    public static let mjpeg = PixelFormat("MJPG")
    public static let jpeg = PixelFormat("JPEG")
    public static let yuyv = PixelFormat("YUYV")
    public static let nv12 = PixelFormat("NV12")
    public static let yuv420 = PixelFormat("YU12")

    /// ffmpeg's `-input_format` name for the v4l2 demuxer, when it has one.
    public var ffmpegInputFormat: String? {
        switch self {
        case .h264: "h264"
        case .mjpeg, .jpeg: "mjpeg"
        case .yuyv: "yuyv422"
        case .nv12: "nv12"
        case .yuv420: "yuv420p"
        default: nil
        }
    }

    /// Compressed by the camera itself.
    public var isCompressed: Bool { self == .h264 || self == .mjpeg || self == .jpeg }
}

/// What a V4L2 node is, from its device capabilities.
public enum V4L2NodeKind: String, Hashable, Sendable {
    /// A camera: video capture, not memory-to-memory.
    case capture
    /// Metadata only (e.g. UVC metadata nodes): not a camera.
    case metadata
    /// A memory-to-memory codec (e.g. the Raspberry Pi's bcm2835-codec).
    case memoryToMemory = "m2m"
    /// Output, radio, touch…: not used.
    case other
}

/// One frame size a format offers, with its frame rates.
public struct FrameSizeOption: Hashable, Sendable {
    public var size: Resolution
    /// Frame rates in frames per second (from the frame intervals), highest first.
    public var rates: [Double]

    public init(size: Resolution, rates: [Double]) {
        self.size = size
        self.rates = rates
    }
}

/// One format of a capture node with what it offers.
public struct FormatOption: Hashable, Sendable {
    public var format: PixelFormat
    public var description: String
    /// True when the driver emulates the format (libv4l conversion): avoid.
    public var emulated: Bool
    public var sizes: [FrameSizeOption]
}

/// A V4L2 node as probed.
public struct V4L2Node: Hashable, Sendable {
    public enum Status: Hashable, Sendable {
        case ok
        /// Busy, permission denied, vanished…: the reason, for the operator.
        case unavailable(String)
    }

    /// /dev/videoN.
    public var path: String
    /// /dev/v4l/by-id/… (stable across reboots and ports), when udev made one.
    public var byID: String?
    /// /dev/v4l/by-path/… (stable per port).
    public var byPath: String?
    public var kind: V4L2NodeKind
    public var driver: String
    public var card: String
    public var busInfo: String
    public var status: Status
    public var formats: [FormatOption]
    /// Sizes or rates dropped as invalid (0x0, absurd), with why.
    public var notes: [String]

    /// The stable name to configure: by-id, else by-path, else the node.
    public var stableID: String { byID ?? byPath ?? path }
}
