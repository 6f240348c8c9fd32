#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// File-system operations the agent needs, without Foundation.
public enum FileSystem {
    /// Reads a whole file (at most `limit` bytes).
    public static func read(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> [UInt8] {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try readAll(fd, path, limit: limit)
    }

    /// What a path is, in words: "a FIFO", "a directory"…
    public enum FileKind: String, Sendable {
        case regular = "a regular file"
        case directory = "a directory"
        case fifo = "a FIFO (named pipe)"
        case characterDevice = "a character device"
        case blockDevice = "a block device"
        case socket = "a socket"
        case other = "not a file"

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .directory
            case S_IFIFO: self = .fifo
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFSOCK: self = .socket
            default: self = .other
            }
        }
    }

    /// Reads a whole regular file (at most `limit` bytes); anything else (a
    /// FIFO, a device, a directory) is not read and its kind is returned
    /// with no bytes. Opened O_NONBLOCK and checked with fstat first, so a
    /// FIFO with no writer can never block the caller.
    /// `followingLinks: false` refuses a symbolic link (ELOOP): a file that
    /// a less privileged user could have planted is read only as itself.
    public static func readRegularFile(_ path: String, limit: Int, followingLinks: Bool = true) throws(SystemError) -> (kind: FileKind, bytes: [UInt8]) {
        let flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW)
        let fd = try syscall("open", path) { open(path, flags) }
        defer { close(fd) }
        var st = stat()
        _ = try syscall("fstat", path) { fstat(fd, &st) }
        let kind = FileKind(mode: st.st_mode)
        guard kind == .regular else { return (kind, []) }
        return (kind, try readAll(fd, path, limit: limit))
    }

    private static func readAll(_ fd: Int32, _ path: String, limit: Int) throws(SystemError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while out.count < limit {
            let n = try syscall("read", path) { chunk.withUnsafeMutableBytes { LibC.read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<min(n, limit - out.count)])
        }
        return out
    }

    public static func readText(_ path: String, limit: Int = 64 << 20) throws(SystemError) -> String {
        String(decoding: try read(path, limit: limit), as: UTF8.self)
    }

    /// Reads bytes `offset..<EOF` (at most `limit`), for tailing a file that grows.
    public static func read(_ path: String, from offset: Int64, limit: Int) throws(SystemError) -> [UInt8] {
        try FileReader(path, followLinks: true).read(at: offset, count: limit)
    }

    /// The last `bytes` bytes of a file (for the tail of a log).
    public static func tail(_ path: String, bytes: Int) throws(SystemError) -> [UInt8] {
        guard let size = try? fileSize(path) else { return [] }
        return try read(path, from: max(0, size - Int64(bytes)), limit: bytes)
    }

    /// Writes a file atomically: temp file in the same directory, fsync,
    /// rename, fsync of the directory. Readers see the old or the new file,
    /// never half of one, even after a power cut.
    ///
    /// With `keepingAttributes`, a file that already exists keeps its
    /// permission bits, and its owner and group where this process may set
    /// them (a file shared with another service, e.g. MediaMTX running as its
    /// own user, stays readable to it); `mode` applies to a new file only.
    /// `owner` (uid, gid) is set on the new file before it replaces the old
    /// one (a failure to set it is an error then).
    public static func writeAtomically(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644,
                                       keepingAttributes: Bool = false, owner: (uid: uid_t, gid: gid_t)? = nil) throws(SystemError) {
        var old = stat()
        let existing = keepingAttributes && stat(path, &old) == 0
        let mode = existing ? old.st_mode & 0o7777 : mode
        let temp = "\(path).tmp-\(getpid())"
        // A fresh file, never a link planted under the temp name.
        unlink(temp)
        let fd = try syscall("open", temp) { open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode) }
        do {
            if existing, old.st_uid != geteuid() || old.st_gid != getegid() {
                _ = fchown(fd, old.st_uid, old.st_gid)  // EPERM when unprivileged: the mode is still kept
            }
            if let owner { _ = try syscall("fchown", temp) { fchown(fd, owner.uid, owner.gid) } }
            defer { close(fd) }
            let data = Array(bytes)
            var written = 0
            while written < data.count {
                let n = try syscall("write", temp) { data.withUnsafeBytes { write(fd, $0.baseAddress! + written, data.count - written) } }
                written += n
            }
            _ = try syscall("fchmod", temp) { fchmod(fd, mode) }
            _ = try syscall("fsync", temp) { fsync(fd) }
        } catch {
            unlink(temp)
            throw error
        }
        do {
            _ = try syscall("rename", path) { rename(temp, path) }
        } catch {
            unlink(temp)
            throw error
        }
        syncDirectory(of: path)
    }

    public static func syncDirectory(of path: String) {
        let dir = parent(of: path)
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// `chown` of an existing path (not following a final symlink).
    public static func changeOwner(_ path: String, uid: uid_t, gid: gid_t) throws(SystemError) {
        _ = try syscall("lchown", path) { lchown(path, uid, gid) }
    }

    /// The permission bits, owner and kind of a path (of a final symlink
    /// itself, as `.other`, unless `followingLinks`).
    public static func status(_ path: String, followingLinks: Bool = false) throws(SystemError) -> (mode: mode_t, uid: uid_t, gid: gid_t, kind: FileKind) {
        var st = stat()
        _ = try syscall(followingLinks ? "stat" : "lstat", path) { followingLinks ? stat(path, &st) : lstat(path, &st) }
        return (st.st_mode & 0o7777, st.st_uid, st.st_gid, FileKind(mode: st.st_mode))
    }

    /// `mkdir -p`.
    public static func createDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if isDirectory(path) { return }
        let up = parent(of: path)
        if up != path, !up.isEmpty { try createDirectories(up, mode: mode) }
        if mkdir(path, mode) != 0 {
            let code = errno
            if code == EEXIST {
                if isDirectory(path) { return }
                throw SystemError(call: "mkdir", errno: ENOTDIR, subject: path)
            }
            throw SystemError(call: "mkdir", errno: code, subject: path)
        }
    }

    /// Entry names in a directory (without "." and "..").
    public static func list(_ path: String) throws(SystemError) -> [String] {
        guard let dir = opendir(path) else { throw SystemError(call: "opendir", errno: errno, subject: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public static func fileSize(_ path: String) throws(SystemError) -> Int64 {
        var st = stat()
        _ = try syscall("stat", path) { stat(path, &st) }
        return Int64(st.st_size)
    }

    /// Modification time in milliseconds since the epoch.
    public static func modificationTime(_ path: String) throws(SystemError) -> Int64 {
        var st = stat()
        _ = try syscall("stat", path) { stat(path, &st) }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The canonical path (symlinks resolved); nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The target of a symbolic link, as stored (not resolved further).
    public static func readLink(_ path: String) throws(SystemError) -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = try syscall("readlink", path) { buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) } }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Deletes a file; a file that is already gone is not an error.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0, errno != ENOENT { throw SystemError(call: "unlink", errno: errno, subject: path) }
    }

    /// Removes a directory only when it is empty; says whether it did.
    @discardableResult
    public static func removeDirectoryIfEmpty(_ path: String) -> Bool { rmdir(path) == 0 }

    /// Checks that the agent can create files in `path`.
    public static func checkWritable(_ path: String) throws(SystemError) {
        let probe = "\(path)/.camgate-write-test-\(getpid())"
        let fd = try syscall("open", probe) { open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        close(fd)
        unlink(probe)
    }

    /// Creates `path` (0600) with `bytes` allocated on disk: posix_fallocate,
    /// or zeros written where the file system cannot preallocate. Written to
    /// a temporary name and renamed, so a half-made file never takes the
    /// name; a failure (the disk is full) leaves nothing behind.
    public static func preallocate(_ path: String, bytes: Int64) throws(SystemError) {
        let temp = "\(path).tmp-\(getpid())"
        _ = try? syscall("unlink", temp) { unlink(temp) }
        let fd = try syscall("open", temp) { open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        do {
            defer { close(fd) }
            // posix_fallocate returns its error instead of setting errno.
            let code = posix_fallocate(fd, 0, off_t(bytes))
            if code == EOPNOTSUPP || code == EINVAL {
                try writeZeros(fd, temp, bytes: bytes)
            } else {
                _ = try syscall("posix_fallocate", temp) { () -> Int32 in
                    if code == 0 { return 0 }
                    errno = code
                    return -1
                }
            }
            _ = try syscall("fsync", temp) { fsync(fd) }
            _ = try syscall("rename", path) { rename(temp, path) }
        } catch {
            _ = unlink(temp)
            throw error
        }
    }

    private static func writeZeros(_ fd: Int32, _ path: String, bytes: Int64) throws(SystemError) {
        let zeros = [UInt8](repeating: 0, count: 64 * 1024)
        var left = bytes
        while left > 0 {
            let n = try syscall("write", path) { zeros.withUnsafeBytes { write(fd, $0.baseAddress, Int(min(left, Int64($0.count)))) } }
            left -= Int64(n)
        }
    }

    /// Size and free space of the file system holding `path`; `available`
    /// is what an unprivileged writer can use (f_bavail).
    public static func capacity(of path: String) throws(SystemError) -> (total: Int64, available: Int64) {
        var vfs = statvfs()
        _ = try syscall("statvfs", path) { statvfs(path, &vfs) }
        let unit = Int64(vfs.f_frsize)
        return (Int64(vfs.f_blocks) * unit, Int64(vfs.f_bavail) * unit)
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// An absolute form of `path` (relative to the working directory).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalized(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return normalized(cwd + "/" + path)
    }

    /// Removes `.` components, `..` with their parent, and repeated slashes.
    public static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
