import Testing
import CamgateCore

/// Reading a motion file in pieces from a stored cursor (docs/motion-design.md, "Tailing").
@Suite struct MotionFeedTests {
    static let settings = MotionSettings(enabled: true, sensitivity: 50)  // T ≈ 0.55 %

    /// ffmpeg's blocks for (stamp, percent) samples.
    static func file(_ samples: [(Int64, Double)]) -> [UInt8] {
        Array(samples.enumerated().map { i, s in
            "frame:\(i)    pts:\(s.0) pts_time:1.79599e+09\nlavfi.signalstats.YAVG=\(s.1 * 2.55)\n"
        }.joined().utf8)
    }

    /// Peaks to 3 decimals (YAVG / 2.55 is not exact in binary).
    static func rounded(_ transitions: [MotionTracker.Transition]) -> [MotionTracker.Transition] {
        func r(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
        return transitions.map {
            switch $0 {
            case .started(let s, let p): .started(start: s, peak: r(p))
            case .ended(let s, let e, let p): .ended(start: s, end: e, peak: r(p))
            }
        }
    }

    /// Feeds `bytes` cut at every position in `cuts`, as a tail would see a growing file.
    static func feedInPieces(_ bytes: [UInt8], cuts: [Int], nowMs: Int64) -> (MotionCursor, [MotionTracker.Transition]) {
        var cursor = MotionCursor(), out: [MotionTracker.Transition] = []
        for end in cuts + [bytes.count] {
            let batch = MotionFeed.feed(bytes[Int(cursor.offset)..<end], cursor: cursor, settings: settings, nowMs: nil)
            cursor = batch.cursor
            out += batch.transitions
        }
        let last = MotionFeed.feed([], cursor: cursor, settings: settings, nowMs: nowMs)
        return (last.cursor, rounded(out + last.transitions))
    }

    static let event: [(Int64, Double)] = [(1_000, 2), (1_500, 3), (2_000, 1), (5_000, 4), (5_500, 4)]

    @Test func piecesCutAnywhereGiveTheSameEventsAsOneRead() {
        let bytes = Self.file(Self.event)
        let (whole, expected) = Self.feedInPieces(bytes, cuts: [], nowMs: 9_000)
        #expect(expected == [.started(start: 1_000, peak: 3), .ended(start: 1_000, end: 2_000, peak: 3),
                             .started(start: 5_000, peak: 4), .ended(start: 5_000, end: 5_500, peak: 4)])
        #expect(whole.offset == Int64(bytes.count) && whole.phase == .idle)
        let seed = UInt64.random(in: 0...UInt64.max)
        print("MotionFeedTests.piecesCutAnywhereGiveTheSameEventsAsOneRead seed: \(seed)")
        var random = SplitMix64(seed: seed)
        for _ in 0..<50 {
            let cuts = (0..<4).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
            let (cursor, transitions) = Self.feedInPieces(bytes, cuts: cuts, nowMs: 9_000)
            #expect(transitions == expected, "seed \(seed), cut at \(cuts)")
            #expect(cursor == whole)
        }
    }

    @Test func aFileReadAgainFromAnOlderOffsetCountsNothingTwice() {
        let bytes = Self.file(Self.event)
        let first = MotionFeed.feed(bytes, cursor: MotionCursor(), settings: Self.settings, nowMs: 3_100)
        #expect(Self.rounded(first.transitions) == [.started(start: 1_000, peak: 3), .ended(start: 1_000, end: 2_000, peak: 3), .started(start: 5_000, peak: 4)])
        var rewound = first.cursor
        rewound.offset = 0
        let again = MotionFeed.feed(bytes, cursor: rewound, settings: Self.settings, nowMs: 5_600)
        #expect(again.transitions.isEmpty, "\(again.transitions)")
        #expect(again.cursor == first.cursor)
    }

    @Test func masksMakeThePercentOneOfTheWatchedArea() throws {
        var masked = Self.settings
        masked.masks = [try MaskRect(x: 0, y: 0, w: 0.5, h: 1)]
        masked.sensitivity = 0  // 3 %
        let bytes = Self.file([(10_000, 2), (10_500, 2)])  // 2 % of the picture = 4 % of the watched half
        #expect(Self.rounded(MotionFeed.feed(bytes, cursor: MotionCursor(), settings: masked, nowMs: nil).transitions) == [.started(start: 10_000, peak: 4)])
        masked.masks = []
        #expect(MotionFeed.feed(bytes, cursor: MotionCursor(), settings: masked, nowMs: nil).transitions.isEmpty)
    }

    @Test func withoutAClockAnOpenEventStaysOpenAcrossARecorderChange() {
        let old = MotionFeed.feed(Self.file([(10_000, 2), (10_500, 2)]), cursor: MotionCursor(), settings: Self.settings, nowMs: nil)
        guard case .active(10_000, 10_500, let peak) = old.cursor.phase else { Issue.record("\(old.cursor.phase)"); return }
        #expect(abs(peak - 2) < 0.001)
        var next = old.cursor
        next.offset = 0  // the new recorder's file
        let new = MotionFeed.feed(Self.file([(11_200, 5)]), cursor: next, settings: Self.settings, nowMs: 15_000)
        #expect(Self.rounded(new.transitions) == [.ended(start: 10_000, end: 11_200, peak: 5)])
    }
}
