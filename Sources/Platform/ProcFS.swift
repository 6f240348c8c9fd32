#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore

/// What /proc says about processes and the boot.
public enum ProcFS {
    /// Fields of /proc/PID/stat the supervisor uses.
    public struct Stat: Equatable, Sendable {
        /// R, S, D, Z (zombie), T, …
        public var state: Character
        public var parentPID: Int32
        public var processGroup: Int32
        /// Field 22: start time in clock ticks after boot.
        public var startTime: UInt64
        /// Fields 14 and 15: CPU time in clock ticks.
        public var userTicks: UInt64
        public var systemTicks: UInt64
        /// Field 24: resident set size in pages.
        public var rssPages: Int64

        public var isAlive: Bool { state != "Z" && state != "X" }
    }

    /// What this process's open descriptors point to (`/proc/self/fd`). A
    /// file deleted while open reads "<path> (deleted)".
    public static func openFileTargets(root: String = "/proc") -> [String] {
        ((try? FileSystem.list("\(root)/self/fd")) ?? []).compactMap { try? FileSystem.readLink("\(root)/self/fd/\($0)") }
    }

    /// The kernel's boot id: a new random UUID at every boot.
    public static func bootID(root: String = "/proc") throws(SystemError) -> String {
        String(try FileSystem.readText("\(root)/sys/kernel/random/boot_id").filter { !$0.isWhitespace })
    }

    public static func stat(pid: Int32, root: String = "/proc") -> Stat? {
        guard let text = try? FileSystem.readText("\(root)/\(pid)/stat", limit: 4096) else { return nil }
        return parseStat(text)
    }

    /// Parses /proc/PID/stat. The command name (field 2) is in parentheses
    /// and may itself contain spaces and parentheses: fields are counted
    /// from the last ')'.
    public static func parseStat(_ text: String) -> Stat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let rest = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // rest[0] is field 3 (state); field n is rest[n - 3].
        guard rest.count >= 22, let state = rest[0].first,
              let ppid = Int32(rest[1]), let pgrp = Int32(rest[2]),
              let utime = UInt64(rest[11]), let stime = UInt64(rest[12]),
              let start = UInt64(rest[19]), let rss = Int64(rest[21]) else { return nil }
        return Stat(state: state, parentPID: ppid, processGroup: pgrp, startTime: start, userTicks: utime, systemTicks: stime, rssPages: rss)
    }

    /// The identity of a live process, or nil when it is gone (or a zombie).
    public static func identity(pid: Int32, bootID: String) -> ProcessIdentity? {
        guard let st = stat(pid: pid), st.isAlive else { return nil }
        return ProcessIdentity(bootID: bootID, pid: pid, startTime: st.startTime)
    }

    /// True when `identity` still names a running process on this boot.
    public static func isRunning(_ identity: ProcessIdentity, currentBootID: String) -> Bool {
        guard identity.bootID == currentBootID, let st = stat(pid: identity.pid) else { return false }
        return st.isAlive && st.startTime == identity.startTime
    }

    /// The command line of a process (argv), as far as /proc shows it.
    public static func commandLine(pid: Int32) -> [String] {
        guard let bytes = try? FileSystem.read("/proc/\(pid)/cmdline", limit: 64 * 1024) else { return [] }
        return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }
}
