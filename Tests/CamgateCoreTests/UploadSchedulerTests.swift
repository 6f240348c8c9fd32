import Testing
@testable import CamgateCore

@Suite struct UploadSchedulerTests {
    static let cam = try! CameraID("c")
    static let now: Int64 = 1_795_989_600_000

    static func item(_ id: Int64, startAgoS: Int64, attempts: Int = 0, failedAgoS: Int64? = nil) -> UploadScheduler.Item {
        .init(id: id, camera: cam, file: "/r/c/\(id).ts", startMs: now - startAgoS * 1000, bytes: 1 << 20, queuedAtMs: now - startAgoS * 1000 + 5000,
              attempts: attempts, lastError: attempts > 0 ? "HTTP 503" : nil, lastFailureMs: failedAgoS.map { now - $0 * 1000 })
    }

    /// queue (id, start seconds ago), order → id uploaded next
    static let orderCases: [([(Int64, Int64)], UploadPolicy.Order, Int64)] = [
        ([(1, 30), (2, 60), (3, 10)], .oldest, 2),
        ([(1, 30), (2, 60), (3, 10)], .newest, 3),
        ([(5, 10), (4, 10)], .oldest, 4),           // same start: lower id first…
        ([(5, 10), (4, 10)], .newest, 5),           // …and last when newest first
    ]

    @Test(arguments: orderCases)
    func picksByTheOrderOfThePolicy(_ queue: [(Int64, Int64)], _ order: UploadPolicy.Order, _ expected: Int64) {
        let decision = UploadScheduler.next(queue: queue.map { Self.item($0.0, startAgoS: $0.1) }, order: order, nowMs: Self.now)
        guard case .upload(let item) = decision else { Issue.record("\(decision)"); return }
        #expect(item.id == expected)
    }

    /// After any number of refused connections the link is tried again
    /// within 72 s (1 min + 20 %), while a segment's own failures back off
    /// to 5 minutes: a long outage does not hold the backlog minutes after
    /// the endpoint is back.
    @Test(arguments: [0, 1, 5, 10, 50, 1000])
    func theLinkIsTriedAgainWithinAMinuteAfterAnyNumberOfFailures(_ failures: Int) {
        for random in [0.0, 0.5, 0.999] {
            #expect(UploadScheduler.linkBackoff.delay(attempt: failures, random: random) <= .seconds(72))
        }
        #expect(UploadScheduler.defaultBackoff.delay(attempt: 50, random: 0.5) == .seconds(300))
    }

    @Test func isIdleWithAnEmptyQueue() {
        #expect(UploadScheduler.next(queue: [], order: .oldest, nowMs: Self.now) == .idle)
    }

    @Test func aSegmentThatFailedWaitsItsBackoffWhileTheNextOneGoes() {
        // Oldest failed 1 s ago (first failure: 2 s ±20 %); the next one goes meanwhile.
        let queue = [Self.item(1, startAgoS: 60, attempts: 1, failedAgoS: 1), Self.item(2, startAgoS: 30)]
        guard case .upload(let item) = UploadScheduler.next(queue: queue, order: .oldest, nowMs: Self.now) else { Issue.record("no upload"); return }
        #expect(item.id == 2)
        // Once its backoff is over it is first again.
        guard case .upload(let later) = UploadScheduler.next(queue: queue, order: .oldest, nowMs: Self.now + 2_000) else { Issue.record("no upload"); return }
        #expect(later.id == 1)
    }

    @Test(arguments: [(1, 1.6, 2.4), (2, 3.2, 4.8), (5, 25.6, 38.4), (9, 240.0, 300.0), (40, 240.0, 300.0)])
    func theBackoffDoublesFromTwoSecondsToFiveMinutes(_ attempts: Int, _ low: Double, _ high: Double) {
        let item = Self.item(7, startAgoS: 100, attempts: attempts, failedAgoS: 0)
        let wait = Double(UploadScheduler.eligibleAtMs(item) - Self.now) / 1000
        #expect(wait >= low && wait <= high, "attempt \(attempts): \(wait) s")
    }

    @Test func whenEverythingIsBackingOffItSaysWhenToAskAgain() {
        let queue = [Self.item(1, startAgoS: 60, attempts: 3, failedAgoS: 1), Self.item(2, startAgoS: 30, attempts: 1, failedAgoS: 0)]
        let due = queue.map { UploadScheduler.eligibleAtMs($0) }.min()!
        #expect(UploadScheduler.next(queue: queue, order: .oldest, nowMs: Self.now) == .wait(untilMs: due))
    }

    @Test func theSameQueueAlwaysGivesTheSameAnswerAndFailuresDoNotRetryInStep() {
        let queue = (1...50).map { Self.item(Int64($0), startAgoS: 600 - Int64($0), attempts: 4, failedAgoS: 0) }
        #expect(queue.map { UploadScheduler.eligibleAtMs($0) } == queue.map { UploadScheduler.eligibleAtMs($0) })
        #expect(Set(queue.map { UploadScheduler.eligibleAtMs($0) }).count > 40)
    }

