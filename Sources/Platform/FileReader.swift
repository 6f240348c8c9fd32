#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file opened once for reading in chunks (a download streamed to a
/// socket): `pread` at an offset, so that one reader serves one range.
public final class FileReader {
    public let path: String
    public let size: Int64
    private let fd: Int32

    /// - Parameter followLinks: open through a symbolic link (off for
    ///   downloads: an indexed segment is never a link).
    public init(_ path: String, followLinks: Bool = false) throws(SystemError) {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC | (followLinks ? 0 : O_NOFOLLOW)) }
        var info = stat()
        do {
            _ = try syscall("fstat", path) { fstat(fd, &info) }
        } catch {
            close(fd)
            throw error
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SystemError(call: "open", errno: EINVAL, subject: path)
        }
        self.path = path
        self.fd = fd
        size = Int64(info.st_size)
    }

    deinit { close(fd) }

    /// Up to `count` bytes at `offset`; fewer at the end of the file.
    public func read(at offset: Int64, count: Int) throws(SystemError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let filled = out.withUnsafeMutableBytes { bytes in Result { () throws(SystemError) in try read(at: offset, into: bytes) } }
        out.removeLast(count - (try filled.get()))
        return out
    }

    /// Fills `buffer` from `offset` (a caller's own memory: no copy, no
    /// zero-fill); returns the bytes read, fewer at the end of the file.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> Int {
        var filled = 0
        while filled < buffer.count, let base = buffer.baseAddress {
            let n = try syscall("pread", path) { pread(fd, base + filled, buffer.count - filled, off_t(offset) + off_t(filled)) }
            if n == 0 { break }
            filled += n
        }
        return filled
    }
}
