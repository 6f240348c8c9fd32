import Foundation
import CamgateCore
import Platform
import Testing
import TestSupport

/// The cloud's `ota_update` end to end: the real simulator sends the
/// command, the agent (0.1.0, the stripped test build, under the harness
/// playing systemd) hands a request to the root side, the harness plays
/// camgate-ota-apply.path and runs the committed binary's `ota request`,
/// which fetches the release from release_server.py; the trial runs and
/// whichever agent runs at its end acks the command once. A camera
/// records throughout: its ffmpeg is handed over at every restart, never
/// restarted, so the update cuts no frame.
@Suite(.serialized) struct CloudUpdateTests {
    struct Setup {
        let kit: ReleaseKit
        let device: DeviceTree
        let harness: Harness
        let sim: CloudSimulatorProcess
        let stripped: String
        var data: String { "\(harness.work)/data" }
    }

    static let camera = #""cam1": {"source": {"kind": "test", "size": "320x180", "fps": 15}, "record": true}"#

    func setUp(trial: [String]) async throws -> Setup {
        let kit = try ReleaseKit()
        let stripped = kit.dir.file("camgate")
        #expect(try runProgram("/usr/bin/strip", ["-o", stripped, Repository.camgate], timeout: .seconds(120)).status == 0)
        let device = try DeviceTree(binary: stripped)
        try FileManager.default.createDirectory(atPath: kit.dir.file("sim"), withIntermediateDirectories: true)
        let sim = try await CloudSimulatorProcess(directory: kit.dir.file("sim"))
        let config = #"{"revision": 1, "cameras": {\#(Self.camera)}, "recording": {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 1}, "cloud": \#(sim.cloudSection())}"#
        let harness = try Harness(device: device, work: kit.dir.file("work"), config: config,
                                  request: ["--root-keys", kit.rootKeysFile, "--board", "intel-n100"] + trial)
        let s = Setup(kit: kit, device: device, harness: harness, sim: sim, stripped: stripped)
        let up = await waitUntil(timeout: .seconds(30)) { (try? complete(s).count ?? 0) ?? 0 >= 1 && (try? cloudConnected(s)) == true }
        let status = (try? runProgram(Repository.camgate, ["status", "--data-dir", s.data, "--json"], timeout: .seconds(10)).output) ?? ""
        let log = ((try? String(contentsOfFile: "\(harness.work)/agent.log", encoding: .utf8)) ?? "").suffix(3000)
        try #require(up, "0.1.0 did not record and connect: \(harness.hookLog)\nstatus: \(status)\nagent log: \(log)")
        return s
    }

    func cloudConnected(_ s: Setup) throws -> Bool {
        try runProgram(Repository.camgate, ["status", "--data-dir", s.data, "--json"], timeout: .seconds(10)).output.contains("\"link\":\"connected\"")
    }

