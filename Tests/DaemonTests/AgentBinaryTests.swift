import Foundation
import Testing
import CamgateCore
import Media
import Platform
import Store
import TestSupport

/// The real `camgate` binary, run the way an operator runs it, with real
/// ffmpeg, SQLite files and signals.
@Suite(.serialized) struct AgentBinaryTests {
    let dir = TemporaryDirectory("agent")
    var data: String { dir.file("data") }

    func writeConfig(segmentSeconds: Int = 2, cameras: String? = nil) throws -> String {
        let path = dir.file("config.json")
        let cams = cameras ?? #"{"cam1": {"source": {"kind": "test", "size": "320x180", "fps": 15}, "record": true}}"#
        try #"{"revision": 1, "cameras": \#(cams), "recording": {"segment_seconds": \#(segmentSeconds), "retain_days": 7, "min_free_percent": 1}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func recordings() throws -> [[String: Any]] {
        let result = try runProgram(Repository.camgate, ["recordings", "--data-dir", data, "--json"])
        guard result.status == 0 else { return [] }
        return (try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]) ?? []
    }

    func status() throws -> [String: Any] {
        let result = try runProgram(Repository.camgate, ["status", "--data-dir", data, "--json"])
        return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]) ?? [:]
    }

    func complete(_ rows: [[String: Any]]) -> [[String: Any]] { rows.filter { $0["status"] as? String == "complete" } }

    func recorderPIDs() -> [Int32] { processes(matching: "\(data)/run/") }

    @Test func recordsIndexesAndShutsDownCleanlyOnSIGTERM() async throws {
        let agent = try AgentProcess.camgate(["run", "--config", try writeConfig(), "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(try await waitUntil(timeout: .seconds(30)) { complete(try recordings()).count >= 2 }, "\(agent.log)")

        let rows = try recordings()
        let first = try #require(rows.first)
        #expect(first["camera"] as? String == "cam1")
        #expect((first["file"] as? String)?.hasPrefix("\(data)/recordings/cam1/") == true)
        #expect(Timestamp.parseRFC3339(first["start"] as? String ?? "") != nil)
        #expect(first["duration"] is NSNumber && first["bytes"] is NSNumber)
        #expect(rows.contains { $0["status"] as? String == "recording" })

        let state = try status()
        let camera = try #require((state["cameras"] as? [[String: Any]])?.first)
        #expect(camera["state"] as? String == "recording")
        #expect((camera["current_segment"] as? [String: Any])?["file"] is String)
        #expect((state["agent"] as? [String: Any])?["running"] as? Bool == true)

        let recorder = try #require(recorderPIDs().first)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
        #expect(ProcFS.stat(pid: recorder)?.isAlive != true, "no child left")
        #expect(recorderPIDs().isEmpty)
        let after = try recordings()
        #expect(after.allSatisfy { $0["status"] as? String == "complete" }, "the last segment was closed and indexed")
        let last = try #require(after.last?["file"] as? String)
        #expect(try Probe.isPlayable(last))
        #expect((try status()["agent"] as? [String: Any])?["running"] as? Bool == false)
    }

    /// SIGPIPE, SIGUSR2, SIGHUP (and SIGUSR1 without a cloud link) would end
    /// the agent by their default action (exit 141, 140, 129) and leave its
    /// recorder unindexed: they are ignored, SIGHUP and SIGUSR2 logged.
    @Test func signalsWhoseDefaultWouldKillTheAgentAreIgnoredAndRecordingGoesOn() async throws {
        let agent = try AgentProcess.camgate(["run", "--config", try writeConfig(), "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(try await waitUntil(timeout: .seconds(30)) { complete(try recordings()).count >= 1 }, "\(agent.log)")
        let recorder = try #require(recorderPIDs().first)
        for sig in [SIGPIPE, SIGUSR2, SIGHUP, SIGUSR1] {
            agent.signal(sig)
            #expect(await agent.waitForExit(timeout: .milliseconds(500)) == nil, "signal \(sig) ended the agent: \(agent.log)")
        }
        #expect(await waitUntil(timeout: .seconds(5)) { agent.log.contains("received SIGHUP") && agent.log.contains("received SIGUSR2") }, "\(agent.log)")
        let before = complete(try recordings()).count
        #expect(try await waitUntil(timeout: .seconds(15)) { complete(try recordings()).count >= before + 2 }, "still recording")
        #expect(recorderPIDs() == [recorder], "the recorder was not disturbed")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
        #expect(try recordings().allSatisfy { $0["status"] as? String == "complete" }, "every segment indexed")
    }

    /// `kill -STOP` of a recorder: the status said `recording` while nothing
    /// was written, and the index then held one segment spanning the freeze
    /// and overlapping the next. The stall is reported and the recorder
    /// restarted, and no indexed segment overlaps the next. The agent's
    /// decision is checked on the quiet time it logs (2 s segments: stalled
    /// after 4 s, found by the next 2 s index tick: under 3 segment lengths
    /// + 1 s); stopping the frozen ffmpeg (it closes its segment once
    /// continued) and starting the next one is the machine's time, bounded
    /// loosely (it once took 1.0 s of a 7.0 s replacement under CI's load).
    @Test func aFrozenRecorderIsReportedAndRestartedAndTheIndexNeverOverlaps() async throws {
        let agent = try AgentProcess.camgate(["run", "--config", try writeConfig(segmentSeconds: 2), "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(try await waitUntil(timeout: .seconds(30)) { complete(try recordings()).count >= 1 }, "\(agent.log)")
        let frozen = try #require(recorderPIDs().first)
        kill(frozen, SIGSTOP)
        let stoppedAt = ContinuousClock.now
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().contains { $0 != frozen } }, "\(agent.log)")
        let restartedAfter = ContinuousClock.now - stoppedAt
        print("frozen recorder replaced after \(restartedAfter)")
        let logged = agent.log.firstMatch(of: /stalled: nothing written for (\d+)\.(\d) s/)
        let quiet = logged.flatMap { Double("\($0.1).\($0.2)") } ?? -1
        #expect(quiet >= 4 && quiet < 7, "stalled after 2 segment lengths, seen within one index tick: \(quiet) s; \(agent.log)")
        #expect(restartedAfter < .seconds(10), "the decision, then the frozen ffmpeg stopped and the next one started: \(restartedAfter)")
        #expect(await waitUntil(timeout: .seconds(10)) { ProcFS.stat(pid: frozen)?.isAlive != true }, "the frozen process is gone")
        let before = complete(try recordings()).count
        #expect(try await waitUntil(timeout: .seconds(20)) { complete(try recordings()).count >= before + 2 }, "recording again")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit(timeout: .seconds(20)) == 0, "\(agent.log)")
        let spans = try recordings().compactMap { row -> (start: Int64, end: Int64)? in
            guard let start = Timestamp.parseRFC3339(row["start"] as? String ?? ""), let duration = (row["duration"] as? NSNumber)?.doubleValue else { return nil }
            return (start, start + Int64(duration * 1000))
        }.sorted { $0.start < $1.start }
        for (a, b) in zip(spans, spans.dropFirst()) {
            // Names (starts) have one-second resolution.
            #expect(a.end <= b.start + 1000, "a segment ending at \(a.end) overlaps the next, from \(b.start)")
        }
    }

    @Test func adoptsItsRecorderAfterKill9WithoutAGapOrASecondFFmpeg() async throws {
        let config = try writeConfig()
        let first = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent1.log"))
        #expect(try await waitUntil(timeout: .seconds(30)) { complete(try recordings()).count >= 1 })
        let recorder = try #require(recorderPIDs().first)
        first.signal(SIGKILL)
        _ = await first.waitForExit()
        #expect(ProcFS.stat(pid: recorder)?.isAlive == true, "the recorder survives its agent")
        let before = complete(try recordings()).count

        let second = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent2.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { second.log.contains("adopted running process") }, "\(second.log)")
        #expect(try await waitUntil(timeout: .seconds(30)) { complete(try recordings()).count >= before + 3 })
        #expect(recorderPIDs() == [recorder], "the same ffmpeg, and only one")
        #expect(second.log.contains("0 started"), "\(second.log)")

        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(20)) == 0)
        let files = try recordings().compactMap { $0["file"] as? String }
        let timings = try files.map { try #require(try Probe.videoTiming($0)) }
        for (previous, next) in zip(timings, timings.dropFirst()) {
            #expect(abs(next.start - previous.end) <= 1.0 / 15 + 0.001, "gap of \(next.start - previous.end) s across the agent restart")
        }
    }

    @Test(arguments: [
        (#"{"../x": {"source": {"kind": "test"}, "record": true}}"#, "cameras.../x"),
        (#"{"a b": {"source": {"kind": "test"}, "record": true}}"#, "cameras.a b"),
        (#"{"$HOME": {"source": {"kind": "test"}, "record": true}}"#, "cameras.$HOME"),
        (#"{"": {"source": {"kind": "test"}, "record": true}}"#, "camera id is empty"),
        ("{\"\(String(repeating: "x", count: 300))\": {\"source\": {\"kind\": \"test\"}}}", "300 characters long"),
        ("{\"\(String(repeating: "y", count: 300))\": {\"source\": {\"kind\": \"test\"}}}", "cameras.\"\(String(repeating: "y", count: 80))…\": "),
        (#"{"a": {"source": {"kind": "rtsp", "url": "rtsp://h/x y"}}}"#, "cameras.a.source.url"),
        (#"{"a": {"source": {"kind": "test"}, "record": 1}}"#, "cameras.a.record"),
        (#"{"a": {"source": {"kind": "test"}, "record": true, "record": false}}"#, "cameras.a.record: this key appears twice"),
        (#"{"a": {"source": {"kind": "test"}}, "a": {"source": {"kind": "test"}, "record": true}}"#, "cameras.a: this key appears twice"),
    ])
    func invalidConfigurationExitsWith2AndTouchesNothing(_ cameras: String, _ expected: String) throws {
        let config = try writeConfig(cameras: cameras)
        let result = try runProgram(Repository.camgate, ["run", "--config", config, "--data-dir", data])
        #expect(result.status == 2)
        #expect(result.output.contains("invalid configuration") && result.output.contains(expected), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: data), "the data directory was not created")
    }

    @Test func unreadableOrMalformedConfigIsRefused() throws {
        var result = try runProgram(Repository.camgate, ["run", "--config", dir.file("missing.json"), "--data-dir", data])
        #expect(result.status == 2 && result.output.contains("cannot read"))
        try "{\"cameras\": ".write(toFile: dir.file("bad.json"), atomically: true, encoding: .utf8)
        result = try runProgram(Repository.camgate, ["run", "--config", dir.file("bad.json"), "--data-dir", data])
        #expect(result.status == 2 && result.output.contains("not valid JSON at line 1, column 13: expected a value"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    /// A FIFO with no writer used to block the agent forever (read waited
    /// for a writer); a directory or a device is no configuration either.
    @Test func aConfigThatIsNotARegularFileIsRefusedAtOnce() throws {
        let fifo = dir.file("config.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        for (path, kind) in [(fifo, "a FIFO"), (dir.path, "a directory"), ("/dev/null", "a character device")] {
            let started = ContinuousClock.now
            let result = try runProgram(Repository.camgate, ["run", "--config", path, "--data-dir", data], timeout: .seconds(10))
            #expect(result.status == 2, "\(result.output)")
            #expect(result.output.contains("\(path) is \(kind)") && result.output.contains("not a regular file"), "\(result.output)")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test func unusableDataDirectoryIsAClearError() throws {
        let config = try writeConfig()
        try "not a directory".write(toFile: dir.file("file"), atomically: true, encoding: .utf8)
        var result = try runProgram(Repository.camgate, ["run", "--config", config, "--data-dir", dir.file("file/data")])
        #expect(result.status == 1)
        #expect(result.output.contains("is not usable") && result.output.contains("Not a directory"), "\(result.output)")
        result = try runProgram(Repository.camgate, ["run", "--config", config, "--data-dir", "/proc/camgate-data"])
        #expect(result.status == 1 && result.output.contains("is not usable"), "\(result.output)")
    }

    @Test func corruptDatabaseIsMovedAsideReportedAndNothingDeleted() throws {
        try FileManager.default.createDirectory(atPath: "\(data)/recordings/cam1/2026-01-01", withIntermediateDirectories: true)
        let segment = "\(data)/recordings/cam1/2026-01-01/20260101T000000Z.ts"
        try Data(repeating: 0x47, count: 188 * 10).write(to: URL(fileURLWithPath: segment))
        let garbage = Data("this is not an SQLite database, just bytes".utf8) + Data(repeating: 7, count: 4096)
        try garbage.write(to: URL(fileURLWithPath: "\(data)/camgate.db"))

        let result = try runProgram(Repository.camgate, ["run", "--config", try writeConfig(), "--data-dir", data])
        #expect(result.status == 1)
        #expect(result.output.contains("is corrupt") && result.output.contains("moved to"), "\(result.output)")
        let moved = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix("camgate.db.corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(moved.count == 1)
        #expect(FileManager.default.contents(atPath: "\(data)/\(moved[0])") == garbage)
        #expect(FileManager.default.fileExists(atPath: segment), "recordings are not touched")
    }

    @Test func aSecondAgentOnTheSameDataDirectoryIsRefused() async throws {
        let config = try writeConfig()
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { agent.log.contains("agent ready") })
        let result = try runProgram(Repository.camgate, ["run", "--config", config, "--data-dir", data])
        #expect(result.status == 1 && result.output.contains("another camgate agent"), "\(result.output)")
        #expect(recorderPIDs().count == 1)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
    }

    @Test func dropsProcessRecordsOfAPreviousBootWithoutSignallingThem() async throws {
        // A process that happens to have a PID stored by an agent of an earlier boot.
        let bystander = try ChildProcess("/bin/sleep", ["300"], logPath: dir.file("sleep.log"))
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let store = try Store.open(directory: data)
        let cam = try CameraID("cam1")
        try await store.saveDesiredState(DesiredState(cameras: [cam: CameraSpec(source: .test(try TestPattern()), record: false)]), origin: .config)
        let start = try #require(ProcFS.stat(pid: bystander.pid)?.startTime)
        try await store.saveProcess(ProcessRow(key: WorkloadKey(camera: cam, role: .recorder),
                                               identity: ProcessIdentity(bootID: "11111111-2222-3333-4444-555555555555", pid: bystander.pid, startTime: start),
                                               fingerprint: "f", startedAtMs: 0, logFile: "/dev/null"))
        await store.close()

        let agent = try AgentProcess.camgate(["run", "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { agent.log.contains("agent ready") }, "\(agent.log)")
        #expect(agent.log.contains("dropping process record from a previous boot"))
        #expect(bystander.isRunning, "a PID from another boot is never signalled")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        #expect(bystander.isRunning)
        let reopened = try Store.openReadOnly(directory: data)
        #expect(try await reopened.processes().isEmpty)
    }

    @Test func closesASegmentInterruptedByAPowerCut() async throws {
        // A segment written up to the cut: on disk, never listed by ffmpeg, unknown to the index.
        let day = Timestamp.utcDate(milliseconds: WallClock.nowMilliseconds())
        let name = SegmentName.name(startMilliseconds: WallClock.nowMilliseconds() - 60_000)
        let file = "\(data)/recordings/cam1/\(day)/\(name)"
        try FileManager.default.createDirectory(atPath: "\(data)/recordings/cam1/\(day)", withIntermediateDirectories: true)
        let made = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15", "-t", "3",
                                                     "-c:v", "libx264", "-f", "mpegts", file])
        #expect(made.status == 0)
        // Cut the file mid-packet, as a power cut would.
        let size = try FileSystem.fileSize(file)
        #expect(truncate(file, off_t(size - 100)) == 0)

        let config = try writeConfig(cameras: #"{"cam1": {"source": {"kind": "test", "size": "160x90"}, "record": false}}"#)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        // Recovered in the background once recording runs (it must not delay READY).
        #expect(try await waitUntil(timeout: .seconds(15)) { try recordings().contains { $0["file"] as? String == file } }, "\(agent.log)")
        let row = try #require(try recordings().first { $0["file"] as? String == file })
        #expect(row["status"] as? String == "complete")
        let duration = try #require(row["duration"] as? Double)
        #expect(duration > 2.5 && duration <= 3.1, "duration from ffprobe: \(duration)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
    }

    @Test func tellsSystemdWhenReadyAndFeedsTheWatchdog() async throws {
        let socketPath = dir.file("notify.sock")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in socketPath.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var env = ChildProcess.inheritedEnvironment
        env["NOTIFY_SOCKET"] = socketPath
        env["WATCHDOG_USEC"] = "1000000"
        let agent = try AgentProcess.camgate(["run", "--config", try writeConfig(), "--data-dir", data], logPath: dir.file("agent.log"), environment: env)
        var messages: [String] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline, !(messages.contains { $0.contains("READY=1") } && messages.filter { $0 == "WATCHDOG=1" }.count >= 2) {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
        }
        #expect(messages.contains { $0.hasPrefix("READY=1") }, "\(messages)")
        #expect(messages.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(messages)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
    }
}
