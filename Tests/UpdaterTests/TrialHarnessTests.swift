import Foundation
import Platform
import Testing
import TestSupport

/// Tests/Fixtures/restart_harness.py playing systemd around a device tree:
/// the guard before each start, the agent, `ota exited` after each exit,
/// Restart=always after 1 s, `ota check` every second. The hooks are the
/// committed version's binary, as the unit runs them.
final class Harness: @unchecked Sendable {
    let work: String
    let process: ChildProcess

    static let emptyConfig = #"{"revision": 1, "cameras": {}}"#

    /// `config`: the agent's configuration file; `request`: extra options
    /// of `ota request` when the harness plays camgate-ota-apply.path.
    init(device: DeviceTree, work: String, config: String = Harness.emptyConfig, request: [String]? = nil) throws {
        self.work = work
        try FileManager.default.createDirectory(atPath: "\(work)/data", withIntermediateDirectories: true)
        try config.write(toFile: "\(work)/config.json", atomically: true, encoding: .utf8)
        let committed = "\(device.lib)/committed/camgate"
        let hook = { (name: String) in [committed, "ota", name, "--root", device.root, "--systemctl", "\(work)/systemctl", "--data-dir", "\(work)/data"] }
        var config: [String: Any] = [
            "dir": work, "pre": hook("guard"), "stop_post": hook("exited"),
            "start": ["\(device.lib)/current/camgate", "run", "--config", "\(work)/config.json", "--data-dir", "\(work)/data",
                      "--install-root", device.root],
            "check": hook("check"), "check_every": 1.0, "restart_sec": 1.0,
        ]
        if let request { config["path"] = ["exists": "\(work)/data/ota-request.json", "run": hook("request") + request] }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: "\(work)/harness.json"))
        process = try ChildProcess("/usr/bin/python3", [Repository.fixture("restart_harness.py"), "\(work)/harness.json"],
                                   logPath: "\(work)/harness.log")
    }

    var systemctl: String { "\(work)/systemctl" }

    func events() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: "\(work)/events.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Starts, in order: (time, the binary run).
    func starts() -> [(t: Double, binary: String)] {
        events().filter { $0["event"] as? String == "start" }.map { ($0["t"] as? Double ?? 0, $0["binary"] as? String ?? "") }
    }

    func stop() async {
        FileManager.default.createFile(atPath: "\(work)/stop", contents: nil)
        _ = await process.waitForExit(timeout: .seconds(30))
    }

    var hookLog: String { (try? String(contentsOfFile: "\(work)/hooks.log", encoding: .utf8)) ?? "" }
}

@Suite(.serialized) struct TrialHarnessTests {
    /// 0.1.0 (the stripped test build) committed and running under the harness.
    struct Setup {
        let kit: ReleaseKit
        let device: DeviceTree
        let harness: Harness
        let stripped: String
    }

    func setUp() async throws -> Setup {
        let kit = try ReleaseKit()
        let stripped = kit.dir.file("camgate")
        #expect(try runProgram("/usr/bin/strip", ["-o", stripped, Repository.camgate], timeout: .seconds(120)).status == 0)
        let device = try DeviceTree(binary: stripped)
        let harness = try Harness(device: device, work: kit.dir.file("work"))
        let up = await waitUntil(timeout: .seconds(20)) { (try? agentAnswers(harness)) == true }
        #expect(up, "0.1.0 did not start: \(harness.hookLog)")
        return Setup(kit: kit, device: device, harness: harness, stripped: stripped)
    }

    func agentAnswers(_ h: Harness) throws -> Bool {
        try runProgram(Repository.camgate, ["status", "--data-dir", "\(h.work)/data", "--json"], timeout: .seconds(10)).output.contains("\"answered_by\":\"agent\"")
    }

    /// `ota apply` as an operator would run it on the device; the restart goes to the harness.
    func apply(_ s: Setup, _ release: String, _ trial: [String]) throws -> Double {
        let t = Date().timeIntervalSince1970
        let out = try s.device.ota("apply", ["\(release)/manifest.json", "--board", "intel-n100", "--systemctl", s.harness.systemctl,
                                             "--data-dir", "\(s.harness.work)/data"] + trial, kit: s.kit)
        #expect(out.contains("staged 0.2.0") && out.contains("restarting camgate.service"), "\(out)")
        return t
    }

    func update(_ s: Setup) throws -> [String: Any] { try s.device.state()["update"] as? [String: Any] ?? [:] }

