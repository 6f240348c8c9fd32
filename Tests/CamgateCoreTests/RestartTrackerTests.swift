import Testing
@testable import CamgateCore

@Suite struct BackoffTests {
    @Test func doublesFromOneSecondAndCapsAtSixty() {
        let backoff = Backoff(jitter: .proportional(0))
        let caps = (0..<9).map { backoff.delay(attempt: $0, random: 0.5) }
        #expect(caps == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test(arguments: [0.0, 0.25, 0.5, 0.999])
    func proportionalJitterStaysWithinBounds(_ r: Double) {
        let backoff = Backoff(jitter: .proportional(0.2))
        for attempt in 0..<10 {
            let d = backoff.delay(attempt: attempt, random: r)
            #expect(d >= .seconds(1) && d <= .seconds(60))
            let cap = backoff.cap(attempt: attempt)
            #expect(d >= min(max(cap * 0.8, .seconds(1)), .seconds(60)) && d <= min(cap * 1.2, .seconds(60)))
        }
    }

    @Test func fullJitterSpreadsBetweenInitialAndCap() {
        let backoff = Backoff(jitter: .full)
        #expect(backoff.delay(attempt: 10, random: 0) == .seconds(1))
        #expect(backoff.delay(attempt: 10, random: 0.5) == .milliseconds(30_500))
        #expect(backoff.delay(attempt: 0, random: 0.5) == .milliseconds(1500), "attempt 0 spreads over [1 s, 2 s]")
        #expect(backoff.delay(attempt: 3, random: 0.999) < .seconds(16) && backoff.delay(attempt: 3, random: 0.999) > .seconds(15))
    }

    @Test func hugeAttemptNumbersDoNotOverflow() {
        #expect(Backoff().cap(attempt: Int.max) == .seconds(60))
        #expect(Backoff().cap(attempt: -3) == .seconds(1))
    }
}

@Suite struct RestartTrackerTests {
    let t0 = ContinuousClock.now
    let policy = RestartPolicy(backoff: Backoff(jitter: .proportional(0)))

    @Test func backsOffExponentiallyWhenTheProcessExitsAtOnce() {
        var tracker = RestartTracker(policy: RestartPolicy(backoff: Backoff(jitter: .proportional(0)), failureThreshold: 100))
        var now = t0
        var delays: [Duration] = []
        for _ in 0..<4 {
            let hold = tracker.recordExit(startedAt: now, exitedAt: now + .milliseconds(100), random: 0.5)
            delays.append(hold.until - (now + .milliseconds(100)))
            now = hold.until
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
    }

    /// A stall after a good run restarts at once; stalls in a row back off
    /// and open the circuit like exits.
    @Test func aFirstStallRestartsAtOnceAndRepeatedStallsBackOffThenOpenTheCircuit() {
        var tracker = RestartTracker(policy: policy)
        #expect(tracker.recordStall(startedAt: t0, at: t0 + .seconds(60), random: 0.5) == nil, "after a good run: at once")
        #expect(tracker.hold == nil)
        var now = t0 + .seconds(60)
        var holds: [RestartTracker.Hold?] = []
        for _ in 0..<4 {
            let hold = tracker.recordStall(startedAt: now, at: now + .seconds(5), random: 0.5)
            holds.append(hold)
            now = (hold?.until ?? now) + .seconds(5)
        }
        #expect(holds.prefix(3).allSatisfy { if case .backoff? = $0 { true } else { false } }, "\(holds)")
        #expect(holds.last.flatMap { $0 }.map { if case .circuitOpen = $0 { true } else { false } } == true, "five stalls in two minutes: \(holds)")
    }

    @Test func opensTheCircuitAfterFiveFailuresInTwoMinutes() {
        var tracker = RestartTracker(policy: policy)
        var now = t0
        for i in 1...4 {
            let hold = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(1), random: 0.5)
            guard case .backoff(_, let attempt) = hold else { Issue.record("failure \(i) opened the circuit"); return }
            #expect(attempt == i)
            now = hold.until
        }
        let fifth = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(1), random: 0.5)
        #expect(fifth == .circuitOpen(until: now + .seconds(1) + .seconds(300)))
        #expect(tracker.isCircuitOpen(at: now + .seconds(299)))
        #expect(!tracker.isCircuitOpen(at: now + .seconds(302)))
    }

    @Test func failuresSpreadBeyondTheWindowDoNotOpenTheCircuit() {
        var tracker = RestartTracker(policy: policy)
        var now = t0
        for _ in 0..<8 {
            let hold = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(10), random: 0.5)
            if case .circuitOpen = hold { Issue.record("opened with failures 50 s apart"); return }
            now = now + .seconds(50)
        }
    }

    @Test func aFailedTrialAfterTheCooldownReopensTheCircuit() {
        var tracker = RestartTracker(policy: policy)
        var now = t0
        for _ in 0..<5 { now = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(1), random: 0.5).until }
        // The trial start after 5 minutes fails at once: open again.
        let trial = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(1), random: 0.5)
        #expect(trial == .circuitOpen(until: now + .seconds(301)))
    }

    @Test func aHealthyRunStartsBackoffOver() {
        var tracker = RestartTracker(policy: policy)
        var now = t0
        for _ in 0..<3 { now = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(1), random: 0.5).until }
        #expect(tracker.consecutiveFailures == 3)
        let hold = tracker.recordExit(startedAt: now, exitedAt: now + .seconds(600), random: 0.5)
        #expect(hold == .backoff(until: now + .seconds(601), attempt: 1))
        #expect(tracker.recentFailures.count == 1)
    }

    @Test func resetForgetsEverything() {
        var tracker = RestartTracker(policy: policy)
        for _ in 0..<5 { tracker.recordExit(startedAt: t0, exitedAt: t0, random: 0) }
        tracker.reset()
        #expect(tracker.hold == nil && tracker.consecutiveFailures == 0 && !tracker.halfOpen)
    }
}

