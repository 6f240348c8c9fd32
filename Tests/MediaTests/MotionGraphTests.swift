import Foundation
import Testing
import CamgateCore
@testable import Media
import Platform
import TestSupport

/// The recorder's command with motion on (docs/motion-design.md, "The
/// recommended graph"): the argv, and the graph run by real ffmpeg.
@Suite(.serialized) struct MotionGraphTests {
    static let layout = DataLayout(root: "/var/lib/camgate")
    static let cam = try! CameraID("front")
    let dir = TemporaryDirectory("motion-graph")

    static func rtsp(motion: MotionSettings) -> CameraSpec {
        CameraSpec(source: .rtsp(url: "rtsp://cam/s"), record: true, motion: motion)
    }

    @Test func aCopyingRecorderWithMotionDecodesEveryFrameWithOneThreadAndSharesOneBranch() throws {
        let masks = [try MaskRect(x: 0, y: 0, w: 0.2, h: 0.25)]
        let args = RecorderCommand.arguments(camera: Self.cam, spec: Self.rtsp(motion: MotionSettings(enabled: true, masks: masks)),
                                             policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
        #expect(!args.contains("-skip_frame"), "motion needs every frame decoded")
        #expect(Array(args[14..<18]) == ["-threads", "1", "-i", "rtsp://cam/s"])
        #expect(!args.contains("-vf"), "latest.jpg comes from the graph")
        let graph = try #require(args.firstIndex(of: "-filter_complex").map { args[$0 + 1] })
        #expect(graph == "[0:v:0]fps=2,split=2[j][m];[j]fps=1,scale=out_range=full[jpg];"
            + "[m]scale=-2:100:flags=area,format=gbrp,normalize=independence=0:smoothing=0,format=yuv420p,"
            + "drawbox=x=iw*0.0000:y=ih*0.0000:w=iw*0.2000:h=ih*0.2500:color=black:t=fill,"
            + "tblend=all_mode=difference,lutyuv=y='gt(val,15)*255',signalstats,"
            + "metadata=mode=select:key=lavfi.signalstats.YAVG:function=greater:value=0.5,settb=1/1000,setpts=RTCTIME/1000,"
            + "metadata=mode=print:key=lavfi.signalstats.YAVG:direct=1:file=/var/lib/camgate/run/front/motion.log[mo]")
        let tail = Array(args.drop { $0 != "-filter_complex_threads" })
        #expect(tail == ["-filter_complex_threads", "1", "-filter_complex", graph,
                         "-map", "[jpg]", "-pix_fmt", "yuv420p", "-color_range", "pc", "-strict", "-1", "-c:v", "mjpeg", "-q:v", "5", "-threads", "1",
                         "-f", "image2", "-update", "1", "-atomic_writing", "1", "/var/lib/camgate/run/front/latest.jpg",
                         "-map", "[mo]", "-f", "null", "-"])
    }

    /// With a substream, the main stream is copied and never decoded; the
    /// substream is the second input, with one decoder thread, and feeds
    /// the same graph (latest.jpg and motion). Without it (or once it
    /// failed: `substream: false`) the command is the main-stream one.
    @Test func aCopyingRecorderWithASubstreamDecodesOnlyTheSubstream() throws {
        let motion = MotionSettings(enabled: true, substream: "rtsp://cam/sub")
        let spec = Self.rtsp(motion: motion)
        let args = RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
        let inputs = args.indices.filter { args[$0] == "-i" }.map { args[$0 + 1] }
        #expect(inputs == ["rtsp://cam/s", "rtsp://cam/sub"])
        let second = try #require(args.firstIndex(of: "rtsp://cam/sub"))
        #expect(Array(args[(second - 5)...second]) == ["-threads", "1", "-thread_queue_size", "8", "-i", "rtsp://cam/sub"])
        #expect(!args[..<second].contains("-skip_frame") && args.filter { $0 == "-thread_queue_size" }.count == 2)
        let graph = try #require(args.firstIndex(of: "-filter_complex").map { args[$0 + 1] })
        #expect(graph == MotionGraph.graph(masks: [], motionFile: Self.layout.motionLog(Self.cam), input: "1:v:0"))
        #expect(graph.hasPrefix("[1:v:0]fps=2,split=2[j][m]"))
        #expect(args.filter { $0 == "0:v:0" }.count == 1, "the main stream only feeds the segments")

        var plain = motion
        plain.substream = nil
        let main = RecorderCommand.arguments(camera: Self.cam, spec: Self.rtsp(motion: plain), policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
        #expect(RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout, encoder: .copy, substream: false) == main)
        let encoding = RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout, encoder: .software)
        #expect(!encoding.contains("rtsp://cam/sub"), "an encoding recorder decodes every frame anyway")
        var off = motion
        off.enabled = false
        #expect(!RecorderCommand.arguments(camera: Self.cam, spec: Self.rtsp(motion: off), policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
            .contains("rtsp://cam/sub"), "motion off: no substream")
    }

    @Test func aCameraWithoutMotionKeepsTodaysCommandAndOnlyTheGraphSettingsChangeIt() throws {
        let off = RecorderCommand.arguments(camera: Self.cam, spec: Self.rtsp(motion: MotionSettings()), policy: RecordingPolicy(),
                                            layout: Self.layout, encoder: .copy)
        #expect(off == RecorderCommand.arguments(camera: Self.cam, spec: CameraSpec(source: .rtsp(url: "rtsp://cam/s"), record: true),
                                                 policy: RecordingPolicy(), layout: Self.layout, encoder: .copy))
        #expect(off.contains("-skip_frame") && !off.contains("-filter_complex"))
        let on = MotionSettings(enabled: true)
        var tuned = on
        tuned.sensitivity = 90
        tuned.gapMs = 5000
        tuned.minLengthMs = 0
        tuned.ignoreLighting = false
        func argv(_ m: MotionSettings) -> [String] {
            RecorderCommand.arguments(camera: Self.cam, spec: Self.rtsp(motion: m), policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
        }
        #expect(argv(on) == argv(tuned), "sensitivity, gap, min length and the lighting guard are the agent's: no restart")
        #expect(argv(on) == argv(on), "no timestamp in the command: the fingerprint is stable")
        var masked = on
        masked.masks = [try MaskRect(x: 0.5, y: 0.5, w: 0.1, h: 0.1)]
        #expect(argv(on) != argv(masked), "masks are in the graph")
    }

    @Test(arguments: [
        ("/var/lib/camgate/run/a/motion.log", "/var/lib/camgate/run/a/motion.log"),
        ("/d:1/m.log", #"/d\\:1/m.log"#),
        ("/d,x;y[z]/m.log", #"/d\,x\;y\[z\]/m.log"#),
        ("/it's/m.log", #"/it\\\'s/m.log"#),
        (#"/back\slash/m.log"#, #"/back\\\\slash/m.log"#),
    ])
    func aPathIsEscapedForTheOptionAndTheGraphParsers(_ path: String, _ escaped: String) {
        #expect(MotionGraph.escapeOptionValue(path) == escaped)
    }

    @Test(arguments: [(0.0, "0.0000"), (0.2, "0.2000"), (1.0, "1.0000"), (0.12345, "0.1235"), (0.00001, "0.0000")])
    func coordinatesAreWrittenWithFourDecimals(_ value: Double, _ text: String) {
        #expect(MotionGraph.decimal(value) == text)
    }

    /// Real ffmpeg runs the graph on a moving test pattern, into a data
    /// directory whose path needs escaping: the motion file gets complete
    /// blocks with epoch-millisecond stamps, and latest.jpg is written.
    @Test func realFFmpegRunsTheGraphAndWritesStampedBlocks() async throws {
        let tools = try FFmpegTools.locate().get()
        let layout = DataLayout(root: dir.file("da,ta:[x];it's"))
        let cam = try CameraID("cam")
        let spec = CameraSpec(source: .test(try TestPattern(pattern: "testsrc2", size: Resolution(width: 320, height: 180), fps: 15)), record: true,
                              motion: MotionSettings(enabled: true, masks: [try MaskRect(x: 0, y: 0, w: 0.2, h: 0.2)]))
        let now = WallClock.nowMilliseconds()
        try FileSystem.createDirectories(layout.day(cam, date: Timestamp.utcDate(milliseconds: now)))
        try FileSystem.createDirectories(layout.day(cam, date: Timestamp.utcDate(milliseconds: now + 86_400_000)))
        try FileSystem.createDirectories(layout.run(cam))
        let args = RecorderCommand.arguments(camera: cam, spec: spec, policy: RecordingPolicy(segmentSeconds: 60), layout: layout, encoder: .software)
        let ffmpeg = try ChildProcess(tools.ffmpeg, args, logPath: dir.file("ffmpeg.log"), environment: FFmpegTools.environment)
        defer { ffmpeg.signal(SIGKILL) }
        #expect(await waitUntil(timeout: .seconds(20)) { MotionLog.parse((try? FileSystem.read(layout.motionLog(cam))) ?? []).samples.count >= 4 },
                "\(ffmpeg.log)")
        let started = WallClock.nowMilliseconds()
        let bytes = try FileSystem.read(layout.motionLog(cam))
        let (samples, _) = MotionLog.parse(bytes)
        #expect(samples.allSatisfy { $0.stamp > now - 1000 && $0.stamp <= started + 1000 }, "epoch ms: \(samples.map(\.stamp)), started \(now)")
        #expect(samples.allSatisfy { $0.percent > 0.2 }, "quiet samples are not written: \(samples)")
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $0.stamp < $1.stamp })
        #expect(FileSystem.exists(layout.latestSnapshot(cam)), "\(ffmpeg.log)")
        print("motion file: \(bytes.count) bytes, \(samples.count) samples, percents \(samples.prefix(4).map(\.percent))")
    }
}
