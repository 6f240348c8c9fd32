#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed system call, with the call's name, the errno and the path or
/// object it was about: "open(/data/camgate.db): Permission denied (errno 13)".
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public var call: String
    public var errno: Int32
    public var subject: String?

    public init(call: String, errno: Int32, subject: String? = nil) {
        self.call = call
        self.errno = errno
        self.subject = subject
    }

    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        "\(call)(\(subject ?? "")): \(message) (errno \(errno))"
    }
}

/// Runs a system call, retrying while it fails with EINTR, and throws a
/// `SystemError` naming the call when it fails otherwise. Every system call
/// in the agent goes through here (as in swift-nio's `syscall`).
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ call: String, _ subject: String? = nil, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = LibC.errno
        if code == EINTR { continue }
        throw SystemError(call: call, errno: code, subject: subject)
    }
}
