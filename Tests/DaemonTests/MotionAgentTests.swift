import Foundation
import Testing
import CamgateCore
import Platform
import Store
import TestSupport

/// The clip of Tests/Fixtures/motion_clip.sh (seed 7, 60 s: motion at
/// [6.0, 9.7], [18.0, 21.3], [40.1, 45.7], a light switched on at 27 s and
/// dimmed until 37 s, a "tree" swaying in the top-left 20 % at [12.3, 15.3]),
/// made once per version of the script and kept in /tmp (it is the same to
/// the byte every time; making it takes about 35 s).
struct MotionClip {
    var file: String
    var motion: [[Double]]
    var lighting: [[Double]]
    var tree: [[Double]]
    var treeRect: [Double]

    static func make(seed: Int = 7, duration: Int = 60) throws -> MotionClip {
        let script = Repository.fixture("motion_clip.sh")
        let hash = try Data(contentsOf: URL(fileURLWithPath: script)).reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        let cache = "/tmp/camgate-test-fixtures"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let base = "\(cache)/motion-\(String(hash, radix: 16))-\(seed)-\(duration)"
        if !FileManager.default.fileExists(atPath: "\(base).json") {
            let temp = "\(base).\(getpid())"
            let made = try runProgram("/bin/sh", [script, "\(temp).mp4", String(seed), String(duration)], timeout: .seconds(300))
            try #require(made.status == 0, "motion_clip.sh failed: \(made.output)")
            rename("\(temp).mp4", "\(base).mp4")
            rename("\(temp).json", "\(base).json")
        }
        struct Truth: Decodable {
            struct Masked: Decodable { var rect: [Double]; var intervals: [[Double]] }
            var motion: [[Double]], lighting: [[Double]], masked: Masked
        }
        let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: URL(fileURLWithPath: "\(base).json")))
        return MotionClip(file: "\(base).mp4", motion: truth.motion, lighting: truth.lighting, tree: truth.masked.intervals, treeRect: truth.masked.rect)
    }
}

/// Motion events (issue 13) with the real pieces: the camgate binary records
/// the clip from the GStreamer RTSP server in copy mode, three cameras on
/// it (each RTSP client gets the clip from its first frame): "plain" at
/// sensitivity 15 (1.8 % of the picture: at the default 25, 1.3 %, the
/// tree's sway reached 1.5 % in two samples in one run out of two), "tree"
/// at 50 (0.55 %: the tree is an event) and "masked" at 50 with a mask over
/// the tree.
@Suite(.serialized) struct MotionAgentTests {
    let dir = TemporaryDirectory("motion-agent")
    var data: String { dir.file("data") }

    struct Event: CustomStringConvertible {
        var start: Double, end: Double?, peak: Double
        var description: String { "[\(start), \(end.map { "\($0)" } ?? "open")] peak \(peak)" }
    }

    /// Epoch seconds, through `camgate events --motion` (the API, or the database when no agent runs).
    func events(_ camera: String) throws -> [Event] { try Self.events(camera, data: data) }

