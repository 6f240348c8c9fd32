import Testing
import CamgateCore
@testable import Media
import Platform
import TestSupport

@Suite struct RecorderCommandTests {
    static let layout = DataLayout(root: "/var/lib/camgate")
    static let cam = try! CameraID("front")

    @Test func testCameraIsPacedEncodedWithOneSecondGOPAndSegmented() throws {
        let spec = CameraSpec(source: .test(try TestPattern(pattern: "smptebars", size: Resolution(width: 640, height: 360), fps: 10)), record: true)
        let args = RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(segmentSeconds: 1800),
                                             layout: Self.layout, encoder: .software)
        #expect(args == [
            "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+warning", "-y",
            "-re", "-f", "lavfi", "-i", "smptebars=size=640x360:rate=10",
            "-map", "0:v:0", "-an",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p",
            "-g", "10", "-keyint_min", "10", "-sc_threshold", "0", "-bf", "0", "-crf", "23",
            "-f", "segment", "-segment_format", "mpegts", "-segment_format_options", "flush_packets=1", "-segment_time", "1800", "-segment_atclocktime", "1", "-strftime", "1",
            "-segment_list", "/var/lib/camgate/run/front/segments.csv", "-segment_list_type", "csv",
            "/var/lib/camgate/recordings/front/%Y-%m-%d/%Y%m%dT%H%M%SZ.ts",
            "-map", "0:v:0", "-an", "-vf", "fps=1,scale=out_range=full", "-pix_fmt", "yuv420p", "-color_range", "pc",
            "-strict", "-1", "-c:v", "mjpeg", "-q:v", "5", "-threads", "1", "-f", "image2", "-update", "1", "-atomic_writing", "1",
            "/var/lib/camgate/run/front/latest.jpg",
        ])
    }

    /// Every recorder runs with glibc's malloc kept small (one arena, large
    /// blocks unmapped when freed) and nothing else of the agent's environment.
    @Test func recordersRunWithASmallMallocAndAFixedEnvironment() throws {
        let spec = CameraSpec(source: .rtsp(url: "rtsp://10.0.0.5/stream"), record: true)
        let process = RecorderCommand.spec(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout,
                                           tools: FFmpegTools(ffmpeg: "/usr/bin/ffmpeg", ffprobe: "/usr/bin/ffprobe"), encoder: .software)
        #expect(process.environment["GLIBC_TUNABLES"] == "glibc.malloc.arena_max=1:glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072")
        #expect(Set(process.environment.keys) == Set(Subprocess.defaultEnvironment.keys).union(["GLIBC_TUNABLES"]))
    }

    @Test func aVariantKeepsTheSourceAspectRatio() {
        let args = PublishCommand.transcode(from: "rtsp://127.0.0.1:8554/cam", height: 720, bitrateKbps: 3000, encoder: .software,
                                            destination: "rtsp://127.0.0.1:8554/cam_720p")
        #expect(args.contains("scale=-2:720") && args.contains("3000k"), "\(args)")
        let vaapi = PublishCommand.transcode(from: "rtsp://127.0.0.1:8554/cam", height: 480, bitrateKbps: 1500, encoder: .vaapi(device: "/dev/dri/renderD128"),
                                             destination: "rtsp://127.0.0.1:8554/cam_480p")
        #expect(vaapi.contains("format=nv12,hwupload,scale_vaapi=w=-2:h=480"), "\(vaapi)")
    }

    @Test func rtspCameraIsCopiedOverTCPAndDecodesOnlyKeyframesForTheSnapshot() {
        let url = "rtsp://admin:pa$$ w;rd@192.0.2.10:554/stream1"
        let spec = CameraSpec(source: .rtsp(url: url), record: true)
        #expect(RecorderCommand.encoder(for: spec) == .copy)
        let args = RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout, encoder: .copy)
        #expect(Array(args[6..<21]) == ["-rtsp_transport", "tcp", "-timeout", "10000000", "-fflags", "+genpts+discardcorrupt",
                                        "-use_wallclock_as_timestamps", "1", "-skip_frame", "nokey", "-threads", "1", "-i", url, "-map"])
        #expect(args.contains("copy"))
        #expect(args.filter { $0 == url }.count == 1, "the URL is one argv element, untouched (no shell)")
    }

    @Test func rtspCameraThatMustBeTranscodedDecodesEveryFrame() {
        let spec = CameraSpec(source: .rtsp(url: "rtsp://cam/s"), record: true, video: VideoSettings(size: Resolution(width: 1280, height: 720), fps: 10, encoder: .software, bitrateKbps: 1500))
        #expect(RecorderCommand.encoder(for: spec) == .software)
        let args = RecorderCommand.arguments(camera: Self.cam, spec: spec, policy: RecordingPolicy(), layout: Self.layout, encoder: .software)
        #expect(!args.contains("-skip_frame"))
        #expect(args.contains("-vf") && args.contains("scale=1280:720"))
        #expect(args.joined(separator: " ").contains("-b:v 1500k -maxrate 1500k -bufsize 3000k"))
        #expect(args.joined(separator: " ").contains("-g 10 -keyint_min 10"))
    }

    @Test func v4l2CameraAsksTheDriverForSizeAndRate() {
        let spec = CameraSpec(source: .v4l2(device: "/dev/video0"), record: true, video: VideoSettings(size: Resolution(width: 1920, height: 1080), fps: 30))
        let args = RecorderCommand.input(spec.source, video: spec.video, keyframesOnlyForDecoding: false)
        #expect(args == ["-f", "v4l2", "-thread_queue_size", "64", "-video_size", "1920x1080", "-framerate", "30", "-i", "/dev/video0"])
    }

    @Test func v4l2CameraOpensTheChosenCaptureMode() {
        let spec = CameraSpec(source: .v4l2(device: "/dev/v4l/by-id/usb-cam-video-index0"), record: true)
        let mode = CaptureMode(inputFormat: "mjpeg", size: Resolution(width: 1280, height: 720), fps: 30, native: false)
        let args = RecorderCommand.input(spec.source, video: spec.video, keyframesOnlyForDecoding: false, capture: mode)
        #expect(args == ["-f", "v4l2", "-thread_queue_size", "64", "-input_format", "mjpeg", "-video_size", "1280x720", "-framerate", "30",
                         "-i", "/dev/v4l/by-id/usb-cam-video-index0"])
    }

    @Test func percentInTheDataDirectoryIsEscapedForStrftime() {
        let layout = DataLayout(root: "/data/100%")
        #expect(layout.segmentPattern(Self.cam) == "/data/100%%/recordings/front/%Y-%m-%d/%Y%m%dT%H%M%SZ.ts")
    }
}

