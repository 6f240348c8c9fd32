#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CHardware

/// Reads what one V4L2 node is and offers, through its ioctls:
/// VIDIOC_QUERYCAP, then for a capture node VIDIOC_ENUM_FMT →
/// VIDIOC_ENUM_FRAMESIZES (discrete and stepwise) → VIDIOC_ENUM_FRAMEINTERVALS.
/// EINVAL ends an enumeration (that is how V4L2 says "no more"); EINTR is
/// retried by the syscall wrapper; other errors become the node's status.
public enum V4L2Probe {
    /// Limits against drivers that report nonsense.
    public static let maximumFormats = 64
    public static let maximumSizes = 64
    public static let maximumIntervals = 32
    public static let maximumSide = 16_384

    public static func probe(_ device: any V4L2Device, byID: String? = nil, byPath: String? = nil) -> V4L2Node {
        var node = V4L2Node(path: device.path, byID: byID, byPath: byPath, kind: .other, driver: "", card: "", busInfo: "",
                            status: .ok, formats: [], notes: [])
        var cap = v4l2_capability()
        do {
            try device.ioctl(camgate_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &cap)
        } catch {
            node.status = .unavailable(error.reason)
            return node
        }
        node.driver = string(from: cap.driver)
        node.card = string(from: cap.card)
        node.busInfo = string(from: cap.bus_info)
        node.kind = kind(capabilities: cap.capabilities, deviceCaps: cap.device_caps)
        let bufferType: UInt32
        var multiplanarCapture = false
        switch node.kind {
        case .capture:
            // A capture node with only the multi-planar API (some SoC camera
            // pipelines) answers the single-planar enumeration with EINVAL.
            multiplanarCapture = effectiveCaps(cap) & UInt32(V4L2_CAP_VIDEO_CAPTURE) == 0
            bufferType = multiplanarCapture ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE.rawValue : V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        case .memoryToMemory: bufferType = multiplanar(cap) ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE.rawValue : V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        case .metadata, .other: return node
        }
        do {
            node.formats = try formats(device, type: bufferType, notes: &node.notes, withSizes: node.kind == .capture)
        } catch {
            node.status = .unavailable(error.reason)
        }
        if multiplanarCapture, node.status == .ok {
            node.status = .unavailable("multi-planar capture node: ffmpeg's v4l2 input reads single-planar nodes only "
                + "(use the board's libcamera/ISP pipeline to get a single-planar or RTSP source)")
        }
        return node
    }

    static func effectiveCaps(_ cap: v4l2_capability) -> UInt32 {
        cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
    }

