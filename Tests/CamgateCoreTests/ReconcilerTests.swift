import Testing
@testable import CamgateCore

@Suite struct ReconcilerTests {
    static let t0 = ContinuousClock.now
    static let a = WorkloadKey(camera: try! CameraID("a"), role: .recorder)
    static let b = WorkloadKey(camera: try! CameraID("b"), role: .recorder)
    static let bRestream = WorkloadKey(camera: try! CameraID("b"), role: .restream)

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var desired: Reconciler.Desired
        var running: Reconciler.Running
        var holds: Reconciler.Holds = [:]
        var expected: [Reconciler.Action]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "nothing desired, nothing running", desired: [:], running: [:], expected: []),
        Case(name: "desired and not running → start", desired: [a: "f1"], running: [:], expected: [.start(a)]),
        Case(name: "running as desired → keep", desired: [a: "f1"], running: [a: "f1"], expected: [.keep(a)]),
        Case(name: "running, not desired → stop", desired: [:], running: [a: "f1"], expected: [.stop(a)]),
        Case(name: "changed command line → restart", desired: [a: "f2"], running: [a: "f1"], expected: [.restart(a)]),
        Case(name: "held by backoff → wait", desired: [a: "f1"], running: [:], holds: [a: t0 + .seconds(4)],
             expected: [.wait(a, until: t0 + .seconds(4))]),
        Case(name: "hold elapsed → start", desired: [a: "f1"], running: [:], holds: [a: t0 - .seconds(1)], expected: [.start(a)]),
        Case(name: "hold on a running workload is irrelevant", desired: [a: "f1"], running: [a: "f1"], holds: [a: t0 + .seconds(9)],
             expected: [.keep(a)]),
        Case(name: "stops come first, then restarts, starts, waits, keeps",
             desired: [a: "f1", b: "f9", bRestream: "r1"], running: [a: "f1", b: "f8", WorkloadKey(camera: try! CameraID("z"), role: .recorder): "x"],
             holds: [bRestream: t0 + .seconds(2)],
             expected: [.stop(WorkloadKey(camera: try! CameraID("z"), role: .recorder)), .restart(b), .wait(bRestream, until: t0 + .seconds(2)), .keep(a)]),
        Case(name: "several starts in key order", desired: [b: "f", a: "f"], running: [:], expected: [.start(a), .start(b)]),
    ]

    @Test(arguments: cases)
    func plans(_ c: Case) {
        let plan = Reconciler.plan(desired: c.desired, running: c.running, holds: c.holds, now: Self.t0)
        #expect(plan.actions == c.expected)
    }

    @Test func isIdempotentOnceApplied() {
        let desired: Reconciler.Desired = [Self.a: "f1", Self.b: "f2"]
        let first = Reconciler.plan(desired: desired, running: [:], holds: [:], now: Self.t0)
        #expect(first.started == 2)
        // After applying the plan, everything runs as desired: nothing to do.
        let second = Reconciler.plan(desired: desired, running: desired, holds: [:], now: Self.t0)
        #expect(second.actions == [.keep(Self.a), .keep(Self.b)])
        #expect(second.summary == "2 kept, 0 started, 0 stopped")
    }

    @Test func summarizesCounts() {
        let plan = Reconciler.plan(desired: [Self.a: "f2", Self.b: "x"], running: [Self.a: "f1", Self.bRestream: "r"], holds: [:], now: Self.t0)
        #expect(plan.summary == "0 kept, 1 started, 1 stopped, 1 restarted")
    }

    /// The log read "cannot start recorder" then "1 started": a start that
    /// failed is said apart.
    @Test func aStartThatFailedIsNotCountedAsStarted() {
        let plan = Reconciler.Plan(actions: [.start(.init(camera: try! CameraID("a"), role: .recorder)), .keep(.init(camera: try! CameraID("b"), role: .recorder))])
        #expect(plan.summary(failedStarts: 0) == "1 kept, 1 started, 0 stopped")
        #expect(plan.summary(failedStarts: 1) == "1 kept, 0 started, 0 stopped, 1 could not start")
    }
}
