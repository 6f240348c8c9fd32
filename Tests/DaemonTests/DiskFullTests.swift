import Foundation
import Testing
import CamgateCore
import Media
import Platform
import TestSupport

/// The real agent on a real full disk: a 24 MB tmpfs mounted in a mount
/// namespace of its own (`unshare -m`), so nothing outside sees or fills
/// it. The test reads the agent's files through `/proc/PID/root` (the
/// agent's view of the file system) and runs the CLI inside the namespace
/// with `nsenter -t PID -m`.
@Suite(.serialized) struct DiskFullTests {
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter") else { return false }
        return (try? runProgram("/usr/bin/unshare", ["-m", "/bin/true"]))?.status == 0
    }()
    static let skipReason: Comment = "needs root and unshare -m/nsenter (a mount namespace for a 24 MB tmpfs)"

    let dir = TemporaryDirectory("diskfull")
    var data: String { dir.file("data") }
    static let segmentSeconds = 2

    func writeConfig(minFreePercent: Int) throws -> String {
        let path = dir.file("config.json")
        try #"{"revision": 1, "cameras": {"cam1": {"source": {"kind": "test", "size": "1280x720", "fps": 15}, "record": true}}, "recording": {"segment_seconds": \#(Self.segmentSeconds), "retain_days": 7, "min_free_percent": \#(minFreePercent)}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `camgate run` on a fresh 24 MB tmpfs at `data`; `prepare` runs in
    /// the shell first (with "$0" the data directory).
    func startAgent(prepare: String = "", minFreePercent: Int = 30) throws -> AgentProcess {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let script = #"mount -t tmpfs -o size=24m tmpfs "$0" || exit 97; "# + prepare + #" exec "$1" run --config "$2" --data-dir "$0""#
        return try AgentProcess("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script, data, Repository.camgate,
                                                     try writeConfig(minFreePercent: minFreePercent)], logPath: dir.file("agent.log"))
    }

    /// The agent's data directory as the agent sees it.
    func inside(_ agent: AgentProcess, _ path: String = "") -> String { "/proc/\(agent.pid)/root\(data)\(path)" }

    func recordings(_ agent: AgentProcess) throws -> [[String: Any]] {
        let result = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "recordings", "--data-dir", data, "--json"])
        guard result.status == 0 else { return [] }
        return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]) ?? []
    }

    /// A segment begun at or after `sinceMs` (names have one-second
    /// resolution) holds a byte.
    func recordsSince(_ agent: AgentProcess, _ sinceMs: Int64) -> Bool {
        let today = "/recordings/cam1/\(Timestamp.utcDate(milliseconds: WallClock.nowMilliseconds()))"
        return ((try? FileManager.default.contentsOfDirectory(atPath: inside(agent, today))) ?? []).contains { name in
            guard let start = SegmentName.startMilliseconds(name), start >= sinceMs - 1000 else { return false }
            return ((try? FileSystem.fileSize(inside(agent, "\(today)/\(name)"))) ?? 0) > 0
        }
    }

    struct Segment: Hashable {
        var startMs: Int64
        var endMs: Int64
        var bytes: Int64
    }

    func completeSegments(_ agent: AgentProcess) throws -> [String: Segment] {
        var out: [String: Segment] = [:]
        for row in try recordings(agent) where row["status"] as? String == "complete" {
            guard let file = row["file"] as? String, let start = Timestamp.parseRFC3339(row["start"] as? String ?? ""),
                  let duration = (row["duration"] as? NSNumber)?.doubleValue else { continue }
            out[file] = Segment(startMs: start, endMs: start + Int64(duration * 1000), bytes: (row["bytes"] as? NSNumber)?.int64Value ?? 0)
        }
        return out
    }

    /// Recording never stops for more than a segment, and the floor holds
    /// within one segment's size: retention runs at every rotation, and a
    /// recorder that hits ENOSPC is restarted at once without tripping its
    /// circuit breaker. 40 s of 720p (about 0.4 MB/s) into 24 MB holding a
    /// 10 MB file of something else, with a 30 % floor: the floor is
    /// reached after about 15 s, long before the 60 s retention tick.
    @Test(.enabled(if: available, skipReason))
    func aSmallDiskKeepsRecordingAndHoldsTheFloorAtEveryRotation() async throws {
        let agent = try startAgent(prepare: #"head -c 10000000 /dev/zero > "$0/other"; "#)
        #expect(await waitUntil(timeout: .seconds(10)) { FileSystem.exists(inside(agent, "/camgate.db")) }, "\(agent.log)")
        var seen: [String: Segment] = [:]
        var lowest = Int64.max
        var total: Int64 = 0
        let end = ContinuousClock.now + .seconds(40)
        var lastIndexRead = ContinuousClock.now
        while ContinuousClock.now < end, agent.isRunning {
            if let capacity = try? FileSystem.capacity(of: inside(agent)) {
                lowest = min(lowest, capacity.available)
                total = capacity.total
            }
            if ContinuousClock.now - lastIndexRead > .seconds(2) {
                seen.merge(try completeSegments(agent)) { a, _ in a }
                lastIndexRead = .now
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        seen.merge(try completeSegments(agent)) { a, _ in a }
        #expect(agent.isRunning, "\(agent.log)")
        let segments = seen.values.sorted { $0.startMs < $1.startMs }
        let largest = segments.map(\.bytes).max() ?? 0
        let floor = total * 30 / 100
        let gaps = zip(segments, segments.dropFirst()).map { $1.startMs - $0.endMs }
        print("disk full run: \(segments.count) segments, largest \(largest) B, longest gap \(gaps.max() ?? 0) ms, lowest free \(lowest) B, floor \(floor) B")
        #expect(segments.count >= 15, "\(segments.count) segments in 40 s: \(agent.log)")
        // Names (starts) have one-second resolution.
        #expect((gaps.max() ?? 0) <= Int64(Self.segmentSeconds) * 1000 + 1000, "gaps \(gaps)")
        #expect(lowest >= floor - largest, "free space fell to \(lowest) B, floor \(floor) B, a segment \(largest) B")
        #expect(!agent.log.contains("circuit open"), "\(agent.log)")
        let status = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "status", "--data-dir", data, "--json"])
        #expect(!status.output.contains("\"state\":\"failed\""), "a camera failed: \(status.output)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
    }

    /// The agent could not start on a full disk (`PRAGMA journal_mode =
    /// WAL` failed with "disk I/O error": exit 1, forever). It frees space
    /// from the oldest segment files on disk, opens the store, says "disk
    /// full", and records within 5 s.
    @Test(.enabled(if: available, skipReason))
    func anAgentStartedOnAFullDiskDeletesOldSegmentsAndRecordsWithinFiveSeconds() async throws {
        let sample = dir.file("sample.ts")
        let made = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=15", "-t", "2",
                                                      "-c:v", "libx264", "-b:v", "2M", "-f", "mpegts", sample])
        try #require(made.status == 0, "\(made.output)")
        let twoHoursAgo = WallClock.nowMilliseconds() - 7_200_000
        var copies = ""
        for i in 0..<12 {
            let start = twoHoursAgo + Int64(i) * 2000
            let day = Timestamp.utcDate(milliseconds: start)
            copies += #"mkdir -p "$0/recordings/cam1/\#(day)"; cp "\#(sample)" "$0/recordings/cam1/\#(day)/\#(SegmentName.name(startMilliseconds: start))"; "#
        }
        let fill = copies + #"dd if=/dev/zero of="$0/junk" bs=64k 2>/dev/null; "#
        let startedAt = WallClock.nowMilliseconds()
        let agent = try startAgent(prepare: fill)
        let recording = await waitUntil(timeout: .seconds(20)) { recordsSince(agent, startedAt) }
        let after = Double(WallClock.nowMilliseconds() - startedAt) / 1000
        print("started on a full disk: recording after \(after) s")
        #expect(recording && agent.isRunning, "\(agent.log)")
        #expect(after <= 5.5, "recorded \(after) s after start (the shell filled the disk first)")
        #expect(agent.log.contains("disk full"), "\(agent.log)")
        let events = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "events", "--data-dir", data])
        #expect(events.output.contains("disk full"), "\(events.output)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
    }

    /// ENOSPC was a crash: backoff, then the circuit breaker held the camera
    /// off for 5 minutes even after space was freed. With no floor
    /// (`min_free_percent` 0, nothing may be deleted) a disk filled by
    /// something else stops the recorder again and again: it is retried
    /// every few seconds and never counted toward the breaker, the status
    /// says "disk full", and it records again within seconds of the space
    /// coming back.
    @Test(.enabled(if: available, skipReason))
    func aRecorderOutOfSpaceIsRetriedWithoutTrippingTheBreakerAndRecordsWhenSpaceIsBack() async throws {
        let agent = try startAgent(prepare: #"head -c 15000000 /dev/zero > "$0/other"; "#, minFreePercent: 0)
        #expect(await waitUntil(timeout: .seconds(60), every: .milliseconds(500)) { agent.log.contains("disk full") }, "\(agent.log)")
        // Long enough for five failures with backoff (1 + 2 + 4 + 8 s) to open the circuit.
        try await Task.sleep(for: .seconds(20))
        #expect(agent.isRunning, "\(agent.log)")
        #expect(!agent.log.contains("circuit open"), "\(agent.log)")
        let status = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "status", "--data-dir", data, "--json"])
        #expect(status.output.contains("disk full"), "\(status.output)\n\(agent.log)")
        #expect(!status.output.contains("\"state\":\"failed\""), "a camera failed: \(status.output)")
        try FileManager.default.removeItem(atPath: inside(agent, "/other"))
        let freedAt = WallClock.nowMilliseconds()
        let recording = await waitUntil(timeout: .seconds(15)) { recordsSince(agent, freedAt) }
        let after = Double(WallClock.nowMilliseconds() - freedAt) / 1000
        print("space back: recording after \(after) s")
        #expect(recording && after <= 7, "recording \(after) s after the space came back: \(agent.log)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
    }
}
