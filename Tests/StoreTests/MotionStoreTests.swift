import Testing
import CamgateCore
@testable import Store
import TestSupport

/// Motion events and the motion cursor (issue 13) on a real SQLite file.
@Suite struct MotionStoreTests {
    let dir = TemporaryDirectory("store-motion")

    func store() async throws -> (Store, CameraID) {
        let store = try Store.open(directory: dir.path)
        let id = try CameraID("front")
        try await store.saveDesiredState(DesiredState(cameras: [id: CameraSpec(source: .rtsp(url: "rtsp://10.0.0.1/s"), record: true)]), origin: .config)
        return (store, id)
    }

    func motionReports(_ store: Store) async throws -> [JSONValue] {
        try await store.pendingReports(limit: 100).map { try JSONValue.parse($0.payload) }.filter { $0["kind"] == .string("motion") }
    }

    @Test func anEventIsInsertedWhenAnnouncedClosedAtItsEndAndReportedTwice() async throws {
        let (store, cam) = try await store()
        let open = MotionFeed.Batch(cursor: MotionCursor(offset: 100, lastStampMs: 1_500, phase: .active(start: 1_000, last: 1_500, peak: 3)),
                                    transitions: [.started(start: 1_000, peak: 2)])
        try await store.applyMotion(camera: cam, open, report: true)
        var rows = try await store.motionEvents()
        #expect(rows.map { [$0.startMs, $0.lastMs] } == [[1_000, 1_500]] && rows[0].endMs == nil && rows[0].peak == 3, "the open event's progress is stored")
        #expect(try await store.motionCursor(cam) == open.cursor)

        let end = MotionFeed.Batch(cursor: MotionCursor(offset: 180, lastStampMs: 2_000, phase: .idle), transitions: [.ended(start: 1_000, end: 2_000, peak: 4)])
        try await store.applyMotion(camera: cam, end, report: true)
        rows = try await store.motionEvents()
        #expect(rows.count == 1 && rows[0].endMs == 2_000 && rows[0].lastMs == 2_000 && rows[0].peak == 4)
        #expect(try await motionReports(store).map { $0["phase"] } == [.string("start"), .string("end")])
        #expect(try await store.motionCursor(cam) == end.cursor)
    }

    /// A batch stored, then stored again (the agent died after the commit
    /// and read its file again from an older cursor): nothing doubles.
    @Test func aBatchAppliedTwiceMakesNoDuplicateEventOrReport() async throws {
        let (store, cam) = try await store()
        let batch = MotionFeed.Batch(cursor: MotionCursor(offset: 300, lastStampMs: 9_000, phase: .idle),
                                     transitions: [.started(start: 1_000, peak: 2), .ended(start: 1_000, end: 2_000, peak: 4),
                                                   .started(start: 8_000, peak: 5), .ended(start: 8_000, end: 9_000, peak: 5)])
        try await store.applyMotion(camera: cam, batch, report: true)
        try await store.applyMotion(camera: cam, batch, report: true)
        #expect(try await store.motionEvents().map(\.startMs) == [8_000, 1_000], "newest first")
        #expect(try await motionReports(store).count == 4)
    }

    @Test func aStandaloneAgentQueuesNoReport() async throws {
        let (store, cam) = try await store()
        try await store.applyMotion(camera: cam, MotionFeed.Batch(cursor: MotionCursor(offset: 1), transitions: [.started(start: 1, peak: 1)]), report: false)
        #expect(try await store.outboxDepth() == 0)
        #expect(try await store.motionEvents().count == 1)
    }

    @Test func eventsListTheSegmentsTheyOverlapAndFilterByCameraAndTime() async throws {
        let (store, cam) = try await store()
        for n: Int64 in 0..<3 {
            try await store.noteRecordingFinished(camera: cam, file: "/r/\(n).ts", startMs: n * 10_000, duration: 10, bytes: 1)
        }
        let batch = MotionFeed.Batch(cursor: MotionCursor(offset: 1, lastStampMs: 26_000, phase: .active(start: 25_000, last: 26_000, peak: 1)),
                                     transitions: [.started(start: 8_000, peak: 2), .ended(start: 8_000, end: 12_000, peak: 2), .started(start: 25_000, peak: 1)])
        try await store.applyMotion(camera: cam, batch, report: false)
        let rows = try await store.motionEvents()
        #expect(rows.map { $0.segments.map(\.file) } == [["/r/2.ts"], ["/r/0.ts", "/r/1.ts"]])
        #expect(try await store.motionEvents(sinceMs: 13_000).map(\.startMs) == [25_000], "the first ended before")
        #expect(try await store.motionEvents(camera: try CameraID("other")).isEmpty)
        #expect(try await store.motionEvents(limit: 1).count == 1)
    }

