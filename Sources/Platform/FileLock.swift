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

    public init(path: String) throws(SystemError) {
        let fd = try syscall("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        do {
            _ = try syscall("flock", path) { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }
}
