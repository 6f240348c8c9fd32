import Glibc
import CHardware
@testable import Hardware
import Platform

/// Structures as linux/videodev2.h lays them out, built byte by byte at the
/// header's offsets (not through the imported Swift types, so that a wrong
/// import would show), and a fake node that answers ioctls with them.
enum Fixture {
    static func put(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    static func put(_ bytes: inout [UInt8], _ offset: Int, _ text: String, size: Int) {
        for (i, b) in text.utf8.prefix(size - 1).enumerated() { bytes[offset + i] = b }
    }

    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    /// struct v4l2_capability: driver[16]@0 card[32]@16 bus_info[32]@48 version@80 capabilities@84 device_caps@88 reserved[3]@92 (104).
    static func capability(driver: String, card: String, bus: String, capabilities: UInt32, deviceCaps: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 104)
        put(&b, 0, driver, size: 16)
        put(&b, 16, card, size: 32)
        put(&b, 48, bus, size: 32)
        put(&b, 80, 0x0006_0100)
        put(&b, 84, capabilities | UInt32(V4L2_CAP_DEVICE_CAPS))
        put(&b, 88, deviceCaps)
        return b
    }

    /// struct v4l2_fmtdesc: index@0 type@4 flags@8 description[32]@12 pixelformat@44 mbus_code@48 reserved[3]@52 (64).
    static func format(_ fourcc: String, _ description: String, emulated: Bool = false) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 64)
        put(&b, 8, emulated ? UInt32(V4L2_FMT_FLAG_EMULATED) : 0)
        put(&b, 12, description, size: 32)
        put(&b, 44, PixelFormat(fourcc).code)
        return b
    }

    /// struct v4l2_frmsizeenum: index@0 pixel_format@4 type@8 union@12 (discrete: width, height; stepwise: min_w max_w step_w min_h max_h step_h) reserved[2]@36 (44).
    static func discreteSize(_ w: UInt32, _ h: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 44)
        put(&b, 8, V4L2_FRMSIZE_TYPE_DISCRETE.rawValue)
        put(&b, 12, w)
        put(&b, 16, h)
        return b
    }

    static func stepwiseSize(minW: UInt32, maxW: UInt32, stepW: UInt32, minH: UInt32, maxH: UInt32, stepH: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 44)
        put(&b, 8, V4L2_FRMSIZE_TYPE_STEPWISE.rawValue)
        for (i, v) in [minW, maxW, stepW, minH, maxH, stepH].enumerated() { put(&b, 12 + 4 * i, v) }
        return b
    }

    /// struct v4l2_frmivalenum: index@0 pixel_format@4 width@8 height@12 type@16 union@20 (discrete: numerator, denominator) reserved[2]@44 (52).
    static func interval(_ numerator: UInt32, _ denominator: UInt32) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 52)
        put(&b, 16, V4L2_FRMIVAL_TYPE_DISCRETE.rawValue)
        put(&b, 20, numerator)
        put(&b, 24, denominator)
        return b
    }

    static let captureCaps = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING)
}

/// A V4L2 node answering from fixtures; errors can be injected per ioctl.
final class FakeV4L2Device: V4L2Device, @unchecked Sendable {
    let path: String
    var capability: [UInt8]
    var formats: [[UInt8]] = []
    /// The buffer type ENUM_FMT answers for (another type: EINVAL, as the kernel does).
    var bufferType = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
    /// fourcc → frmsizeenum records.
    var sizes: [String: [[UInt8]]] = [:]
    /// "fourcc WxH" → frmivalenum records.
    var intervals: [String: [[UInt8]]] = [:]
    /// ioctl name → errno to fail with.
    var failures: [String: Int32] = [:]
    private(set) var calls: [String] = []

    init(path: String, capability: [UInt8]) {
        self.path = path
        self.capability = capability
    }

