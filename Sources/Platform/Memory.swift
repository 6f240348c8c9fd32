#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

/// The agent's own memory: the allocator's settings and the code pages it
/// no longer needs (docs/footprint.md, "Resident memory").
public enum Memory {
    /// A read-only mapping of a file, from /proc/self/maps.
    public struct Mapping: Equatable, Sendable {
        public var start: UInt
        public var end: UInt
        public var path: String
        public var bytes: UInt { end - start }
    }

    /// glibc's malloc, tuned for a long-running agent with a few threads:
    /// two arenas (not eight per core: each thread's arena otherwise keeps
    /// what it freed), and blocks of 128 KiB or more mapped and unmapped
    /// (read buffers of 1 MiB would otherwise raise the dynamic threshold
    /// and stay in the heap). A no-op with another C library.
    public static func tuneAllocator() {
        _ = csys_tune_malloc(2, 128 << 10)
    }

    /// The executable's read-only mappings (code and constants) in
    /// /proc/self/maps text: never a writable one (relocated data lives there).
    public static func readOnlyMappings(maps: String, executable: String) -> [Mapping] {
        maps.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1] == "r-xp" || fields[1] == "r--p",
                  fields[5].trimmingCharacters(in: " ") == executable else { return nil }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt(bounds[0], radix: 16), let end = UInt(bounds[1], radix: 16), end > start else { return nil }
            return Mapping(start: start, end: end, path: executable)
        }
    }

    /// Asks the kernel to reclaim the executable's code and constant pages
    /// (MADV_PAGEOUT, Linux 5.4): what start-up touched and the agent no
    /// longer runs leaves memory; what it still runs faults back in. The
    /// pages are clean copies of the file: nothing is lost. Then
    /// MADV_RANDOM: a page faulted back in is read alone, not with the
    /// 128 KiB around it, which fault-around would otherwise map too; and
    /// the file's cached pages no one maps are dropped (`dropCachedPages`).
    /// Returns the bytes of the mappings advised.
    @discardableResult
    public static func pageOutCode() throws(SystemError) -> UInt {
        let executable = try FileSystem.readLink("/proc/self/exe")
        let maps = String(decoding: try FileSystem.read("/proc/self/maps", limit: 1 << 20), as: UTF8.self)
        var advised: UInt = 0
        for mapping in readOnlyMappings(maps: maps, executable: executable) {
            let pointer = UnsafeMutableRawPointer(bitPattern: mapping.start)
            _ = try syscall("madvise", executable) { madvise(pointer, Int(mapping.bytes), Memory.pageOutAdvice) }
            _ = try syscall("madvise", executable) { madvise(pointer, Int(mapping.bytes), MADV_RANDOM) }
            advised += mapping.bytes
        }
        try dropCachedPages(of: "/proc/self/exe")
        return advised
    }

    /// POSIX_FADV_DONTNEED on a file: its clean pages no process maps leave
    /// the page cache. For the executable: fault-around maps every cached
    /// page near a fault, so cached neighbours (the whole file, right after
    /// an install or an update copied it) would come back with each page
    /// the agent runs.
    static func dropCachedPages(of path: String) throws(SystemError) {
        let fd = try syscall("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        // posix_fadvise answers the error number instead of setting errno.
        let code = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
        if code != 0 { throw SystemError(call: "posix_fadvise", errno: code, subject: path) }
    }

    /// MADV_PAGEOUT (not in older C headers).
    static let pageOutAdvice: Int32 = 21
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return text
    }
}
