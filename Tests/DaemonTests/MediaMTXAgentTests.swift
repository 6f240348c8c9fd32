import Foundation
import Testing
import CamgateCore
import Media
import Platform
import Store
import TestSupport

/// The camgate binary with MediaMTX configured. MediaMTX itself has no
/// package here: its Control API is Tests/Fixtures/fake_mediamtx.py (which
/// follows openapi.yaml), run by the agent as its MediaMTX binary.
@Suite(.serialized) struct MediaMTXAgentTests {
    let dir = TemporaryDirectory("mtx-agent")
    var data: String { dir.file("data") }

    /// An operator's mediamtx.yml on free ports, and an agent config using it.
    func configure(cameras: String, binary: Bool = true, rtspPort: UInt16 = freePort()) throws -> (config: String, mediamtx: String, apiPort: UInt16) {
        let apiPort = freePort()
        let mediamtx = dir.file("mediamtx.yml")
        try """
        # the operator's own file
        logLevel: info
        api: false
        apiAddress: :\(apiPort)
        rtspAddress: :\(rtspPort)
        hlsAddress: :18888
        webrtcAddress: :18889
        paths:
          operators_own:
            source: publisher
        """.write(toFile: mediamtx, atomically: true, encoding: .utf8)
        let config = dir.file("config.json")
        let section = binary ? #"{"config": "\#(mediamtx)", "binary": "\#(Repository.fixture("fake_mediamtx.py"))"}"# : #"{"config": "\#(mediamtx)"}"#
        try #"{"cameras": \#(cameras), "recording": {"segment_seconds": 2, "retain_days": 1, "min_free_percent": 1}, "mediamtx": \#(section)}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        return (config, mediamtx, apiPort)
    }

    func cli(_ args: [String]) throws -> (status: Int32, output: String) {
        try runProgram(Repository.camgate, args + ["--data-dir", data])
    }

    func fakeCall(_ port: UInt16, _ method: String, _ path: String, _ body: String? = nil) throws -> JSONValue {
        var args = ["-s", "-X", method, "http://127.0.0.1:\(port)\(path)"]
        if let body { args += ["-d", body] }
        return (try? JSONValue.parse(try runProgram("/usr/bin/curl", args).output)) ?? .null
    }

    @Test func aRecordingCameraIsViewableThroughItsPublisherAndStillRecords() async throws {
        // MediaMTX's RTSP server, as far as cam1's publisher is concerned: an
        // ffmpeg that accepts an RTSP publish (ANNOUNCE/RECORD) and saves it.
        let rtspPort = freePort()
        let received = dir.file("published.ts")
        let listener = try ChildProcess("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-rtsp_flags", "listen", "-timeout", "30",
                                                            "-i", "rtsp://127.0.0.1:\(rtspPort)/cam1", "-t", "3", "-c", "copy", "-y", received],
                                        logPath: dir.file("listener.log"))
        let (config, mediamtx, apiPort) = try configure(cameras: #"{"cam1": {"source": {"kind": "test", "size": "320x180", "fps": 10}, "record": true, "view": true}, "lobby": {"source": {"kind": "test", "size": "320x180"}, "view": true}}"#,
                                                        rtspPort: rtspPort)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        // The agent runs MediaMTX (here the fake) and puts its paths in through the API.
        #expect(try await waitUntil(timeout: .seconds(20)) { try fakeCall(apiPort, "GET", "/fake/confs")["cam1"] != nil }, "\(agent.log)")
        let confs = try fakeCall(apiPort, "GET", "/fake/confs")
        #expect(confs["cam1"]?["source"]?.stringValue == "publisher" && confs["cam1"]?["runOnDemand"]?.stringValue == "")
        #expect(confs["lobby"]?["runOnDemandCloseAfter"]?.stringValue == "5m0s")
        #expect(confs["lobby"]?["runOnDemand"]?.stringValue?.contains("capture lobby") == true)
        #expect(confs["operators_own"] != nil, "the operator's path is still there")
        let file = try String(contentsOfFile: mediamtx, encoding: .utf8)
        #expect(file.contains("# the operator's own file") && file.contains("operators_own:") && file.contains("api: true"))

