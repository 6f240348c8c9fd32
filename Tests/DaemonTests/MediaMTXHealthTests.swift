import Foundation
import Testing
import CamgateCore
import CloudLink
@testable import Daemon
import MediaMTX
import Platform
import TestSupport

/// A supervised MediaMTX that is alive but no longer answers its API (hung)
/// is restarted after three silent health checks, and gets its paths back.
@Suite(.serialized) struct MediaMTXHealthTests {
    let dir = TemporaryDirectory("mtx-health")

    /// An operator deleting the agent's block by hand (MediaMTX would
    /// hot-reload the file and drop the paths) gets it back at the next check.
    @Test func aBlockRemovedByHandIsWrittenAgain() async throws {
        let config = dir.file("mediamtx.yml")
        try "logLevel: info\napi: true\napiAddress: 127.0.0.1:\(freePort())\npaths:\n".write(toFile: config, atomically: true, encoding: .utf8)
        let sync = MediaMTXSync(settings: MediaMTXSettings(config: config), transport: try HTTPTransport())
        var desired = DesiredState()
        desired.cameras[try CameraID("lobby")] = CameraSpec(source: .test(try TestPattern()), view: true)
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: RestartPolicy(),
                                             mediamtx: sync, healthInterval: .seconds(1))
        func names() -> [String] { MediaMTXConfigFile.managedNames(in: (try? String(contentsOfFile: config, encoding: .utf8)) ?? "") }
        #expect(await waitUntil(timeout: .seconds(10)) { names().first == "lobby" }, "\(names())")
        try "logLevel: info\napi: true\npaths:\n  mine:\n".write(toFile: config, atomically: true, encoding: .utf8)
        #expect(await waitUntil(timeout: .seconds(10)) { names().first == "lobby" }, "written again")
        #expect((try String(contentsOfFile: config, encoding: .utf8)).contains("  mine:"), "the operator's edit is kept")
        try await harness.stop()
    }

    @Test func aHungMediaMTXIsRestartedAfterThreeSilentHealthChecks() async throws {
        let apiPort = freePort()
        let config = dir.file("mediamtx.yml")
        try "logLevel: info\napi: true\napiAddress: 127.0.0.1:\(apiPort)\nrtspAddress: :\(freePort())\npaths:\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let sync = MediaMTXSync(settings: MediaMTXSettings(config: config, binary: Repository.fixture("fake_mediamtx.py")), transport: try HTTPTransport())
        var desired = DesiredState()
        desired.cameras[try CameraID("lobby")] = CameraSpec(source: .test(try TestPattern()), view: true)
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: RestartPolicy(backoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(400))),
                                             mediamtx: sync, healthInterval: .seconds(1))
        func call(_ method: String, _ path: String, _ body: String? = nil) -> JSONValue {
            var args = ["-s", "-m", "2", "-X", method, "http://127.0.0.1:\(apiPort)\(path)"]
            if let body { args += ["-d", body] }
            return (try? JSONValue.parse((try? runProgram("/usr/bin/curl", args).output) ?? "")) ?? .null
        }
        #expect(try await waitUntil(timeout: .seconds(20)) { call("GET", "/fake/confs")["lobby"] != nil })
        let first = try #require(processes(matching: config).first)
        // Hang it: every API answer now takes 60 s (longer than the client's 3 s timeout).
        _ = call("POST", "/fake/fault", #"{"delay_s": 60}"#)
        #expect(try await waitUntil(timeout: .seconds(30)) {
            processes(matching: config).contains { $0 != first } && call("GET", "/fake/confs")["lobby"] != nil
        }, "a new MediaMTX, with the paths from the file")
        #expect(kill(first, 0) != 0, "the hung one is gone")
        try await harness.stop()
        #expect(processes(matching: config).isEmpty)
    }
}
