import CamgateCore
import Testing

/// The motion state machine and the recorder's motion file (docs/motion-design.md).
@Suite struct MotionTrackerTests {
    typealias T = MotionTracker.Transition

    /// Feeds (stamp, percent) samples, then advances to `until`; every transition in order.
    func run(_ samples: [(Int64, Double)], until: Int64, _ settings: MotionTracker.Settings = .init(thresholdPercent: 1)) -> [T] {
        var tracker = MotionTracker(settings: settings)
        var out: [T] = []
        for (t, v) in samples { out += tracker.observe(stamp: t, percent: v) }
        return out + tracker.advance(to: until)
    }

    @Test(arguments: [
        ("nothing over the threshold", [(0, 0.5), (500, 1.0)], 5_000, []),
        ("one hot sample is too short", [(0, 5.0)], 5_000, []),
        ("two samples 0.5 s apart start it; the gap ends it at the last hot sample",
         [(0, 2.0), (500, 4.0), (1_000, 3.0)], 5_000, [T.started(start: 0, peak: 4.0), .ended(start: 0, end: 1_000, peak: 4.0)]),
        ("a pause shorter than the gap keeps one event",
         [(0, 2.0), (500, 2.0), (1_400, 6.0), (1_900, 2.0)], 9_000, [.started(start: 0, peak: 2.0), .ended(start: 0, end: 1_900, peak: 6.0)]),
        ("a pause longer than the gap makes two events",
         [(0, 2.0), (500, 2.0), (2_000, 2.0), (2_500, 3.0)], 9_000,
         [.started(start: 0, peak: 2.0), .ended(start: 0, end: 500, peak: 2.0), .started(start: 2_000, peak: 3.0), .ended(start: 2_000, end: 2_500, peak: 3.0)]),
        ("a pending start forgotten after the gap does not join a later one",
         [(0, 2.0), (1_600, 2.0), (2_100, 2.0)], 9_000, [.started(start: 1_600, peak: 2.0), .ended(start: 1_600, end: 2_100, peak: 2.0)]),
        ("a light switched on (two samples over 60 %) is skipped", [(0, 100.0), (500, 82.0)], 9_000, []),
        ("a sample over 60 % inside an event neither ends nor extends it",
         [(0, 2.0), (500, 2.0), (900, 95.0)], 9_000, [.started(start: 0, peak: 2.0), .ended(start: 0, end: 500, peak: 2.0)]),
    ] as [(String, [(Int64, Double)], Int64, [T])])
    func transitions(_ name: String, _ samples: [(Int64, Double)], _ until: Int64, _ expected: [T]) {
        #expect(run(samples, until: until) == expected, "\(name)")
    }

    @Test func withoutTheLightingGuard_aLightSwitchedOnIsAnEvent() {
        let settings = MotionTracker.Settings(thresholdPercent: 1, ignoreLighting: false)
        #expect(run([(0, 100.0), (500, 82.0)], until: 9_000, settings) == [.started(start: 0, peak: 100), .ended(start: 0, end: 500, peak: 100)])
    }

    @Test func minLengthZeroAnnouncesOnTheFirstHotSample() {
        let settings = MotionTracker.Settings(thresholdPercent: 1, minLengthMs: 0)
        #expect(run([(0, 5.0)], until: 9_000, settings) == [.started(start: 0, peak: 5), .ended(start: 0, end: 0, peak: 5)])
    }

    @Test func theClockEndsAnEventWithoutAnotherSample() {
        var tracker = MotionTracker(settings: .init(thresholdPercent: 1))
        _ = tracker.observe(stamp: 0, percent: 2)
        #expect(tracker.observe(stamp: 500, percent: 2) == [.started(start: 0, peak: 2)])
        #expect(tracker.advance(to: 1_500) == [], "1 s after the last sample is not more than the gap")
        #expect(tracker.advance(to: 1_501) == [.ended(start: 0, end: 500, peak: 2)])
        #expect(tracker.phase == .idle)
    }

    @Test(arguments: [(0, 3.0), (25, 1.28), (50, 0.548), (100, 0.1), (-5, 3.0), (150, 0.1)])
    func sensitivityMapsToAThreshold(_ sensitivity: Int, _ percent: Double) {
        #expect(abs(MotionTracker.Settings.threshold(sensitivity: sensitivity) - percent) < 0.005)
    }

    @Test func theLogParserTakesCompleteBlocksOnly() {
        let text = "frame:0    pts:1795993937407 pts_time:1.79599e+09\nlavfi.signalstats.YAVG=2.55\n"
            + "frame:1    pts:1795993937907 pts_time:1.79599e+09\nlavfi.signalstats.YAVG=25.5\n"
            + "frame:2    pts:1795993938407 pts_time:1.79599e+09\nlavfi.signal"
        let (samples, consumed) = MotionLog.parse(Array(text.utf8))
        #expect(samples.map(\.stamp) == [1795993937407, 1795993937907])
        #expect(samples.map { ($0.percent * 100).rounded() / 100 } == [1.0, 10.0])
        #expect(consumed == text.utf8.count - "frame:2    pts:1795993938407 pts_time:1.79599e+09\nlavfi.signal".utf8.count)
    }

    @Test func theLogParserWaitsForTheValueLineOfABlock() {
        let text = "frame:0    pts:100 pts_time:0.1\n"
        #expect(MotionLog.parse(Array(text.utf8)).consumed == 0, "a frame line alone is read again with its value")
    }

    @Test(arguments: ["garbage\n", "lavfi.signalstats.YAVG=1\n", "frame:0 pts:x\nlavfi.signalstats.YAVG=nan\n", "frame:0 pts:5\nlavfi.signalstats.YAVG=-3\n"])
    func malformedBlocksAreSkippedAndConsumed(_ text: String) {
        let (samples, consumed) = MotionLog.parse(Array(text.utf8))
        #expect(samples.isEmpty && consumed == text.utf8.count)
    }
}