    func ioctl<T>(_ request: UInt, _ name: String, _ argument: inout T) throws(V4L2Error) {
        calls.append(name)
        if let errno = failures[name] { throw V4L2Error(call: name, errno: errno, device: path) }
        let answer: [UInt8]? = withUnsafeMutableBytes(of: &argument) { raw -> [UInt8]? in
            let request = Array(raw)
            let index = Int(Fixture.u32(request, 0))
            switch request.count {
            case 104 where name == "VIDIOC_QUERYCAP":
                return capability
            case 64 where name == "VIDIOC_ENUM_FMT":
                guard Fixture.u32(request, 4) == bufferType, index < formats.count else { return nil }
                var record = formats[index]
                Fixture.put(&record, 0, UInt32(index))
                Fixture.put(&record, 4, Fixture.u32(request, 4))
                return record
            case 44 where name == "VIDIOC_ENUM_FRAMESIZES":
                let fourcc = PixelFormat(code: Fixture.u32(request, 4)).fourcc
                guard let list = sizes[fourcc], index < list.count else { return nil }
                var record = list[index]
                Fixture.put(&record, 0, UInt32(index))
                Fixture.put(&record, 4, Fixture.u32(request, 4))
                return record
            case 52 where name == "VIDIOC_ENUM_FRAMEINTERVALS":
                let key = "\(PixelFormat(code: Fixture.u32(request, 4)).fourcc) \(Fixture.u32(request, 8))x\(Fixture.u32(request, 12))"
                guard let list = intervals[key], index < list.count else { return nil }
                var record = list[index]
                for offset in [0, 4, 8, 12] { Fixture.put(&record, offset, offset == 0 ? UInt32(index) : Fixture.u32(request, offset)) }
                return record
            default:
                return []
            }
        }
        guard let answer else { throw V4L2Error(call: name, errno: EINVAL, device: path) }
        guard !answer.isEmpty else { throw V4L2Error(call: name, errno: ENOTTY, device: path) }
        withUnsafeMutableBytes(of: &argument) { raw in
            for (i, byte) in answer.enumerated() { raw[i] = byte }
        }
    }

    /// A Logitech C920 as its UVC driver describes it.
    static func c920(path: String) -> FakeV4L2Device {
        let d = FakeV4L2Device(path: path, capability: Fixture.capability(driver: "uvcvideo", card: "HD Pro Webcam C920", bus: "usb-0000:00:14.0-1",
                                                                           capabilities: Fixture.captureCaps | UInt32(V4L2_CAP_META_CAPTURE),
                                                                           deviceCaps: Fixture.captureCaps))
        d.formats = [Fixture.format("YUYV", "YUYV 4:2:2"), Fixture.format("MJPG", "Motion-JPEG"), Fixture.format("H264", "H.264")]
        d.sizes = [
            "YUYV": [Fixture.discreteSize(640, 480), Fixture.discreteSize(1920, 1080)],
            "MJPG": [Fixture.discreteSize(640, 480), Fixture.discreteSize(1280, 720), Fixture.discreteSize(1920, 1080)],
            "H264": [Fixture.discreteSize(1280, 720), Fixture.discreteSize(1920, 1080)],
        ]
        d.intervals = [
            "YUYV 640x480": [Fixture.interval(1, 30), Fixture.interval(1, 15)],
            "YUYV 1920x1080": [Fixture.interval(1, 5)],
            "MJPG 640x480": [Fixture.interval(1, 30)],
            "MJPG 1280x720": [Fixture.interval(1, 30), Fixture.interval(1, 15)],
            "MJPG 1920x1080": [Fixture.interval(1, 30), Fixture.interval(1, 24), Fixture.interval(1, 15)],
            "H264 1280x720": [Fixture.interval(1, 30)],
            "H264 1920x1080": [Fixture.interval(1, 30), Fixture.interval(1, 15)],
        ]
        return d
    }
}

/// Opens fake nodes by path; a path can be made to fail with an errno.
struct FakeOpener: V4L2DeviceOpener, @unchecked Sendable {
    var devices: [String: FakeV4L2Device] = [:]
    var failures: [String: Int32] = [:]

    func open(_ path: String) throws(V4L2Error) -> any V4L2Device {
        if let errno = failures[path] { throw V4L2Error(call: "open", errno: errno, device: path) }
        guard let device = devices[path] else { throw V4L2Error(call: "open", errno: ENOENT, device: path) }
        return device
    }
}
