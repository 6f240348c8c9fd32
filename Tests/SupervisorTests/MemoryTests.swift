import Testing
import Platform

/// The agent's own memory (docs/footprint.md, "Resident memory").
@Suite struct MemoryTests {
    static let maps = """
        55d000000000-55d000400000 r--p 00000000 08:01 1234                       /usr/lib/camgate/0.2.0/camgate (deleted)
        55d000400000-55d001600000 r-xp 00400000 08:01 1234                       /usr/lib/camgate/0.2.0/camgate (deleted)
        55d001600000-55d001800000 rw-p 01600000 08:01 1234                       /usr/lib/camgate/0.2.0/camgate (deleted)
        55d001800000-55d001900000 rw-p 00000000 00:00 0                          [heap]
        7f0000000000-7f0000100000 r-xp 00028000 08:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
        7f0000200000-7f0000201000 r-xp 00000000 08:01 1234                       /usr/lib/camgate/0.1.0/camgate
        """

    /// Code and constants of this executable only: never its relocated data
    /// (rw-p: paging that out would lose it), another file, or the heap;
    /// an executable replaced by an update is still matched as "(deleted)".
    @Test func onlyTheExecutablesReadOnlyMappingsAreHandedBack() {
        let found = Memory.readOnlyMappings(maps: Self.maps, executable: "/usr/lib/camgate/0.2.0/camgate (deleted)")
        #expect(found.map { [$0.start, $0.end] } == [[0x55d0_0000_0000, 0x55d0_0040_0000], [0x55d0_0040_0000, 0x55d0_0160_0000]])
        #expect(found.reduce(0) { $0 + $1.bytes } == 0x160_0000)
        #expect(Memory.readOnlyMappings(maps: "garbage\n\n1-2 r-xp\n", executable: "/x").isEmpty)
    }

    /// On this process: its code leaves resident memory (RssFile drops),
    /// and it goes on running the code it needs (the page faults back in).
    @Test func handingTheCodeBackShrinksResidentFilePagesAndTheProcessRunsOn() throws {
        func rssFileKB() throws -> Int {
            let status = String(decoding: try FileSystem.read("/proc/self/status"), as: UTF8.self)
            let line = status.split(separator: "\n").first { $0.hasPrefix("RssFile:") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        let before = try rssFileKB()
        let advised = try Memory.pageOutCode()
        let after = try rssFileKB()
        print("MemoryTests: RssFile \(before) kB -> \(after) kB after advising \(advised >> 10) KiB")
        #expect(advised > 0)
        #expect(after < before, "RssFile \(before) kB -> \(after) kB")
        #expect(Memory.readOnlyMappings(maps: Self.maps, executable: "/usr/lib/camgate/0.1.0/camgate").count == 1, "code runs again")
    }
}