    @Test func goodUpdate_isCommitted_andRunsAfterwards() async throws {
        let s = try await setUp()
        let rel = try s.kit.release("good", binary: s.stripped, .init(xzLevel: "-1"))
        let applied = try apply(s, rel, ["--deadline", "30", "--minimum-run", "3"])
        // The state is written before the links are switched: wait for both.
        let committed = await waitUntil(timeout: .seconds(30)) { (try? update(s)["phase"] as? String) == "committed" && s.device.link("committed") == "0.2.0" }
        #expect(committed, "\(s.harness.hookLog)")
        let u = try update(s)
        let seconds = Double((u["finished_at"] as? Int ?? 0) - (u["staged_at"] as? Int ?? 0)) / 1000
        print("good update: staged -> committed in \(seconds) s (minimum run 3 s); apply took \(Date().timeIntervalSince1970 - applied) s in all")
        #expect(s.device.link("current") == "0.2.0" && s.device.link("committed") == "0.2.0" && s.device.link("previous") == "0.1.0")
        #expect(u["ack_pending"] as? Bool == true)
        #expect(try s.device.state()["floor"] as? String == "0.2.0")
        #expect(s.harness.starts().last?.binary.hasSuffix("/0.2.0/camgate") == true)
        #expect(try agentAnswers(s.harness))
        await s.harness.stop()
    }

    /// A power cut in the middle of a trial: the harness and the agent
    /// killed with SIGKILL (no ExecStopPost), then "systemd" again. The
    /// guard's next start continues the trial, which commits.
    @Test func everythingKilledDuringTheTrial_theNextBootContinuesItAndCommits() async throws {
        let s = try await setUp()
        let rel = try s.kit.release("good", binary: s.stripped, .init(xzLevel: "-1"))
        _ = try apply(s, rel, ["--deadline", "60", "--minimum-run", "3"])
        let onTrial = await waitUntil(timeout: .seconds(20)) {
            (try? update(s)["phase"] as? String) == "trial" && s.harness.starts().last?.binary.hasSuffix("/0.2.0/camgate") == true
        }
        try #require(onTrial, "\(s.harness.hookLog)")
        let agent = s.harness.events().last { $0["event"] as? String == "start" }?["pid"] as? Int32 ?? 0
        s.harness.process.signal(SIGKILL)
        kill(agent, SIGKILL)
        _ = await s.harness.process.waitForExit()
        #expect(try update(s)["phase"] as? String == "trial")

        let again = try Harness(device: s.device, work: s.harness.work)
        // The state is written before the links are switched: wait for both.
        let committed = await waitUntil(timeout: .seconds(30)) { (try? update(s)["phase"] as? String) == "committed" && s.device.link("committed") == "0.2.0" }
        #expect(committed, "\(again.hookLog)")
        #expect((try update(s)["starts"] as? [Any])?.count == 2, "the start after the cut counts as the second")
        #expect(s.device.link("current") == "0.2.0" && s.device.link("committed") == "0.2.0")
        #expect(again.starts().last?.binary.hasSuffix("/0.2.0/camgate") == true)
        await again.stop()
    }

    /// The rollback is timed from the start of the bad version (the switch) to the start of the old one.
    func rollbackTime(_ s: Setup) -> Double? {
        let starts = s.harness.starts()
        guard let bad = starts.firstIndex(where: { $0.binary.hasSuffix("/0.2.0/camgate") }),
              let back = starts[bad...].first(where: { $0.binary.hasSuffix("/0.1.0/camgate") }) else { return nil }
        return back.t - starts[bad].t
    }

    func expectRolledBack(_ s: Setup, reason: String, within limit: Double) async throws {
        let rolled = await waitUntil(timeout: .seconds(60)) { (try? update(s)["phase"] as? String) == "rolled_back" && s.device.link("current") == "0.1.0" }
        #expect(rolled, "\(s.harness.hookLog)")
        #expect(try update(s)["rollback_reason"] as? String == reason)
        #expect((try s.device.state()["bad_versions"] as? [String]) == ["0.2.0"])
        let back = await waitUntil(timeout: .seconds(15)) { rollbackTime(s) != nil && (try? agentAnswers(s.harness)) == true }
        #expect(back, "0.1.0 is not running again: \(s.harness.starts())")
        let seconds = rollbackTime(s) ?? .infinity
        print("\(reason): switch to 0.2.0 -> 0.1.0 started again in \(seconds) s")
        #expect(seconds <= limit)
        #expect(s.device.link("current") == "0.1.0" && s.device.link("committed") == "0.1.0")
        #expect(s.harness.starts().last?.binary.hasSuffix("/0.1.0/camgate") == true)
        await s.harness.stop()
    }

    @Test func buildThatExitsAtOnce_isRolledBackWithin10s() async throws {
        let s = try await setUp()
        let rel = try s.kit.release("exits", binary: try s.kit.script("exits-1", "echo 'bad build' >&2\nexit 1"), .init(xzLevel: "-1"))
        _ = try apply(s, rel, ["--deadline", "30"])
        try await expectRolledBack(s, reason: "exited_at_once", within: 10)
    }

    // A build that never becomes ready and one that crashes after 10 s are
    // rolled back the same way after this staging: CloudUpdateTests runs
    // both (and this one) through the cloud's command, with a camera.
}