    static func events(_ camera: String, data: String) throws -> [Event] {
        let result = try runProgram(Repository.camgate, ["events", "--motion", "--camera", camera, "--limit", "1000", "--json", "--data-dir", data])
        guard result.status == 0, let rows = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]] else { return [] }
        func seconds(_ key: String, _ row: [String: Any]) -> Double? {
            (row[key] as? String).flatMap(Timestamp.parseRFC3339).map { Double($0) / 1000 }
        }
        return rows.compactMap { row in
            seconds("start", row).map { Event(start: $0, end: seconds("end", row), peak: (row["peak"] as? NSNumber)?.doubleValue ?? 0) }
        }.sorted { $0.start < $1.start }
    }

    /// Whether the masked camera (it sees neither the tree nor the light)
    /// has an event, open or ended, that starts near clip time `t`; the
    /// clip's time is placed by its first event (at `clip.motion[0][0]`).
    func event(near t: Double, _ clip: MotionClip, open: Bool) throws -> Bool {
        let list = try events("masked")
        guard let origin = list.first.map({ $0.start - clip.motion[0][0] }) else { return false }
        return list.contains { ($0.end == nil) == open && abs($0.start - origin - t) < 1.5 }
    }

    func writeConfig(url: String, clip: MotionClip, s3: S3Fixture, credentials: String) throws -> String {
        let r = clip.treeRect
        let mask = #"{"x": \#(r[0]), "y": \#(r[1]), "w": \#(r[2]), "h": \#(r[3])}"#
        func camera(_ motion: String) -> String { #"{"source": {"kind": "rtsp", "url": "\#(url)"}, "record": true, "motion": \#(motion)}"# }
        let cameras = [
            #""plain": \#(camera(#"{"enabled": true, "sensitivity": 15}"#))"#,
            #""tree": \#(camera(#"{"enabled": true, "sensitivity": 50}"#))"#,
            #""masked": \#(camera(#"{"enabled": true, "sensitivity": 50, "masks": [\#(mask)]}"#))"#,
        ]
        let path = dir.file("config.json")
        try #"""
            {"cameras": {\#(cameras.joined(separator: ", "))}, "recording": {"segment_seconds": 5, "retain_days": 1, "min_free_percent": 1},
             "upload": {"mode": "motion", "pre_roll_s": 1, "post_roll_s": 1},
             "s3": {"endpoint": "\#(s3.endpoint)", "bucket": "camgate-test", "credentials_file": "\#(credentials)"}}
            """#.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Matches `events` to `truth` (clip seconds) after the one shift that
    /// fits best (the clip's first frame is received some 0.5 s after the
    /// recorder starts; the test cannot know it closer): every interval needs
    /// one event whose start and end are within ±1 s, and no event may be left.
    static func score(_ events: [Event], _ truth: [[Double]]) -> (offset: Double, unmatched: [[Double]], extra: [Event]) {
        func match(_ offset: Double) -> (unmatched: [[Double]], extra: [Event]) {
            var extra = events, unmatched: [[Double]] = []
            for interval in truth {
                if let i = extra.firstIndex(where: { abs($0.start - offset - interval[0]) <= 1 && abs(($0.end ?? .infinity) - offset - interval[1]) <= 1 }) {
                    extra.remove(at: i)
                } else {
                    unmatched.append(interval)
                }
            }
            return (unmatched, extra)
        }
        // Every (event, interval) pair proposes a shift; the one that leaves the least unexplained wins.
        let shifts = events.flatMap { e in truth.map { e.start - $0[0] } }
        guard let best = shifts.min(by: { a, b in
            let (ma, mb) = (match(a), match(b))
            return ma.unmatched.count + ma.extra.count < mb.unmatched.count + mb.extra.count
        }) else { return (0, truth, []) }
        let result = match(best)
        return (best, result.unmatched, result.extra)
    }

    /// The events match the clip's intervals within ±1 s; the lighting
    /// change fires nothing; the tree is an event only without its mask;
    /// and an agent killed (-9) in the middle of one event, then another
    /// stopped for a hand-over in the middle of the next, lose no event and
    /// make no duplicate (the recorders are adopted: same processes, same files).
    @Test func eventsMatchTheClipAndSurviveAKillAndAHandOverMidEvent() async throws {
        let clip = try MotionClip.make()
        try #require(clip.motion.count == 3 && clip.tree.count == 1, "the seed-7 60 s clip: \(clip)")
        let server = try await RTSPTestServer(logDirectory: dir.path, clip: clip.file)
        defer { server.stop() }
        let credentials = dir.file("s3-credentials.json")
        try #"{"access_key_id": "AKIDMOTION", "secret_access_key": "motion-test-secret"}"#.write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o600)
        let s3 = try await S3Fixture(directory: dir.path, credentialsFile: credentials)
        defer { Task { await s3.stop() } }
        let config = try writeConfig(url: server.url, clip: clip, s3: s3, credentials: credentials)
        let launched = Double(WallClock.nowMilliseconds()) / 1000
        let first = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent1.log"))
        #expect(await waitUntil(timeout: .seconds(15)) { processes(matching: "\(data)/run/").count == 3 }, "\(first.log)")
        let recorders = Set(processes(matching: "\(data)/run/"))

        // kill -9 while the second event is open
        #expect(try await waitUntil(timeout: .seconds(40)) { try event(near: clip.motion[1][0], clip, open: true) }, "\(first.log)")
        first.signal(SIGKILL)
        _ = await first.waitForExit()
        try await Task.sleep(for: .seconds(1))
        let second = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent2.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { second.log.contains("adopted running process") }, "\(second.log)")

        // a hand-over (as an update does) while the third event is open
        #expect(try await waitUntil(timeout: .seconds(40)) { try event(near: clip.motion[2][0], clip, open: true) }, "\(second.log)")
        try "\(WallClock.nowMilliseconds())\n".write(toFile: "\(data)/ota-handover", atomically: true, encoding: .utf8)
        second.signal(SIGTERM)
        #expect(await second.waitForExit(timeout: .seconds(20)) == 0, "\(second.log)")
        let third = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent3.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { third.log.contains("adopted running process") }, "\(third.log)")

        // The last interval ends at 45.7 s; the clip (and its stream) at 60 s.
        #expect(try await waitUntil(timeout: .seconds(20)) { try event(near: clip.motion[2][0], clip, open: false) }, "\(third.log)")
        try await Task.sleep(for: .seconds(1))
        #expect(Set(processes(matching: "\(data)/run/")) == recorders, "the same three recorders all along")
        third.signal(SIGTERM)
        #expect(await third.waitForExit(timeout: .seconds(20)) == 0, "\(third.log)")

        try await checkMotionUploads(s3)
        for (camera, truth) in [("plain", clip.motion), ("masked", clip.motion), ("tree", (clip.motion + clip.tree).sorted { $0[0] < $1[0] })] {
            let list = try events(camera)
            let (offset, unmatched, extra) = Self.score(list, truth)
            print("\(camera): offset \(String(format: "%.2f", offset - launched)) s after the agent's launch; events \(list.map { e in "[\(String(format: "%.2f", e.start - offset)), \(e.end.map { String(format: "%.2f", $0 - offset) } ?? "open")] peak \(e.peak)" })")
            #expect(unmatched.isEmpty, "\(camera): intervals without their event (±1 s): \(unmatched); events \(list)")
            #expect(extra.isEmpty, "\(camera): events no interval explains (a lighting change, a duplicate, a split): \(extra)")
            #expect(offset - launched > 0 && offset - launched < 5, "\(camera): the clip started \(offset - launched) s after the launch")
            for light in clip.lighting {
                #expect(!list.contains { ($0.start - offset) < light[1] && ($0.end ?? .infinity) - offset > light[0] }, "\(camera): the lighting change fired")
            }
        }
    }

    /// `upload.mode: motion`, 1 s of pre- and post-roll: the queue holds
    /// exactly the segments an event and its rolls overlap (whichever the
    /// agents learnt of first, across the kill and the hand-over), the
    /// plain camera's quiet segments (the lighting change) stay home, and
    /// what reached S3 is among them.
    func checkMotionUploads(_ s3: S3Fixture) async throws {
        let store = try Store.openReadOnly(directory: data)
        let window = MotionUploadWindow(preMs: 1000, postMs: 1000)
        let queue = try await store.recentUploads(limit: 10_000)
        var expectedNames = Set<String>()
        for name in ["plain", "tree", "masked"] {
            let camera = try CameraID(name)
            let events = try await store.motionEvents(camera: camera, limit: 1000)
            let segments = try await store.recordings(camera: camera).filter { $0.status == .complete }
            let expected = Set(segments.filter { segment in
                events.contains { window.covers(segmentStartMs: segment.startMs, segmentEndMs: segment.endMs ?? segment.startMs,
                                                eventStartMs: $0.startMs, eventEndMs: $0.endMs ?? $0.lastMs) }
            }.map(\.file))
            let queued = Set(queue.filter { $0.camera == camera }.map(\.file))
            #expect(queued == expected, "\(name): queued \(queued.sorted()) for events \(events.map { [$0.startMs, $0.endMs ?? -1] })")
            if name == "plain" {
                #expect(!expected.isEmpty && segments.count - expected.count >= 2, "\(name): \(expected.count) of \(segments.count) segments go")
            }
            expectedNames.formUnion(expected.map { "\(name)/\(FileSystem.basename($0))" })
        }
        let objects = try s3.objects().keys
        // Keys end CAMERA/YYYY/MM/DD/NAME.
        let uploaded = objects.map { key in let parts = key.split(separator: "/"); return "\(parts[max(0, parts.count - 5)])/\(parts.last ?? "")" }
        #expect(!uploaded.isEmpty && uploaded.allSatisfy(expectedNames.contains), "\(objects.sorted()) against \(expectedNames.sorted())")
        print("MotionAgentTests: \(queue.count) segments queued around the events, \(objects.count) in S3")
    }
}
