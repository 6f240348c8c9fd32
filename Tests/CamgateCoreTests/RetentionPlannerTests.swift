import Testing
@testable import CamgateCore

@Suite struct RetentionPlannerTests {
    static let day = RetentionPlanner.millisecondsPerDay
    static let now: Int64 = 100 * day
    static let cam = try! CameraID("c")

    static func segment(_ id: Int64, ageDays: Double, bytes: Int64 = 100) -> RetentionPlanner.Segment {
        let start = now - Int64(ageDays * Double(day))
        return .init(id: id, camera: cam, file: "/r/\(id).ts", startMs: start, endMs: start + 1_800_000, bytes: bytes)
    }

    @Test func deletesSegmentsOlderThanRetention() {
        let segments = [Self.segment(1, ageDays: 20), Self.segment(2, ageDays: 14.5), Self.segment(3, ageDays: 13), Self.segment(4, ageDays: 1)]
        let plan = RetentionPlanner.plan(finished: segments, policy: RecordingPolicy(retainDays: 14, minFreePercent: 0),
                                         storage: .init(totalBytes: 1000, availableBytes: 900), nowMs: Self.now)
        #expect(plan.map(\.segment.id) == [1, 2])
        #expect(plan.allSatisfy { $0.reason == .age })
    }

    @Test func keepsEverythingWhenRetentionIsZeroAndSpaceIsFine() {
        let segments = [Self.segment(1, ageDays: 900)]
        #expect(RetentionPlanner.plan(finished: segments, policy: RecordingPolicy(retainDays: 0, minFreePercent: 10),
                                      storage: .init(totalBytes: 1000, availableBytes: 500), nowMs: Self.now).isEmpty)
    }

    @Test func deletesOldestFirstUntilTheFreeSpaceFloorIsMet() {
        // 10 % of 10 000 = 1 000 must be free; 700 is: 300 to free, 3 segments of 100.
        let segments = (1...6).map { Self.segment(Int64($0), ageDays: Double(10 - $0)) }.shuffled()
        let plan = RetentionPlanner.plan(finished: segments, policy: RecordingPolicy(retainDays: 30, minFreePercent: 10),
                                         storage: .init(totalBytes: 10_000, availableBytes: 700), nowMs: Self.now)
        #expect(plan.map(\.segment.id) == [1, 2, 3])
        #expect(plan.allSatisfy { $0.reason == .freeSpace })
    }

    @Test func ageDeletionsCountTowardsTheFloor() {
        let segments = [Self.segment(1, ageDays: 40, bytes: 500), Self.segment(2, ageDays: 2), Self.segment(3, ageDays: 1)]
        let plan = RetentionPlanner.plan(finished: segments, policy: RecordingPolicy(retainDays: 14, minFreePercent: 10),
                                         storage: .init(totalBytes: 10_000, availableBytes: 600), nowMs: Self.now)
        #expect(plan.map(\.segment.id) == [1])
    }

    @Test func deletesEverythingFinishedWhenTheFloorCannotBeMet() {
        let segments = (1...3).map { Self.segment(Int64($0), ageDays: 1) }
        let plan = RetentionPlanner.plan(finished: segments, policy: RecordingPolicy(retainDays: 14, minFreePercent: 50),
                                         storage: .init(totalBytes: 10_000, availableBytes: 0), nowMs: Self.now)
        #expect(plan.count == 3)
    }
}

extension RetentionPlannerTests {
    /// Held at every rotation, the floor keeps room for the segments being
    /// written: 1 000 floor + 200 headroom on 10 000, 1 000 free → 2 to go.
    @Test func theHeadroomForTheSegmentsBeingWrittenIsFreedAboveTheFloor() {
        let segments = (1...6).map { Self.segment(Int64($0), ageDays: Double(10 - $0)) }
        let policy = RecordingPolicy(retainDays: 30, minFreePercent: 10)
        let storage = RetentionPlanner.Storage(totalBytes: 10_000, availableBytes: 1_000)
        #expect(RetentionPlanner.plan(finished: segments, policy: policy, storage: storage, nowMs: Self.now).isEmpty)
        #expect(RetentionPlanner.plan(finished: segments, policy: policy, storage: storage, nowMs: Self.now, headroom: 200).map(\.segment.id) == [1, 2])
    }
}