/// The stall decision, over a fake clock: what the recorder wrote, when.
@Suite struct StallDetectorTests {
    typealias P = StallDetector.Progress
    static let t0 = ContinuousClock.now

    /// Seconds after the start, the segment being written and its size,
    /// and whether the recorder is stalled then.
    struct Step: Sendable {
        var at: Double
        var file: String?
        var bytes: Int64
        var stalled: Bool
        init(_ at: Double, _ file: String?, _ bytes: Int64, _ stalled: Bool) {
            self.at = at
            self.file = file
            self.bytes = bytes
            self.stalled = stalled
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var steps: [Step]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "grows every second", steps: [Step(1, "a", 10, false), Step(2, "a", 20, false), Step(3, "a", 30, false)]),
        Case(name: "rotates to a new segment", steps: [Step(1, "a", 10, false), Step(3.5, "b", 10, false), Step(7, "b", 10, false)]),
        Case(name: "frozen after writing: stalled at two segment lengths", steps: [Step(1, "a", 10, false), Step(4.9, "a", 10, false), Step(5, "a", 10, true)]),
        Case(name: "nothing yet: the startup limit applies", steps: [Step(5, nil, 0, false), Step(19.9, nil, 0, false), Step(20, nil, 0, true)]),
        Case(name: "an empty file is not a first byte", steps: [Step(1, "a", 0, false), Step(15, "a", 0, false), Step(21, "a", 0, true)]),
        Case(name: "progress after a quiet spell resets the clock",
             steps: [Step(1, "a", 10, false), Step(4.5, "a", 11, false), Step(8.4, "a", 11, false), Step(8.5, "a", 11, true)]),
    ]

    @Test(arguments: cases)
    func decidesFromProgressAndTime(_ c: Case) {
        var detector = StallDetector(segmentSeconds: 2, startedAt: Self.t0)
        for step in c.steps {
            let verdict = detector.observe(P(file: step.file, bytes: step.bytes), at: Self.t0 + .milliseconds(Int64(step.at * 1000)))
            #expect((verdict != .writing) == step.stalled, "at \(step.at) s: \(verdict)")
        }
    }

    @Test func theLimitIsTwoSegmentLengthsAndAtLeastFourSeconds() {
        #expect(StallDetector(segmentSeconds: 10, startedAt: Self.t0).limit == .seconds(20))
        #expect(StallDetector(segmentSeconds: 1, startedAt: Self.t0).limit == .seconds(4))
        #expect(StallDetector(segmentSeconds: 60, startedAt: Self.t0).startupLimit == .seconds(120), "never shorter than the limit")
    }

    @Test func aRecorderWithASubstreamStallsAtTheQuietLimitThoughItsSegmentsAreLong() {
        #expect(StallDetector(segmentSeconds: 1800, startedAt: Self.t0, quietLimit: .seconds(30)).limit == .seconds(30))
        #expect(StallDetector(segmentSeconds: 10, startedAt: Self.t0, quietLimit: .seconds(30)).limit == .seconds(20), "two short segments stay the limit")
        var detector = StallDetector(segmentSeconds: 1800, startedAt: Self.t0, quietLimit: .seconds(30))
        #expect(detector.observe(P(file: "a", bytes: 10), at: Self.t0 + .seconds(1)) == .writing)
        #expect(detector.observe(P(file: "a", bytes: 10), at: Self.t0 + .seconds(30)) == .writing)
        #expect(detector.observe(P(file: "a", bytes: 10), at: Self.t0 + .seconds(31)) == .stalled(quiet: .seconds(30)))
    }

    /// A picture's modification time as the progress: stalled once it stops changing.
    @Test func anyOutputThatMustKeepChangingIsWatchedTheSameWay() {
        var none = StallDetector(limit: .seconds(20), startupLimit: .seconds(20), startedAt: Self.t0)
        #expect(none.observe(P(file: nil, bytes: 0), at: Self.t0 + .seconds(19.9)) == .writing, "no picture yet: within the startup limit")
        #expect(none.observe(P(file: nil, bytes: 0), at: Self.t0 + .seconds(20)) == .stalled(quiet: .seconds(20)), "never a picture")
        var watch = StallDetector(limit: .seconds(20), startupLimit: .seconds(20), startedAt: Self.t0)
        #expect(watch.observe(P(file: "latest.jpg", bytes: 1_000), at: Self.t0 + .seconds(19.5)) == .writing)
        #expect(watch.observe(P(file: "latest.jpg", bytes: 2_000), at: Self.t0 + .seconds(20.5)) == .writing)
        #expect(watch.observe(P(file: "latest.jpg", bytes: 2_000), at: Self.t0 + .seconds(40)) == .writing)
        #expect(watch.observe(P(file: "latest.jpg", bytes: 2_000), at: Self.t0 + .seconds(40.5)) == .stalled(quiet: .seconds(20)))
    }
}
