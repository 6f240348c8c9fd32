import Foundation
import CamgateCore
import Platform
import Testing
import TestSupport

/// The agent's side of "an update cuts no recording": a stop after the
/// root side marked a hand-over leaves the recorder running, and the next
/// agent keeps it even when it would write its command line differently
/// (a new version's ffmpeg arguments apply at the recorder's next start).
/// A plain stop stops it; a plain restart with another command line
/// restarts it.
@Suite(.serialized) struct HandoverTests {
    let dir = TemporaryDirectory("camgate-handover")
    var data: String { dir.file("data") }

    func config(bitrate: Int) throws -> String {
        let path = dir.file("config-\(bitrate).json")
        try #"{"revision": 1, "cameras": {"cam1": {"source": {"kind": "test", "size": "320x180", "fps": 15}, "record": true, "video": {"bitrate_kbps": \#(bitrate)}}}, "recording": {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 1}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func recorders() -> [Int32] { processes(matching: "\(data)/run/") }

    func start(_ config: String, _ name: String) async throws -> ChildProcess {
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("\(name).log"))
        let up = await waitUntil(timeout: .seconds(30)) { recorders().count == 1 && agent.log.contains("agent ready") }
        try #require(up, "\(agent.log)")
        return agent
    }

    /// What the root side writes before `systemctl restart` (UpdateSpool.markHandover).
    func markHandover() throws {
        try "\(WallClock.nowMilliseconds())\n".write(toFile: "\(data)/ota-handover", atomically: true, encoding: .utf8)
    }

    @Test func afterAHandover_theNextAgentKeepsTheRecorder_evenWithANewCommandLine() async throws {
        let first = try await start(try config(bitrate: 800), "first")
        let recorder = try #require(recorders().first)
        try markHandover()
        first.signal(SIGTERM)
        #expect(await first.waitForExit(timeout: .seconds(20)) == 0)
        #expect(ProcFS.stat(pid: recorder)?.isAlive == true, "handed over: the recorder runs on")
        #expect(!FileManager.default.fileExists(atPath: "\(data)/ota-handover"), "the marker was taken")

        let second = try await start(try config(bitrate: 600), "second")
        #expect(recorders() == [recorder], "the same ffmpeg, adopted and kept")
        #expect(second.log.contains("kept recorder:cam1 running across the update"), "\(second.log)")
        #expect(!FileManager.default.fileExists(atPath: "\(data)/ota-handed-over"))

        // No marker now: a plain stop stops the recorder.
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(20)) == 0)
        #expect(ProcFS.stat(pid: recorder)?.isAlive != true, "a plain stop stops it")
    }

    @Test func withoutAHandover_aNewCommandLineRestartsTheRecorder_andAStaleMarkerIsIgnored() async throws {
        let first = try await start(try config(bitrate: 800), "first")
        let recorder = try #require(recorders().first)
        // A marker older than 2 min is not a hand-over.
        try "\(WallClock.nowMilliseconds() - 180_000)\n".write(toFile: "\(data)/ota-handover", atomically: true, encoding: .utf8)
        first.signal(SIGTERM)
        #expect(await first.waitForExit(timeout: .seconds(20)) == 0)
        #expect(ProcFS.stat(pid: recorder)?.isAlive != true, "a stale marker: a plain stop")

        let second = try await start(try config(bitrate: 800), "second")
        let kept = try #require(recorders().first)
        second.signal(SIGKILL)
        _ = await second.waitForExit()
        let third = try await start(try config(bitrate: 600), "third")
        #expect(await waitUntil(timeout: .seconds(20)) { recorders().count == 1 && recorders() != [kept] }, "restarted with its new command line: \(third.log)")
        third.signal(SIGTERM)
        _ = await third.waitForExit(timeout: .seconds(20))
    }
}
