/// A bandwidth cap over all uploads together, as a value: each sender asks
/// `take(bytes, now:)` before it writes a chunk and waits the answer. Pure;
/// the caller passes the clock's reading in.
///
/// The bucket holds up to `burstBytes` (one second of the rate, at least
/// 64 KiB, so that a chunk of a usual size never has to be split). A take
/// larger than what is there runs into debt: the wait pays it back at the
/// rate, so the long-run rate is the cap whatever the chunk sizes.
public struct TokenBucket: Sendable, Equatable {
    public static let minimumBurst: Int64 = 64 << 10

    /// 0: no cap.
    public private(set) var bytesPerSecond: Int64
    public private(set) var burstBytes: Int64
    /// May be negative (debt).
    private var tokens: Double
    private var updated: ContinuousClock.Instant?

    /// - Parameter maxKbps: kbit/s (1000 bit/s, as `upload.max_kbps`); 0 is no cap.
    public init(maxKbps: Int) {
        bytesPerSecond = 0
        burstBytes = 0
        tokens = 0
        setRate(maxKbps: maxKbps)
        tokens = Double(burstBytes)
    }

    public var isUnlimited: Bool { bytesPerSecond == 0 }

    /// A new cap (a desired-state change): the tokens held are kept, up to the new burst.
    public mutating func setRate(maxKbps: Int) {
        bytesPerSecond = Int64(max(maxKbps, 0)) * 1000 / 8
        burstBytes = bytesPerSecond == 0 ? 0 : max(bytesPerSecond, TokenBucket.minimumBurst)
        tokens = min(tokens, Double(burstBytes))
    }

    /// How long to wait before sending `bytes` at `now` (zero: send now).
    public mutating func take(_ bytes: Int, now: ContinuousClock.Instant) -> Duration {
        guard bytesPerSecond > 0 else { return .zero }
        refill(now: now)
        tokens -= Double(max(bytes, 0))
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens * 1e9 / Double(bytesPerSecond)).rounded(.up)))
    }

    private mutating func refill(now: ContinuousClock.Instant) {
        defer { updated = now }
        guard let updated, now > updated else { return }
        let elapsed = now - updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(Double(burstBytes), tokens + seconds * Double(bytesPerSecond))
    }
}
