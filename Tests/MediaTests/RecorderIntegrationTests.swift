import Foundation
import Testing
import CamgateCore
@testable import Media
import Platform
import TestSupport

/// The recorder command line run by real ffmpeg: segments rotate without a
/// restart and without losing a frame, and the indexer follows them.
@Suite(.serialized) struct RecorderIntegrationTests {
    let dir = TemporaryDirectory("recorder")

    /// A 4:3 camera's 480p variant is 640x480, not a stretched 854x480: the
    /// variant's video options, run by real ffmpeg.
    @Test func aVariantScaleKeepsFourByThree() async throws {
        let tools = try FFmpegTools.locate().get()
        let out = dir.file("variant.ts")
        let args = ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=800x600:rate=10", "-frames:v", "5"]
            + EncoderArguments.video(.software, settings: VideoSettings(bitrateKbps: 1500), sourceFPS: 10, scaleToHeight: 480) + ["-y", out]
        #expect(try runProgram(tools.ffmpeg, args).status == 0)
        #expect(try Probe.pictureSize(out) == "640x480")
    }

    /// The recorder's command line for a 320x180@15 test camera, run by real
    /// ffmpeg, with the day directories it needs.
    func startRecorder(root: String, segmentSeconds: Int) throws -> (DataLayout, CameraID, Int64, ChildProcess) {
        let tools = try FFmpegTools.locate().get()
        let layout = DataLayout(root: root)
        let cam = try CameraID("cam")
        let spec = CameraSpec(source: .test(try TestPattern(size: Resolution(width: 320, height: 180), fps: 15)), record: true)
        let now = WallClock.nowMilliseconds()
        for offset: Int64 in [0, 86_400_000] {
            try FileSystem.createDirectories(layout.day(cam, date: Timestamp.utcDate(milliseconds: now + offset)))
        }
        try FileSystem.createDirectories(layout.run(cam))
        let args = RecorderCommand.arguments(camera: cam, spec: spec, policy: RecordingPolicy(segmentSeconds: segmentSeconds), layout: layout, encoder: .software)
        let ffmpeg = try ChildProcess(tools.ffmpeg, args, logPath: "\(root)/ffmpeg.log", environment: FFmpegTools.environment)
        return (layout, cam, now, ffmpeg)
    }

    /// A recorder killed outright (or a power cut) loses only what was in
    /// flight: the segment on disk already holds what was encoded, because
    /// each packet is flushed to the file as it is muxed.
    @Test func aKilledRecorderLeavesThePlayableVideoItEncoded() async throws {
        let (layout, cam, now, ffmpeg) = try startRecorder(root: dir.file("killed"), segmentSeconds: 60)
        try await Task.sleep(for: .seconds(3))
        ffmpeg.signal(SIGKILL)
        _ = await ffmpeg.waitForExit(timeout: .seconds(5))
        let day = layout.day(cam, date: Timestamp.utcDate(milliseconds: now))
        let file = try #require(try FileSystem.list(day).first.map { "\(day)/\($0)" })
        // 320x180 at this quality is ~20 KB/s: the default 256 KiB buffer would hold all of it back.
        let size = try FileSystem.fileSize(file)
        #expect(size > 10_000, "\(size) bytes on disk")
        let timing = try #require(try Probe.videoTiming(file))
        #expect(timing.end - timing.start > 1.5, "\(timing)")
    }

    @Test func rotatesWithoutGapsAndTheIndexerFollows() async throws {
        let (layout, cam, _, ffmpeg) = try startRecorder(root: dir.path, segmentSeconds: 2)

        var indexer = SegmentIndexer(camera: cam, layout: layout)
        var events: [SegmentEvent] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            events += indexer.poll(nowMs: WallClock.nowMilliseconds())
            if events.filter({ if case .finished = $0 { true } else { false } }).count >= 4 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        ffmpeg.signal(SIGTERM)
        // ffmpeg finishes its outputs on SIGTERM and exits with 255 ("received signal 15").
        #expect(await ffmpeg.waitForExit(timeout: .seconds(10)) == 255, "ffmpeg ends cleanly on SIGTERM: \(ffmpeg.log)")
        events += indexer.poll(nowMs: WallClock.nowMilliseconds())

        let finished = events.compactMap { e -> (String, Int64, Double, Int64)? in
            if case .finished(let f, let s, let d, let b) = e { (f, s, d, b) } else { nil }
        }
        let started = events.compactMap { e -> String? in if case .started(let f, _) = e { f } else { nil } }
        #expect(finished.count >= 5, "\(events)")
        #expect(Set(started).isSubset(of: Set(finished.map(\.0))), "every started segment was finished")
        for (file, _, duration, bytes) in finished {
            let size = try FileSystem.fileSize(file)
            #expect(bytes > 0 && bytes == size)
            #expect(duration > 0 && duration <= 2.1, "\(file): \(duration)")
            #expect(try Probe.isPlayable(file))
        }
        // No lost frames: each segment starts where the previous one ended.
        let timings = try finished.map { try #require(try Probe.videoTiming($0.0)) }
        for (previous, next) in zip(timings, timings.dropFirst()) {
            #expect(abs(next.start - previous.end) <= 1.0 / 15 + 0.001, "gap \(next.start - previous.end) s")
        }
        #expect(FileSystem.exists(layout.latestSnapshot(cam)))
        let jpeg = try FileSystem.read(layout.latestSnapshot(cam), limit: 4)
        #expect(jpeg.prefix(2) == [0xFF, 0xD8], "latest.jpg is a JPEG")
    }
}
