import Foundation
import Testing
import CamgateCore
import LocalAPI
import Platform
import TestSupport

/// Motion from a camera's substream (docs/motion-design.md, "Substream"),
/// with the real pieces: the camgate binary, GStreamer RTSP servers for the
/// main stream and the substream, ffmpeg. The substream is the seed-7 clip
/// at 480×270; the main stream is either the still 640×360 test pattern
/// (so motion can only come from the substream) or the clip itself.
@Suite(.serialized) struct MotionSubstreamTests {
    let dir = TemporaryDirectory("motion-substream")
    var data: String { dir.file("data") }

    /// The clip at 480×270, ~0.6 Mbit/s (a camera's substream), made once
    /// next to the clip.
    static func substreamClip(_ clip: MotionClip) throws -> String {
        let file = clip.file.replacingOccurrences(of: ".mp4", with: "-sub480.mp4")
        guard !FileManager.default.fileExists(atPath: file) else { return file }
        let temp = "\(file).\(getpid()).mp4"
        let made = try runProgram("/usr/bin/ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-i", clip.file, "-vf", "scale=480:270:flags=area",
                                                      "-c:v", "libx264", "-threads", "1", "-preset", "veryfast", "-profile:v", "main", "-crf", "20",
                                                      "-maxrate", "768k", "-bufsize", "1536k", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0",
                                                      "-bf", "0", "-movflags", "+faststart", temp], timeout: .seconds(120))
        try #require(made.status == 0, "the substream clip: \(made.output)")
        rename(temp, file)
        return file
    }

    func writeConfig(_ cameras: [String: (main: String, substream: String)], segmentSeconds: Int = 5) throws -> String {
        let entries = cameras.sorted { $0.key < $1.key }.map { id, urls in
            #""\#(id)": {"source": {"kind": "rtsp", "url": "\#(urls.main)"}, "record": true, "motion": {"enabled": true, "sensitivity": 15, "substream": "\#(urls.substream)"}}"#
        }
        let path = dir.file("config.json")
        try #"""
            {"cameras": {\#(entries.joined(separator: ", "))}, "recording": {"segment_seconds": \#(segmentSeconds), "retain_days": 1, "min_free_percent": 1}}
            """#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func cameraField(_ camera: String, _ field: String) async -> String? {
        let response = try? await LocalAPIClient(socketPath: "\(data)/api.sock", timeout: .seconds(10)).request("GET", "/api/v1/cameras/\(camera)")
        return response?.json?[field]?.stringValue
    }

    func recorder(_ camera: String) -> [String]? {
        processes(matching: "\(data)/run/\(camera)/").first.map { ProcFS.commandLine(pid: $0) }
    }

    /// The main stream is a still pattern and only copied; motion and
    /// latest.jpg come from the substream, the recorder's second input:
    /// the clip's first two intervals are events (±1 s), latest.jpg is
    /// 480×270, the segments 640×360, and the API says "substream", also
    /// after an agent killed (-9) was replaced and adopted the recorder.
    @Test func motionAndTheSnapshotComeFromTheSubstreamWhileTheMainStreamIsOnlyCopied() async throws {
        let clip = try MotionClip.make()
        let main = try await RTSPTestServer(logDirectory: dir.path)
        defer { main.stop() }
        let sub = try await RTSPTestServer(logDirectory: dir.path, clip: try Self.substreamClip(clip))
        defer { sub.stop() }
        let config = try writeConfig(["cam": (main.url, sub.url)])
        let first = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent1.log"))
        #expect(await waitUntil(timeout: .seconds(15)) { recorder("cam") != nil }, "\(first.log)")
        let argv = try #require(recorder("cam"))
        #expect(argv.filter { $0 == "-i" }.count == 2 && argv.contains(main.url) && argv.contains(sub.url), "\(argv)")
        #expect(argv.contains { $0.hasPrefix("[1:v:0]fps=2,") }, "the motion graph reads the second input: \(argv)")
        #expect(await waitUntil(timeout: .seconds(10)) { await cameraField("cam", "motion_source") == "substream" })
        // A new agent (the first killed) adopts the recorder and knows, from its command line, that it reads the substream.
        let pid = processes(matching: "\(data)/run/cam/").first
        first.signal(SIGKILL)
        _ = await first.waitForExit()
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent2.log"))
        defer { agent.signal(SIGTERM); _ = agent.exitStatus }
        #expect(await waitUntil(timeout: .seconds(10)) { agent.log.contains("adopted running process") }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { await cameraField("cam", "motion_source") == "substream" })
        #expect(processes(matching: "\(data)/run/cam/").first == pid, "the same recorder")

        let truth = Array(clip.motion.prefix(2))
        #expect(try await waitUntil(timeout: .seconds(45)) {
            let list = try MotionAgentTests.events("cam", data: data)
            return list.count >= 2 && list[1].end != nil
        }, "\(agent.log)")
        let list = try MotionAgentTests.events("cam", data: data)
        let (_, unmatched, extra) = MotionAgentTests.score(list, truth)
        print("substream events: \(list)")
        #expect(unmatched.isEmpty && extra.isEmpty, "intervals \(truth), events \(list)")
        #expect(try Probe.pictureSize("\(data)/run/cam/latest.jpg") == "480x270")
        let segments = try recordedSegments("cam")
        #expect(segments.count >= 3, "\(segments)")
        let sizes = try segments.map(Probe.pictureSize)
        #expect(sizes.first == "640x360", "\(segments) \(sizes)")
    }

    /// A substream that cannot be opened (nothing listens) ends the first
    /// recorder at once, its log names the substream: the next records
    /// with motion from the main stream (the clip: its first interval is
    /// an event). A substream lost mid-run (its server killed) stops
    /// latest.jpg: within 20 s the recorder restarts without it, and the
    /// segments go on. A main stream lost mid-run (its server killed) while
    /// the substream goes on ends nothing in ffmpeg: the segments stop
    /// growing, and the recorder is restarted as stalled (after two
    /// segment lengths, 10 s here, and never more than 30 s).
    @Test func aSubstreamThatFailsLeavesMotionToTheMainStreamAndALostMainStreamIsARestart() async throws {
        let clip = try MotionClip.make()
        let subClip = try Self.substreamClip(clip)
        let clipServer = try await RTSPTestServer(logDirectory: dir.path, clip: clip.file)
        defer { clipServer.stop() }
        let lostSub = try await RTSPTestServer(logDirectory: dir.path, clip: subClip)
        defer { lostSub.stop() }
        let lostMain = try await RTSPTestServer(logDirectory: dir.path)
        defer { lostMain.stop() }
        let liveSub = try await RTSPTestServer(logDirectory: dir.path)
        defer { liveSub.stop() }
        let nobody = "rtsp://127.0.0.1:\(freePort())/cam/realmonitor?channel=1&subtype=1"  // a query, as Dahua's: redaction would hide it
        let config = try writeConfig(["down": (clipServer.url, nobody), "lost": (clipServer.url, lostSub.url), "mainlost": (lostMain.url, liveSub.url)])
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        defer { agent.signal(SIGTERM); _ = agent.exitStatus }

        #expect(await waitUntil(timeout: .seconds(20)) {
            await cameraField("down", "motion_source")?.hasPrefix("main (substream failed: could not be opened") == true
        }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { recorder("down").map { !$0.contains(nobody) } == true }, "\(agent.log)")
        #expect(agent.log.contains("camera=down [Daemon] motion substream rtsp://127.0.0.1:"), "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) {
            recorder("lost")?.contains(lostSub.url) == true && recorder("mainlost")?.contains(liveSub.url) == true
        }, "\(agent.log)")
        let lostPID = try #require(processes(matching: "\(data)/run/lost/").first)
        try await Task.sleep(for: .seconds(6))
        let lostSegmentsBefore = try recordedSegments("lost").count
        lostSub.stop()
        lostMain.stop()

        #expect(await waitUntil(timeout: .seconds(35)) {
            await cameraField("lost", "motion_source")?.hasPrefix("main (substream failed: no picture for") == true
        }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { recorder("lost").map { !$0.contains(lostSub.url) } == true }, "\(agent.log)")
        #expect(processes(matching: "\(data)/run/lost/").first != lostPID)
        #expect(await waitUntil(timeout: .seconds(45)) {
            agent.log.split(separator: "\n").contains { $0.contains("camera=mainlost") && $0.contains("recorder stalled: nothing written") }
        }, "\(agent.log)")
        #expect(!agent.log.split(separator: "\n").contains { $0.contains("camera=mainlost") && $0.contains("motion substream") },
                "a lost main stream is not the substream's fault: \(agent.log)")
        #expect(try await waitUntil(timeout: .seconds(15)) { try recordedSegments("lost").count > lostSegmentsBefore + 1 }, "the lost camera records on")
        #expect(try await waitUntil(timeout: .seconds(15)) {
            try MotionAgentTests.events("down", data: data).contains { $0.end != nil }
        }, "motion from the main stream of \"down\"")
    }

    /// A frozen recorder (SIGSTOP) stops both its segments and latest.jpg:
    /// with 20 s segments the picture's 20 s limit comes first, but the
    /// segments stand still too, so the substream is not blamed: the
    /// recorder is restarted as stalled (30 s) and reads its substream again.
    @Test func aFrozenRecorderIsRestartedAsStalledWithoutBlamingItsSubstream() async throws {
        let main = try await RTSPTestServer(logDirectory: dir.path)
        defer { main.stop() }
        let sub = try await RTSPTestServer(logDirectory: dir.path)
        defer { sub.stop() }
        let config = try writeConfig(["cam": (main.url, sub.url)], segmentSeconds: 20)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        defer { agent.signal(SIGTERM); _ = agent.exitStatus }
        #expect(await waitUntil(timeout: .seconds(15)) { await cameraField("cam", "motion_source") == "substream" }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { FileManager.default.fileExists(atPath: "\(data)/run/cam/latest.jpg") })
        let frozen = try #require(processes(matching: "\(data)/run/cam/").first)
        kill(frozen, SIGSTOP)
        #expect(await waitUntil(timeout: .seconds(45)) { agent.log.contains("recorder stalled: nothing written for 3") }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { processes(matching: "\(data)/run/cam/").first.map { $0 != frozen } == true })
        #expect(recorder("cam")?.contains(sub.url) == true, "restarted with its substream")
        #expect(!agent.log.contains("motion substream"), "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(10)) { await cameraField("cam", "motion_source") == "substream" })
    }

    func recordedSegments(_ camera: String) throws -> [String] {
        let root = "\(data)/recordings/\(camera)"
        guard let days = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return days.sorted().flatMap { day in
            ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(day)")) ?? []).filter { $0.hasSuffix(".ts") }.sorted().map { "\(root)/\(day)/\($0)" }
        }
    }
}
