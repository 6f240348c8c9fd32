#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FileSystem {
    /// Creates `path` with `bytes` and exactly `mode` (the umask does not
    /// widen or narrow it), refusing a path that exists (EEXIST), a link
    /// included: a private key is never written over anything, nor through
    /// a planted symlink. A failed write removes the file.
    public static func createNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws(SystemError) {
        let fd = try syscall("open", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        do {
            defer { close(fd) }
            _ = try syscall("fchmod", path) { fchmod(fd, mode) }
            var written = 0
            while written < bytes.count {
                written += try syscall("write", path) { bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) } }
            }
            _ = try syscall("fsync", path) { fsync(fd) }
        } catch {
            unlink(path)
            throw error
        }
    }
}