    /// The node's role from its capabilities (device_caps when the driver
    /// sets V4L2_CAP_DEVICE_CAPS: they describe this node, not the device).
    public static func kind(capabilities: UInt32, deviceCaps: UInt32) -> V4L2NodeKind {
        let caps = capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? deviceCaps : capabilities
        if caps & UInt32(V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE) != 0 { return .memoryToMemory }
        if caps & UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE) != 0 { return .capture }
        if caps & UInt32(V4L2_CAP_META_CAPTURE) != 0 { return .metadata }
        return .other
    }

    static func multiplanar(_ cap: v4l2_capability) -> Bool {
        let caps = cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? cap.device_caps : cap.capabilities
        return caps & UInt32(V4L2_CAP_VIDEO_M2M_MPLANE) != 0
    }

    static func formats(_ device: any V4L2Device, type: UInt32, notes: inout [String], withSizes: Bool) throws(V4L2Error) -> [FormatOption] {
        var result: [FormatOption] = []
        for index in 0...UInt32(maximumFormats) {
            if index == UInt32(maximumFormats) { notes.append("more than \(maximumFormats) formats: the rest ignored"); break }
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = type
            guard try enumerate(device, camgate_VIDIOC_ENUM_FMT, "VIDIOC_ENUM_FMT", &desc) else { break }
            let format = PixelFormat(code: desc.pixelformat)
            let sizes = withSizes ? try frameSizes(device, format: format, notes: &notes) : []
            result.append(FormatOption(format: format, description: string(from: desc.description),
                                       emulated: desc.flags & UInt32(V4L2_FMT_FLAG_EMULATED) != 0, sizes: sizes))
        }
        return result
    }

    static func frameSizes(_ device: any V4L2Device, format: PixelFormat, notes: inout [String]) throws(V4L2Error) -> [FrameSizeOption] {
        var sizes: [Resolution] = []
        for index in 0...UInt32(maximumSizes) {
            if index == UInt32(maximumSizes) { notes.append("\(format): more than \(maximumSizes) sizes: the rest ignored"); break }
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = format.code
            guard try enumerate(device, camgate_VIDIOC_ENUM_FRAMESIZES, "VIDIOC_ENUM_FRAMESIZES", &size, format: format, notes: &notes) else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append(Resolution(width: Int(size.discrete.width), height: Int(size.discrete.height)))
            } else {
                // Stepwise / continuous: offer the common sizes in range.
                let s = size.stepwise
                for common in commonSizes where common.width >= s.min_width && common.width <= s.max_width
                    && common.height >= s.min_height && common.height <= s.max_height
                    && (s.step_width == 0 || (common.width - s.min_width) % s.step_width == 0)
                    && (s.step_height == 0 || (common.height - s.min_height) % s.step_height == 0) {
                    sizes.append(Resolution(width: Int(common.width), height: Int(common.height)))
                }
                // The range's maximum too (a 2592x1944 sensor is no common size).
                let maximum = Resolution(width: Int(s.max_width), height: Int(s.max_height))
                if !sizes.contains(maximum) { sizes.append(maximum) }
                break
            }
        }
        var options: [FrameSizeOption] = []
        for size in sizes {
            guard size.width > 0, size.height > 0, size.width <= maximumSide, size.height <= maximumSide else {
                notes.append("\(format) size \(size) ignored: out of range")
                continue
            }
            options.append(FrameSizeOption(size: size, rates: try frameRates(device, format: format, size: size, notes: &notes)))
        }
        return options
    }

    static func frameRates(_ device: any V4L2Device, format: PixelFormat, size: Resolution, notes: inout [String]) throws(V4L2Error) -> [Double] {
        var rates: [Double] = []
        for index in 0...UInt32(maximumIntervals) {
            if index == UInt32(maximumIntervals) { notes.append("\(format) \(size): more than \(maximumIntervals) frame intervals: the rest ignored"); break }
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = format.code
            interval.width = UInt32(size.width)
            interval.height = UInt32(size.height)
            guard try enumerate(device, camgate_VIDIOC_ENUM_FRAMEINTERVALS, "VIDIOC_ENUM_FRAMEINTERVALS", &interval, format: format, notes: &notes) else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let f = interval.discrete
                guard f.numerator > 0, f.denominator > 0 else { notes.append("\(format) \(size): a zero frame interval ignored"); continue }
                rates.append(Double(f.denominator) / Double(f.numerator))
            } else {
                // Stepwise: the fastest (min interval) and the slowest.
                let s = interval.stepwise
                for f in [s.min, s.max] where f.numerator > 0 && f.denominator > 0 {
                    rates.append(Double(f.denominator) / Double(f.numerator))
                }
                break
            }
        }
        return Array(Set(rates.filter { $0 > 0 && $0 <= 1000 })).sorted(by: >)
    }

    /// Runs one step of an enumeration: false at its end (EINVAL).
    static func enumerate<T>(_ device: any V4L2Device, _ request: UInt, _ name: String, _ value: inout T) throws(V4L2Error) -> Bool {
        do {
            try device.ioctl(request, name, &value)
            return true
        } catch {
            if error.errno == EINVAL { return false }
            throw error
        }
    }

    /// An optional enumeration (sizes, intervals): a driver that does not
    /// implement it (ENOTTY) offers the format without the list, with a
    /// note; a vanished, busy or forbidden device still fails the node.
    static func enumerate<T>(_ device: any V4L2Device, _ request: UInt, _ name: String, _ value: inout T,
                             format: PixelFormat, notes: inout [String]) throws(V4L2Error) -> Bool {
        do {
            return try enumerate(device, request, name, &value)
        } catch {
            guard error.errno == ENOTTY else { throw error }
            notes.append("\(format): the driver does not implement \(name)")
            return false
        }
    }

    static let commonSizes: [(width: UInt32, height: UInt32)] = [
        (3840, 2160), (2560, 1440), (1920, 1080), (1600, 1200), (1280, 960), (1280, 720), (1024, 768),
        (800, 600), (640, 480), (640, 360), (320, 240),
    ]

    /// A C char array (fixed-size tuple) to a String, stopping at NUL.
    static func string<T>(from tuple: T) -> String {
        withUnsafeBytes(of: tuple) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}