@Suite struct SegmentNameTests {
    @Test func namesAreUTCStartTimes() {
        let ms: Int64 = 1_795_343_400_000 // 2026-11-22T10:30:00Z
        #expect(SegmentName.name(startMilliseconds: ms + 999) == "20261122T103000Z.ts")
        #expect(SegmentName.startMilliseconds("20261122T103000Z.ts") == ms)
        #expect(DataLayout(root: "/d").segmentPath(try! CameraID("c"), name: "20261122T103000Z.ts") == "/d/recordings/c/2026-11-22/20261122T103000Z.ts")
    }

    @Test(arguments: ["", "latest.jpg", "20261122T103000Z.mp4", "20261122X103000Z.ts", "2026112aT103000Z.ts", "20261122T103000Z.ts.tmp", "../../etc.ts"])
    func rejectsOtherFiles(_ name: String) {
        #expect(SegmentName.startMilliseconds(name) == nil)
    }
}

@Suite struct SegmentListParserTests {
    static let text = "20261122T103000Z.ts,0.000000,4.000000\n20261122T103004Z.ts,4.000000,8.000000\r\n\"odd,name.ts\",8.0,9.5\nbroken line\n20261122T103009Z.ts,9.5,"

    @Test func parsesCompleteLinesAndWaitsForTheRest() {
        var parser = SegmentListParser()
        let entries = parser.feed(Array(Self.text.utf8))
        #expect(entries.map(\.name) == ["20261122T103000Z.ts", "20261122T103004Z.ts", "odd,name.ts"])
        #expect(entries.map(\.duration) == [4, 4, 1.5])
        #expect(parser.feed(Array("11.0\n".utf8)) == [.init(name: "20261122T103009Z.ts", start: 9.5, end: 11.0)])
    }

    @Test func givesTheSameEntriesFedOneByteAtATime() {
        var whole = SegmentListParser(), bytewise = SegmentListParser()
        let expected = whole.feed(Array(Self.text.utf8))
        var got: [SegmentListParser.Entry] = []
        for byte in Self.text.utf8 { got += bytewise.feed([byte]) }
        #expect(got == expected)
    }
}

/// A recorder frozen by SIGSTOP (or a dead RTSP peer) lists, once it runs
/// again, a segment spanning the whole freeze: its indexed end is never
/// later than the file's last write nor than the next segment's start.
@Suite struct SegmentEndTests {
    @Test(arguments: [
        // listed, start, last write, next start → indexed
        (2.0, Int64(10_000), Int64?(12_010), Int64?(12_000), 2.0),
        (33.0, 10_000, 41_200, 41_000, 31.7),
        (33.0, 10_000, 41_200, 12_000, 2.999),
        (33.0, 10_000, nil, nil, 33.0),
        (2.05, 10_000, 11_600, nil, 2.05),
        (5.0, 10_000, 9_000, nil, 5.0),  // the clock was stepped back: no bound from the last write
    ])
    func theIndexedEndIsBoundedByTheLastWriteAndTheNextStart(_ listed: Double, _ start: Int64, _ lastWrite: Int64?, _ next: Int64?, _ expected: Double) {
        let got = SegmentIndexer.indexedDuration(listed: listed, startMs: start, lastWriteMs: lastWrite, nextStartMs: next)
        #expect(abs(got - expected) < 0.0005, "\(got)")
    }

    @Test func aSegmentListedAcrossAFreezeEndsWhereTheNextBegins() throws {
        let root = TemporaryDirectory("segment-end")
        let layout = DataLayout(root: root.path)
        let cam = try CameraID("frozen")
        let startMs = (WallClock.nowMilliseconds() - 60_000) / 1000 * 1000
        let first = SegmentName.name(startMilliseconds: startMs), next = SegmentName.name(startMilliseconds: startMs + 2000)
        for name in [first, next] {
            let path = try #require(layout.segmentPath(cam, name: name))
            try FileSystem.createDirectories(FileSystem.parent(of: path))
            try FileSystem.writeAtomically(path, Array(repeating: 0x47, count: 188))
        }
        try FileSystem.createDirectories(FileSystem.parent(of: layout.segmentList(cam)))
        try FileSystem.writeAtomically(layout.segmentList(cam), Array("\(first),0.000000,33.000000\n".utf8))
        var indexer = SegmentIndexer(camera: cam, layout: layout)
        let finished = indexer.poll(nowMs: startMs + 35_000).compactMap { event -> Double? in
            if case .finished(_, _, let duration, _) = event { duration } else { nil }
        }
        #expect(finished.count == 1 && abs(finished[0] - 2.999) < 0.0005, "\(finished)")
    }
}