        // The recorder feeds a relay copy; recording goes on regardless of MediaMTX.
        #expect(try await waitUntil(timeout: .seconds(20)) {
            let out = try cli(["recordings", "--json"]).output
            return ((try? JSONValue.parse(out)).map { if case .array(let a) = $0 { a.filter { $0["status"]?.stringValue == "complete" }.count } else { 0 } } ?? 0) >= 2
        })
        let recorder = try #require(processes(matching: "\(data)/run/cam1/segments.csv").first)
        let argv = ProcFS.commandLine(pid: recorder)
        #expect(argv.contains("tee") && argv.contains { $0.contains("udp://127.0.0.1:") })
        // recorder → UDP relay → supervised publisher → RTSP: the listener got the stream.
        #expect(await listener.waitForExit(timeout: .seconds(30)) == 0, "\(listener.log)")
        let published = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "csv=p=0", received])
        #expect(published.output.contains("h264"), "\(published.output)")

        // Viewing: URLs and viewers (from MediaMTX's runtime state).
        _ = try fakeCall(apiPort, "POST", "/fake/readers", #"{"path": "cam1", "readers": 3, "ready": true}"#)
        let view = try JSONValue.parse(try cli(["view", "cam1", "--json"]).output)
        #expect(view["unavailable"] == .null, "\(view)")
        guard case .array(let paths)? = view["paths"] else { Issue.record("no paths"); return }
        #expect(paths.map { $0["name"]?.stringValue ?? "" } == ["cam1"], "a 320x180 camera gets no smaller variant")
        #expect(paths[0]["viewers"]?.int64Value == 3 && paths[0]["ready"] == .bool(true))
        #expect(paths[0]["hls"]?.stringValue?.hasSuffix(":18888/cam1/") == true && paths[0]["webrtc"]?.stringValue?.hasSuffix(":18889/cam1/") == true)
        let status = try cli(["status"]).output
        #expect(status.contains("viewing:") && status.contains("3 viewers"), "\(status)")

        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        #expect(processes(matching: dir.file("mediamtx.yml")).isEmpty, "MediaMTX stopped with the agent")
    }

    @Test func mediamtxIsRestartedWhenItDiesAndGetsItsPathsBack() async throws {
        let (config, _, apiPort) = try configure(cameras: #"{"lobby": {"source": {"kind": "test"}, "view": true}}"#)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(try await waitUntil(timeout: .seconds(20)) { try fakeCall(apiPort, "GET", "/fake/confs")["lobby"] != nil })
        let first = try #require(processes(matching: dir.file("mediamtx.yml")).first)
        kill(first, SIGKILL)
        #expect(try await waitUntil(timeout: .seconds(20)) {
            let restarted = processes(matching: dir.file("mediamtx.yml")).contains { $0 != first }
            let confs = try fakeCall(apiPort, "GET", "/fake/confs")
            return restarted && confs["lobby"] != nil
        }, "restarted, and it read the paths from the file")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
    }

    @Test func viewingIsReportedUnavailableWithItsReasonAndRecordingGoesOn() async throws {
        // MediaMTX configured but not running (no binary, nothing on its API port).
        let (config, _, _) = try configure(cameras: #"{"cam1": {"source": {"kind": "test", "size": "160x90"}, "record": true, "view": true}}"#, binary: false)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(try await waitUntil(timeout: .seconds(20)) { try cli(["recordings", "--json"]).output.contains("\"complete\"") })
        let view = try JSONValue.parse(try cli(["view", "cam1", "--json"]).output)
        #expect(view["unavailable"]?.stringValue?.contains("not answering") == true, "\(view)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)

        // And with no MediaMTX configured at all.
        let plain = dir.file("plain.json")
        try #"{"cameras": {"cam1": {"source": {"kind": "test"}, "view": true}}}"#.write(toFile: plain, atomically: true, encoding: .utf8)
        let other = try AgentProcess.camgate(["run", "--config", plain, "--data-dir", dir.file("data2")], logPath: dir.file("agent2.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { other.log.contains("agent ready") })
        let unconfigured = try JSONValue.parse(try runProgram(Repository.camgate, ["view", "cam1", "--data-dir", dir.file("data2"), "--json"]).output)
        #expect(unconfigured["unavailable"]?.stringValue?.contains("MediaMTX is not configured") == true)
        other.signal(SIGTERM)
        #expect(await other.waitForExit() == 0)

        // The first data directory, now run without its `mediamtx` section: its old MediaMTX state is gone.
        let again = try AgentProcess.camgate(["run", "--config", plain, "--data-dir", data], logPath: dir.file("agent3.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { again.log.contains("agent ready") })
        let removed = try JSONValue.parse(try cli(["view", "cam1", "--json"]).output)
        #expect(removed["unavailable"]?.stringValue?.contains("MediaMTX is not configured") == true, "\(removed)")
        again.signal(SIGTERM)
        #expect(await again.waitForExit() == 0)
    }

    @Test func snapshotsAreWarmFromTheRecorderAndColdOtherwise() async throws {
        let rtsp = try await RTSPTestServer(logDirectory: dir.path)
        // "cam" is snapshot-only; MediaMTX's RTSP address is the RTSP test server, which serves /cam.
        let (config, _, apiPort) = try configure(cameras: #"{"rec": {"source": {"kind": "test", "size": "320x180"}, "record": true}, "cam": {"source": {"kind": "test", "size": "320x180"}}, "direct": {"source": {"kind": "test", "size": "160x90"}}}"#,
                                                 binary: false, rtspPort: rtsp.port)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        #expect(await waitUntil(timeout: .seconds(20)) { FileSystem.exists("\(data)/run/rec/latest.jpg") })
        try await Task.sleep(for: .seconds(1))
        var result = try cli(["snapshot", "rec", "-o", dir.file("rec.jpg")])
        #expect(result.status == 0 && result.output.contains("(latest)"), "\(result.output)")
        // MediaMTX down: straight from the source.
        result = try cli(["snapshot", "direct", "-o", dir.file("direct.jpg")])
        #expect(result.status == 0 && result.output.contains("(capture)"), "\(result.output)")
        // MediaMTX up: through its RTSP (which starts the on-demand path).
        let fake = try await FakeMediaMTX(directory: dir.path, config: dir.file("mediamtx.yml"))
        _ = fake
        _ = apiPort
        result = try cli(["snapshot", "cam", "-o", dir.file("cam.jpg")])
        #expect(result.status == 0 && result.output.contains("(mediamtx)"), "\(result.output)")
        // MediaMTX up but its path gives nothing (here: no such stream): straight from the source.
        result = try cli(["snapshot", "direct", "-o", dir.file("direct.jpg")])
        #expect(result.status == 0 && result.output.contains("(capture)"), "\(result.output)")
        for file in ["rec.jpg", "direct.jpg", "cam.jpg"] {
            let bytes = try FileSystem.read(dir.file(file), limit: 2)
            #expect(bytes == [0xFF, 0xD8], "\(file) is a JPEG")
        }
        // Bad input.
        #expect(try cli(["snapshot", "../x", "-o", dir.file("x.jpg")]).status == 2)
        #expect(try cli(["snapshot", "nosuch", "-o", dir.file("x.jpg")]).output.contains("unknown camera"))
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        rtsp.stop()
    }

    @Test func mediamtxConfigPrintsThePathsOrWhyNot() throws {
        let (config, _, _) = try configure(cameras: #"{"lobby": {"source": {"kind": "rtsp", "url": "rtsp://u:p$ss@10.0.0.1/s"}, "view": true}}"#)
        var result = try runProgram(Repository.camgate, ["mediamtx-config", "--config", config, "--data-dir", "/var/lib/camgate"])
        #expect(result.status == 0)
        #expect(result.output.contains("  \"lobby\":") && result.output.contains("runOnDemandCloseAfter: \"300s\"") && !result.output.contains("p$ss"))
        // The agent's own choice of encoders: the RTSP camera is copied, its variants encode with the best proven encoder.
        #expect(result.output.contains("capture lobby --data-dir /var/lib/camgate --encoder copy"), "\(result.output)")
        #expect(result.output.contains("--variant 720p --data-dir /var/lib/camgate --encoder software"), "\(result.output)")
        result = try runProgram(Repository.camgate, ["mediamtx-config", "--config", config, "--data-dir", "/data/$HOME"])
        #expect(result.status == 1 && result.output.contains("cannot be rendered safely") && result.output.contains("'$'"), "\(result.output)")

        // The operator's file decides too: a path of the same name, or a file MediaMTX could not read.
        let mediamtx = dir.file("mediamtx.yml")
        let own = try String(contentsOfFile: mediamtx, encoding: .utf8)
        try (own + "\n  lobby:\n    source: publisher\n").write(toFile: mediamtx, atomically: true, encoding: .utf8)
        result = try runProgram(Repository.camgate, ["mediamtx-config", "--config", config, "--data-dir", "/var/lib/camgate"])
        #expect(result.status == 1 && result.output.contains("lobby is also defined by hand"), "\(result.output)")
        try (own + "\n  broken: [\n").write(toFile: mediamtx, atomically: true, encoding: .utf8)
        result = try runProgram(Repository.camgate, ["mediamtx-config", "--config", config, "--data-dir", "/var/lib/camgate"])
        #expect(result.status == 1 && result.output.contains("cannot be rendered safely"), "\(result.output)")
        #expect(try String(contentsOfFile: mediamtx, encoding: .utf8) == own + "\n  broken: [\n", "mediamtx-config never writes")
        // A configuration file that cannot be read is a reason too, not "no file".
        try FileManager.default.removeItem(atPath: mediamtx)
        try FileManager.default.createDirectory(atPath: mediamtx, withIntermediateDirectories: true)
        result = try runProgram(Repository.camgate, ["mediamtx-config", "--config", config, "--data-dir", "/var/lib/camgate"])
        #expect(result.status == 1 && result.output.contains("cannot read"), "\(result.output)")
    }
}
