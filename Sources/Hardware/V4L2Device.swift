#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CHardware
import Platform

/// A failed V4L2 call: the ioctl's name, the errno and the device.
public struct V4L2Error: Error, CustomStringConvertible, Sendable, Equatable {
    public var call: String
    public var errno: Int32
    public var device: String

    public var description: String {
        "\(call) on \(device): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// The reason an operator should read.
    public var reason: String {
        switch errno {
        case EACCES, EPERM: "permission denied (is the agent in the `video` group?)"
        case EBUSY: "busy (another process holds the device)"
        case ENODEV, ENOENT, ENXIO: "vanished (unplugged while probing)"
        default: description
        }
    }
}

/// One open V4L2 node: the ioctls the probe needs. The real one calls the
/// kernel; tests answer with structures laid out as videodev2.h defines them.
public protocol V4L2Device {
    var path: String { get }
    /// The ioctl with a pointer argument; throws with the call's name.
    func ioctl<T>(_ request: UInt, _ name: String, _ argument: inout T) throws(V4L2Error)
}

/// Opens nodes for the probe.
public protocol V4L2DeviceOpener: Sendable {
    func open(_ path: String) throws(V4L2Error) -> any V4L2Device
}

/// The kernel's V4L2 devices.
public struct SystemV4L2Opener: V4L2DeviceOpener {
    public init() {}

    /// True when the node still exists but its device is gone (the driver
    /// answers ENODEV): the moment between an unplug and udev removing the
    /// node, when a recorder reading it has just died.
    public static func isUnplugged(_ path: String) -> Bool {
        do {
            let device = try SystemV4L2Opener().open(path)
            var cap = v4l2_capability()
            try device.ioctl(camgate_VIDIOC_QUERYCAP, "VIDIOC_QUERYCAP", &cap)
            return false
        } catch {
            return error.errno == ENODEV
        }
    }

    public func open(_ path: String) throws(V4L2Error) -> any V4L2Device {
        // O_NONBLOCK: a node some process streams from must not block the probe.
        let fd: Int32
        do {
            fd = try syscall("open", path) { LibC.open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
        } catch {
            throw V4L2Error(call: "open", errno: error.errno, device: path)
        }
        return SystemV4L2Device(path: path, fd: fd)
    }
}

final class SystemV4L2Device: V4L2Device {
    let path: String
    let fd: Int32

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    func ioctl<T>(_ request: UInt, _ name: String, _ argument: inout T) throws(V4L2Error) {
        do {
            _ = try syscall(name, path) { withUnsafeMutablePointer(to: &argument) { csys_ioctl(fd, request, $0) } }
        } catch {
            throw V4L2Error(call: name, errno: error.errno, device: path)
        }
    }
}

import CPlatform