    @Test func aRewoundCursorKeepsTheTrackerState() async throws {
        let (store, cam) = try await store()
        let cursor = MotionCursor(offset: 4096, lastStampMs: 7, phase: .pending(start: 5, last: 7, peak: 1.5))
        try await store.applyMotion(camera: cam, MotionFeed.Batch(cursor: cursor, transitions: []), report: false)
        try await store.rewindMotionCursor(cam)
        #expect(try await store.motionCursor(cam) == MotionCursor(offset: 0, lastStampMs: 7, phase: .pending(start: 5, last: 7, peak: 1.5)))
    }

    /// The outbox was rebuilt again (its kinds are a CHECK): `seq` goes on.
    @Test func theOutboxSequenceGoesOnAfterTheMotionMigration() async throws {
        let store = try Store.open(directory: dir.path)
        try await store.execute("DELETE FROM schema_migrations WHERE name = '0006_motion'; DROP TABLE motion_cursor; DROP TABLE motion_events;")
        for _ in 0..<3 { try await store.enqueueReport(kind: "ack", payload: .object([:])) }
        try await store.acknowledgeReports(upTo: 3)
        await store.close()
        let migrated = try Store.open(directory: dir.path)
        #expect(migrated.appliedMigrations == ["0006_motion"])
        try await migrated.enqueueReport(kind: "motion", payload: .object([:]))
        #expect(try await migrated.pendingReports(limit: 1).first?.seq == 4)
    }

    /// `upload.mode: motion` with 2 s of pre-roll and 3 s of post-roll, 10 s
    /// segments: whichever side arrives second (the segment finishing or the
    /// event starting, growing, ending) queues the segment, once; another
    /// camera's segment at the same time stays.
    @Test func motionModeQueuesTheSegmentsAnEventAndItsRollsReachWhicheverArrivesFirst() async throws {
        let (store, cam) = try await store()
        let back = try CameraID("back")
        let spec = CameraSpec(source: .rtsp(url: "rtsp://10.0.0.1/s"), record: true)
        try await store.saveDesiredState(DesiredState(cameras: [cam: spec, back: spec]), origin: .config)
        let window = MotionUploadWindow(preMs: 2_000, postMs: 3_000)
        let t0: Int64 = 1_700_000_000_000
        func segment(_ camera: CameraID, _ k: Int64) -> RecordingChange {
            .finished(camera: camera, file: "/d/\(camera)/\(k).ts", startMs: t0 + k * 10_000, duration: 10, bytes: 1_000 + k)
        }
        func queued() async throws -> [String] { try await store.pendingUploads().map(\.file) }

        #expect(try await store.record((0..<4).map { segment(cam, $0) }, motionUpload: window) == 0, "no event yet")
        let started = MotionFeed.Batch(cursor: MotionCursor(offset: 10, lastStampMs: t0 + 41_500, phase: .active(start: t0 + 41_000, last: t0 + 41_500, peak: 2)),
                                       transitions: [.started(start: t0 + 41_000, peak: 2)])
        #expect(try await store.applyMotion(camera: cam, started, report: false, upload: window) == 1)
        #expect(try await queued() == ["/d/front/3.ts"], "the pre-roll reaches back into the segment before")

        #expect(try await store.record([segment(cam, 4), segment(back, 4)], motionUpload: window) == 1, "finished while the event is open")
        let ended = MotionFeed.Batch(cursor: MotionCursor(offset: 20, lastStampMs: t0 + 51_000, phase: .idle),
                                     transitions: [.ended(start: t0 + 41_000, end: t0 + 51_000, peak: 3)])
        #expect(try await store.applyMotion(camera: cam, ended, report: false, upload: window) == 0, "segment 5 is still being written")
        #expect(try await store.record([segment(cam, 5)], motionUpload: window) == 1, "the post-roll reaches into it")
        #expect(try await store.record([segment(cam, 6)], motionUpload: window) == 0, "past the post-roll")
        #expect(try await store.applyMotion(camera: cam, ended, report: false, upload: window) == 0, "the same batch again")
        #expect(try await queued() == ["/d/front/3.ts", "/d/front/4.ts", "/d/front/5.ts"])

        #expect(try await store.record([segment(cam, 7)], motionUpload: nil) == 0)
        #expect(try await queued().count == 3, "other modes queue nothing around events")
    }
}
