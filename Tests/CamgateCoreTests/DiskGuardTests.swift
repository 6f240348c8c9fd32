import Testing
@testable import CamgateCore

@Suite struct DiskGuardTests {
    static let policy = RecordingPolicy(segmentSeconds: 2, retainDays: 7, minFreePercent: 30)
    static func storage(_ available: Int64, of total: Int64 = 1000) -> RetentionPlanner.Storage {
        .init(totalBytes: total, availableBytes: available)
    }

    @Test(arguments: [
        // available, headroom, needs room now
        (Int64(900), Int64(0), false),
        (300, 0, false),      // exactly at the floor
        (299, 0, true),
        (400, 100, false),
        (399, 100, true),     // the next segment would take it below the floor
        (0, 0, true),
    ])
    func aRotationMakesRoomWhenTheNextSegmentWouldCrossTheFloor(available: Int64, headroom: Int64, needs: Bool) {
        #expect(DiskGuard.needsRoom(storage: Self.storage(available), policy: Self.policy, headroom: headroom) == needs)
    }

    @Test func headroomIsTwoOfEachCamerasLastSegment() {
        #expect(DiskGuard.headroom(lastSegmentBytes: [100, 50], totalBytes: 10_000) == 300)
        #expect(DiskGuard.headroom(lastSegmentBytes: [], totalBytes: 10_000) == 0)
        #expect(DiskGuard.headroom(lastSegmentBytes: [-5], totalBytes: 10_000) == 0)
    }

    /// Four cameras with 1 GB segments on an 8 GB card: 8 GB of headroom
    /// would make retention delete everything; a quarter of the disk at most.
    @Test func headroomIsAtMostAQuarterOfTheDisk() {
        #expect(DiskGuard.headroom(lastSegmentBytes: [1_000, 1_000, 1_000, 1_000], totalBytes: 8_000) == 2_000)
    }

    @Test(arguments: [
        // log tail, available (nil: unreadable), disk full?
        (["frame=  10", "av_interleaved_write_frame(): No space left on device"], Int64?.some(900), true),
        (["Error writing trailer: Disk quota exceeded"], nil, true),
        (["Connection refused"], Int64?.some(100), true),   // below the floor: the log may have lost the message
        (["Connection refused"], Int64?.some(900), false),
        (["Connection refused"], nil, false),
        ([], Int64?.some(0), true),
    ])
    func aRecorderExitIsADiskFullWhenItsLogOrTheFreeSpaceSaysSo(tail: [String], available: Int64?, full: Bool) {
        // In MiB: less than 1 MiB free is full with or without a floor.
        let cause = DiskGuard.exitCause(logTail: tail, storage: available.map { Self.storage($0 << 20, of: 1000 << 20) }, policy: Self.policy)
        if case .diskFull = cause { #expect(full) } else { #expect(!full) }
    }

    @Test func aNearlyFullDiskIsFullEvenWithoutAFloor() {
        let noFloor = RecordingPolicy(minFreePercent: 0)
        let big: Int64 = 1 << 30
        let nearly = DiskGuard.exitCause(logTail: ["Connection refused"], storage: Self.storage(DiskGuard.nearlyFullBytes - 1, of: big), policy: noFloor)
        let roomy = DiskGuard.exitCause(logTail: ["Connection refused"], storage: Self.storage(DiskGuard.nearlyFullBytes, of: big), policy: noFloor)
        #expect(nearly != .failure)
        #expect(roomy == .failure)
    }

    static let mib: Int64 = 1 << 20

    @Test(arguments: [
        // available MiB, reserve held, restart now
        (Int64(2), true, true),
        (0, true, false),        // less than nearlyFullBytes
        (4, false, false),       // only the released reserve's room: kept for the database
        (5, false, true),
    ])
    func aFullDiskExitRestartsAtOnceOnlyWhenThereIsRoomBesideTheReserve(available: Int64, held: Bool, now: Bool) {
        let restart = DiskGuard.restartAfterFullDisk(storage: Self.storage(available * Self.mib, of: 100 * Self.mib), reserveHeld: held,
                                                     reserveBytes: 4 * Self.mib)
        #expect(restart == (now ? .now : .waitForRoom(.seconds(5))))
    }

    @Test func anUnreadableDiskWaitsForRoom() {
        #expect(DiskGuard.restartAfterFullDisk(storage: nil, reserveHeld: true, reserveBytes: 0) == .waitForRoom(.seconds(5)))
    }

    @Test(arguments: [
        // exists, available, action (reserve 50, floor 300, headroom 100)
        (true, Int64(49), DiskGuard.ReserveAction.release),
        (true, 50, .keep),
        (true, 900, .keep),
        (false, 449, .keep),   // floor + headroom + reserve = 450
        (false, 450, .create),
        (false, 10, .keep),
    ])
    func theReserveIsReleasedOnAFullDiskAndMadeAgainWhenSpaceIsBack(exists: Bool, available: Int64, action: DiskGuard.ReserveAction) {
        #expect(DiskGuard.reserveAction(exists: exists, storage: Self.storage(available), reserveBytes: 50, policy: Self.policy, headroom: 100) == action)
    }

    @Test func fullDiskErrorsAreRecognizedInSQLiteAndSystemWords() {
        #expect(DiskGuard.isFullDiskError("sqlite error 13: database or disk is full"))
        #expect(DiskGuard.isFullDiskError("write(/d/x): No space left on device (errno 28)"))
        #expect(!DiskGuard.isFullDiskError("sqlite error 5: database is locked"))
    }

    @Test func waitingForRoomNeverCountsTowardTheCircuitBreaker() {
        var tracker = RestartTracker(policy: RestartPolicy(failureThreshold: 2))
        let t0 = ContinuousClock.now
        for i in 0..<10 { tracker.waitForRoom(until: t0 + .seconds(i + 5)) }
        #expect(tracker.consecutiveFailures == 0)
        #expect(!tracker.isCircuitOpen(at: t0))
        #expect(tracker.hold == .backoff(until: t0 + .seconds(14), attempt: 0))
    }
}