    @Test func aLinkHoldStopsEverythingUntilItEnds() {
        let queue = [Self.item(1, startAgoS: 60)]
        #expect(UploadScheduler.next(queue: queue, order: .oldest, nowMs: Self.now, linkHoldUntilMs: Self.now + 5_000) == .wait(untilMs: Self.now + 5_000))
        #expect(UploadScheduler.next(queue: queue, order: .oldest, nowMs: Self.now, linkHoldUntilMs: Self.now) == .upload(queue[0]))
    }

    /// 100 segments queued during a 10-minute outage (5 s segments), each
    /// failed once at some point: after the outage they all go, in order,
    /// each exactly once.
    @Test func aBacklogAfterAnOutageDrainsInOrderWithNothingTwice() {
        var queue = (0..<100).map { i in Self.item(Int64(i + 1), startAgoS: 600 - Int64(i) * 5, attempts: i % 3, failedAgoS: i % 3 == 0 ? nil : 10) }
        var uploaded: [Int64] = []
        var clock = Self.now
        drain: while true {
            switch UploadScheduler.next(queue: queue, order: .oldest, nowMs: clock) {
            case .upload(let item):
                uploaded.append(item.id)
                queue.removeAll { $0.id == item.id }
            case .wait(let until): clock = until
            case .idle: break drain
            }
        }
        #expect(uploaded.count == 100 && Set(uploaded).count == 100)
        // Every failure was long enough ago, so the order is the start order.
        #expect(uploaded == (1...100).map(Int64.init))
    }
}

@Suite struct UploadRetentionTests {
    static let day = RetentionPlanner.millisecondsPerDay
    static let now: Int64 = 100 * day
    static let cam = try! CameraID("c")

    static func segment(_ id: Int64, ageDays: Double, bytes: Int64 = 100) -> RetentionPlanner.Segment {
        let start = now - Int64(ageDays * Double(day))
        return .init(id: id, camera: cam, file: "/r/\(id).ts", startMs: start, endMs: start + 1_800_000, bytes: bytes)
    }

    @Test func aQueuedSegmentIsNeverDeletedForItsAge() {
        let segments = [Self.segment(1, ageDays: 40), Self.segment(2, ageDays: 30), Self.segment(3, ageDays: 1)]
        let plan = RetentionPlanner.plan(finished: segments, queued: [1], policy: RecordingPolicy(retainDays: 14, minFreePercent: 10),
                                         storage: .init(totalBytes: 10_000, availableBytes: 5_000), nowMs: Self.now)
        #expect(plan.deletions.map(\.segment.id) == [2])
        #expect(plan.lost.isEmpty)
    }

    @Test func everythingNotQueuedGoesBeforeAnyQueuedSegment() {
        // Floor 1 000; 700 free: 3 segments of 100 to go. Oldest (1, 2) are queued.
        let segments = (1...6).map { Self.segment(Int64($0), ageDays: Double(10 - $0)) }
        let plan = RetentionPlanner.plan(finished: segments, queued: [1, 2], policy: RecordingPolicy(retainDays: 30, minFreePercent: 10),
                                         storage: .init(totalBytes: 10_000, availableBytes: 700), nowMs: Self.now)
        #expect(plan.deletions.map(\.segment.id) == [3, 4, 5])
        #expect(plan.lost.isEmpty)
    }

    @Test func theFloorForcesQueuedSegmentsOutOldestFirstAndEachIsReported() {
        // Floor 1 000 + 200 headroom; 600 free; 2 unqueued of 100 → still 400 short: 4 queued go.
        let segments = (1...8).map { Self.segment(Int64($0), ageDays: Double(10 - $0)) }
        let plan = RetentionPlanner.plan(finished: segments, queued: [1, 2, 3, 4, 5, 6], policy: RecordingPolicy(retainDays: 30, minFreePercent: 10),
                                         storage: .init(totalBytes: 10_000, availableBytes: 600), nowMs: Self.now, headroom: 200)
        #expect(plan.deletions.map(\.segment.id) == [7, 8])
        #expect(plan.lost.map(\.segment.id) == [1, 2, 3, 4])
        #expect(plan.lost.allSatisfy { $0.camera == Self.cam && $0.file.hasSuffix(".ts") && $0.reason.contains("10 % free-space floor") })
    }

    @Test(arguments: [(Int64(1_000), 0), (999, 1), (650, 4), (0, 6)])
    func queuedToDeleteFreesJustEnoughToMeetTheFloor(_ available: Int64, _ count: Int) {
        let queued = (1...6).map { Self.segment(Int64($0), ageDays: Double(10 - $0)) }.reversed()
        let lost = RetentionPlanner.queuedToDelete(queued: Array(queued), policy: RecordingPolicy(minFreePercent: 10),
                                                    storage: .init(totalBytes: 10_000, availableBytes: available))
        #expect(lost.map(\.segment.id) == Array((1...6).prefix(count)).map(Int64.init))
    }
}
