import Foundation
import Logging
import Testing
import CamgateCore
@testable import Daemon
import Media
import Platform
import Store
import Supervisor
import TestSupport

/// The agent's side of a recorder's motion file, without ffmpeg: ffmpeg
/// opens the file with O_TRUNC, so before a new recorder of the camera
/// starts, the old file is read to its end and removed (Agent+Motion).
@Suite struct MotionFileTests {
    let dir = TemporaryDirectory("motion-file")

    func agent() async throws -> (Agent, Store, CameraID, DataLayout) {
        let layout = DataLayout(root: dir.file("data"))
        try FileSystem.createDirectories(layout.root)
        let cam = try CameraID("front")
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .rtsp(url: "rtsp://127.0.0.1:1/s"), record: true, motion: MotionSettings(enabled: true))])
        let store = try Store.open(directory: layout.root)
        try await store.saveDesiredState(desired, origin: .config)
        let parts = AgentServices.Parts(store: store, supervisor: Supervisor(bootID: try ProcFS.bootID()),
                                        options: Agent.Options(layout: layout, tools: try FFmpegTools.locate().get()),
                                        desired: desired, logger: Logger(label: "motion-file-test"))
        try FileSystem.createDirectories(layout.run(cam))
        return (try AgentServices(parts).agent, store, cam, layout)
    }

    static func blocks(_ samples: [(Int64, Double)]) -> String {
        samples.enumerated().map { "frame:\($0.offset)    pts:\($0.element.0) pts_time:1.8e+09\nlavfi.signalstats.YAVG=\($0.element.1 * 2.55)\n" }.joined()
    }

    @Test func anEventGoesOnAcrossARecorderChangeAndTheOldFileIsReadToItsEndFirst() async throws {
        let (agent, store, cam, layout) = try await agent()
        let t: Int64 = 1_800_000_000_000
        // The old recorder's file, with a block cut in the middle by its end.
        try (Self.blocks([(t, 3), (t + 500, 3), (t + 1_000, 3)]) + "frame:3    pts:").write(toFile: layout.motionLog(cam), atomically: false, encoding: .utf8)
        await agent.prepareMotionFile(cam)
        #expect(!FileSystem.exists(layout.motionLog(cam)), "removed before the next recorder opens it with O_TRUNC")
        let cursor = try #require(try await store.motionCursor(cam))
        #expect(cursor.offset == 0 && cursor.lastStampMs == t + 1_000)
        #expect(try await store.motionEvents().map { [$0.startMs, $0.lastMs] } == [[t, t + 1_000]], "announced, still open: the clock did not move")

        // The new recorder's file: the motion goes on within the gap, then stops.
        try Self.blocks([(t + 1_800, 4), (t + 2_300, 5)]).write(toFile: layout.motionLog(cam), atomically: false, encoding: .utf8)
        #expect(await agent.readMotion(cam, nowMs: t + 9_000))
        let events = try await store.motionEvents()
        #expect(events.count == 1 && events[0].startMs == t && events[0].endMs == t + 2_300, "one event across both files: \(events)")
        #expect(abs((events.first?.peak ?? 0) - 5) < 0.001)
    }
}
