#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An exclusive advisory lock on a file (flock), held for the life of the
/// process: one agent per data directory. The descriptor is close-on-exec,
/// so children never inherit (and never keep) the lock; the kernel drops it
/// when the agent dies, even by SIGKILL.
public final class FileLock: Sendable {
    public let path: String
    private let fd: Int32

    /// `waiting`: block until the lock is free (a short critical section
    /// such as the OTA state file's); otherwise fail at once (EWOULDBLOCK).
    public init(path: String, waiting: Bool = false) throws(SystemError) {
        let fd = try syscall("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            _ = try syscall("flock", path) { flock(fd, waiting ? LOCK_EX : LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }
}
