import OTA
import Platform

/// Why applying or judging an update failed: a refusal of the update
/// (its machine code and reason), or a system call that failed (the call,
/// the path, the errno) while doing `what`. Nothing is kept on either.
public struct UpdateError: Error, CustomStringConvertible, Sendable {
    public let refusal: UpdateRefusal

    public init(_ refusal: UpdateRefusal) {
        self.refusal = refusal
    }

    public init(_ error: SystemError, _ what: String) {
        refusal = UpdateRefusal(.ioError, "\(what): \(error)")
    }

    /// The machine code (`wrong_signature`, `io_error`, …).
    public var code: String { refusal.code.rawValue }
    public var description: String { refusal.description }
}