    /// Complete segments, oldest first.
    func complete(_ s: Setup) throws -> [String] {
        let result = try runProgram(Repository.camgate, ["recordings", "--data-dir", s.data, "--json"], timeout: .seconds(10))
        let rows = (try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]]) ?? []
        return rows.filter { $0["status"] as? String == "complete" }.compactMap { $0["file"] as? String }.sorted()
    }

    func recorders(_ s: Setup) -> [Int32] { processes(matching: "\(s.data)/run/") }

    func update(_ s: Setup) -> [String: Any] { (try? s.device.state()["update"] as? [String: Any]) ?? [:] }

    func acks(_ s: Setup, _ id: String) async throws -> [JSONValue] {
        try await s.sim.acks().filter { $0["command_id"]?.stringValue == id }
    }

    func send(_ s: Setup, id: String, url: String, version: String = "0.2.0") async throws {
        try await s.sim.control("POST", "command", #"{"id": "\#(id)", "type": "ota_update", "args": {"url": "\#(url)", "version": "\#(version)"}}"#)
    }

    /// The largest gap between consecutive segments, in seconds (ffprobe's packet times).
    func largestGap(_ files: [String]) throws -> Double {
        let timings = try files.map { try #require(try Probe.videoTiming($0), "ffprobe cannot read \($0)") }
        return zip(timings, timings.dropFirst()).map { $1.start - $0.end }.max() ?? 0
    }

    /// Stops the harness (a plain stop: the agent stops its recorder) and checks every segment joins the next.
    func finish(_ s: Setup, recorder: Int32) async throws {
        await s.harness.stop()
        #expect(ProcFS.stat(pid: recorder)?.isAlive != true, "a plain stop stops the recorder")
        let files = try complete(s)
        let gap = try largestGap(files)
        print("recording across the update: \(files.count) segments, largest gap \(String(format: "%.4f", gap)) s (one frame = \(String(format: "%.4f", 1.0 / 15)) s)")
        #expect(gap <= 1.0 / 15 + 0.001, "a gap of \(gap) s")
    }

    @Test func otaUpdateCommand_commitsTheNewVersion_acksOnce_andCutsNoFrame() async throws {
        let s = try await setUp(trial: ["--deadline", "60", "--minimum-run", "3"])
        let recorder = try #require(recorders(s).first)
        let rel = try s.kit.release("good", binary: s.stripped, .init(xzLevel: "-1"))
        let server = try await ApplyURLTests.Server(rel, s.kit)
        let sent = Date()
        try await send(s, id: "c-ota-1", url: server.url)
        let committed = await waitUntil(timeout: .seconds(60)) { update(s)["phase"] as? String == "committed" }
        #expect(committed, "\(s.harness.hookLog)")
        let acked = await waitUntil(timeout: .seconds(30)) { ((try? await acks(s, "c-ota-1")) ?? []).count >= 1 }
        #expect(acked)
        print("ota_update: command -> committed and acked in \(String(format: "%.1f", Date().timeIntervalSince(sent))) s (minimum run 3 s)")
        #expect(update(s)["command_id"] as? String == "c-ota-1")
        #expect(s.device.link("current") == "0.2.0" && s.device.link("committed") == "0.2.0" && s.device.link("previous") == "0.1.0")
        #expect(s.harness.starts().last?.binary.hasSuffix("/0.2.0/camgate") == true)

        // The same command again is a duplicate; a new one for the running version is refused.
        try await send(s, id: "c-ota-1", url: server.url)
        try await send(s, id: "c-ota-2", url: server.url)
        let refused = await waitUntil(timeout: .seconds(30)) { ((try? await acks(s, "c-ota-2")) ?? []).count >= 1 }
        #expect(refused)
        let second = try await acks(s, "c-ota-2").first
        #expect(second?["status"]?.stringValue == "failed" && second?["detail"]?.stringValue?.contains("same_version") == true, "\(String(describing: second))")
        let first = try await acks(s, "c-ota-1")
        #expect(first.count == 1, "acked once: \(first)")
        #expect(first.first?["status"]?.stringValue == "succeeded" && first.first?["result"]?["version"]?.stringValue == "0.2.0", "\(first)")

        // One ffmpeg from start to end: handed over at the restart, adopted by 0.2.0.
        _ = await waitUntil(timeout: .seconds(10)) { (try? complete(s).count) ?? 0 >= 4 }
        #expect(recorders(s) == [recorder], "the recorder that ran before the update still runs, alone")
        try await finish(s, recorder: recorder)
    }

    /// The issue's three bad builds: each is rolled back by the committed
    /// binary, the old version runs again, the recorder never stops, and
    /// the command is acked `failed` with the reason.
    @Test(arguments: [
        ("exits-1", "echo 'bad build' >&2\nexit 1", ["--deadline", "30"], "exited_at_once"),
        ("never-ready", "exec sleep 600", ["--deadline", "8"], "not_healthy_in_time"),
        ("crashes-after-10s", "sleep 10\nexit 1", ["--deadline", "60"], "crash_loop"),
    ])
    func otaUpdateCommand_forABadBuild_isRolledBack_recordingUnbroken_andAckedFailedWithTheReason(
        _ name: String, _ script: String, _ trial: [String], _ reason: String) async throws {
        let s = try await setUp(trial: trial)
        let recorder = try #require(recorders(s).first)
        let rel = try s.kit.release(name, binary: try s.kit.script("bin-\(name)", script), .init(xzLevel: "-1"))
        let server = try await ApplyURLTests.Server(rel, s.kit)
        try await send(s, id: "c-bad", url: server.url)
        let rolled = await waitUntil(timeout: .seconds(75)) { update(s)["phase"] as? String == "rolled_back" && s.device.link("current") == "0.1.0" }
        #expect(rolled, "\(s.harness.hookLog)")
        #expect(update(s)["rollback_reason"] as? String == reason)
        let acked = await waitUntil(timeout: .seconds(30)) { ((try? await acks(s, "c-bad")) ?? []).count >= 1 }
        #expect(acked)
        let ack = try await acks(s, "c-bad")
        #expect(ack.count == 1 && ack.first?["status"]?.stringValue == "failed", "\(ack)")
        #expect(ack.first?["detail"]?.stringValue?.contains(reason) == true && ack.first?["result"]?["code"]?.stringValue == reason, "\(ack)")
        let bad = try s.device.state()["bad_versions"] as? [String]
        #expect(s.device.link("committed") == "0.1.0" && bad == ["0.2.0"])
        #expect(s.harness.starts().last?.binary.hasSuffix("/0.1.0/camgate") == true, "0.1.0 runs again")
        _ = await waitUntil(timeout: .seconds(10)) { (try? complete(s).count) ?? 0 >= 4 }
        #expect(recorders(s) == [recorder], "the recorder ran on through the bad build and the rollback")
        try await finish(s, recorder: recorder)
    }

    @Test func otaUpdateCommand_refusals_areAckedWithTheirCode_andChangeNothing() async throws {
        let s = try await setUp(trial: ["--deadline", "30"])
        let rel = try s.kit.release("good", binary: s.stripped, .init(xzLevel: "-1"))
        let server = try await ApplyURLTests.Server(rel, s.kit)
        let before = try s.device.listing()
        // The manifest says 0.2.0: a command for 0.3.0 is refused before the payload is fetched.
        try await send(s, id: "c-mismatch", url: server.url, version: "0.3.0")
        // Arguments the agent refuses itself: never handed to the root side.
        try await send(s, id: "c-ftp", url: "ftp://127.0.0.1/manifest.json")
        try await send(s, id: "c-remote-http", url: "http://example.com/manifest.json")
        try await send(s, id: "c-noversion", url: server.url, version: "latest")
        let all = await waitUntil(timeout: .seconds(30)) {
            for id in ["c-mismatch", "c-ftp", "c-remote-http", "c-noversion"] where ((try? await acks(s, id)) ?? []).isEmpty { return false }
            return true
        }
        #expect(all)
        let mismatch = try await acks(s, "c-mismatch").first
        #expect(mismatch?["status"]?.stringValue == "failed" && mismatch?["result"]?["code"]?.stringValue == "version_mismatch", "\(String(describing: mismatch))")
        for id in ["c-ftp", "c-remote-http", "c-noversion"] {
            let ack = try await acks(s, id).first
            #expect(ack?["status"]?.stringValue == "rejected", "\(id): \(String(describing: ack))")
        }
        #expect(!server.requests.contains { $0.hasPrefix("camgate-") }, "the payload was requested: \(server.requests)")
        #expect(try s.device.listing() == before, "the install changed")
        #expect(s.device.link("current") == "0.1.0")
        await s.harness.stop()
    }
}
