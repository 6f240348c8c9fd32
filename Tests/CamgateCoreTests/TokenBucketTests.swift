import Testing
@testable import CamgateCore

@Suite struct TokenBucketTests {
    static let t0 = ContinuousClock.now

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// A sender that waits what the bucket says, then sends at once, for
    /// `span` of simulated time after the first burst; the rate it achieved.
    static func measuredRate(maxKbps: Int, chunk: () -> Int, span: Duration) -> Double {
        var bucket = TokenBucket(maxKbps: maxKbps)
        #expect(bucket.take(Int(bucket.burstBytes), now: t0) == .zero)
        var now = t0
        var sent: Int64 = 0
        while true {
            let size = chunk()
            now += bucket.take(size, now: now)
            guard now - t0 <= span else { break }
            sent += Int64(size)
        }
        return Double(sent) * 8 / 1000 / seconds(span)
    }

    /// Long enough that one chunk is at most 0.5 % of what goes.
    static func span(maxKbps: Int, chunk: Int) -> Duration {
        .seconds(max(200 * Double(chunk) / (Double(maxKbps) * 125), 2))
    }

    @Test(arguments: [64, 512, 2_000, 20_000, 1_000_000], [1_024, 16_384, 65_536, 1 << 20])
    func theLongRunRateIsWithinOnePercentOfTheCap(_ maxKbps: Int, _ chunk: Int) {
        let rate = Self.measuredRate(maxKbps: maxKbps, chunk: { chunk }, span: Self.span(maxKbps: maxKbps, chunk: chunk))
        #expect(abs(rate - Double(maxKbps)) <= Double(maxKbps) * 0.01, "\(maxKbps) kbit/s in \(chunk)-byte chunks: \(rate)")
    }

    @Test(arguments: [128, 3_000, 50_000])
    func randomChunkSizesStillAverageTheCap(_ maxKbps: Int) {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("TokenBucketTests.randomChunkSizesStillAverageTheCap(\(maxKbps)) seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        let rate = Self.measuredRate(maxKbps: maxKbps, chunk: { Int.random(in: 1...262_144, using: &rng) },
                                     span: Self.span(maxKbps: maxKbps, chunk: 262_144))
        #expect(abs(rate - Double(maxKbps)) <= Double(maxKbps) * 0.01, "seed \(seed): \(rate)")
    }

    @Test func aZeroCapNeverWaits() {
        var bucket = TokenBucket(maxKbps: 0)
        #expect(bucket.isUnlimited)
        for i in 0..<1000 { #expect(bucket.take(1 << 30, now: Self.t0 + .milliseconds(i)) == .zero) }
    }

    @Test(arguments: [(8, 65_536), (1_000, 125_000), (100_000, 12_500_000)] as [(Int, Int64)])
    func theBurstIsOneSecondOfTheRateOrSixtyFourKiB(_ maxKbps: Int, _ burst: Int64) {
        #expect(TokenBucket(maxKbps: maxKbps).burstBytes == burst)
    }

    @Test func aFullBucketLetsTheBurstGoAtOnceAndThenPaces() {
        var bucket = TokenBucket(maxKbps: 1_000)        // 125 000 B/s, burst 125 000
        #expect(bucket.take(125_000, now: Self.t0) == .zero)
        #expect(bucket.take(12_500, now: Self.t0) == .milliseconds(100))
        // Idle time refills, but never past the burst.
        var rested = TokenBucket(maxKbps: 1_000)
        _ = rested.take(125_000, now: Self.t0)
        #expect(rested.take(125_000, now: Self.t0 + .seconds(3600)) == .zero)
        #expect(rested.take(1, now: Self.t0 + .seconds(3600)) > .zero)
    }

    @Test func aLowerCapKeepsNoMoreThanItsOwnBurst() {
        var bucket = TokenBucket(maxKbps: 100_000)
        bucket.setRate(maxKbps: 8)                        // 1000 B/s, burst 64 KiB
        #expect(bucket.take(65_536, now: Self.t0) == .zero)
        #expect(bucket.take(1_000, now: Self.t0) == .seconds(1))
    }
}
