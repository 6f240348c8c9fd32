/// Exponential backoff with jitter, as a value: `delay(attempt:random:)` is
/// pure; the caller supplies the random number (0 ≤ r < 1).
public struct Backoff: Hashable, Sendable {
    public enum Jitter: Hashable, Sendable {
        /// Uniform in [initial, 2·cap] (capped at `maximum`): spreads many
        /// clients reconnecting at once (AWS "full jitter", with a floor),
        /// from the first attempt on: attempt 0 is in [1 s, 2 s], attempt 1
        /// in [1 s, 4 s], … up to [1 s, 60 s].
        case full
        /// Uniform in [cap·(1−f), cap·(1+f)], clamped to [initial, maximum].
        case proportional(Double)
    }

    public var initial: Duration
    public var maximum: Duration
    public var jitter: Jitter

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60), jitter: Jitter = .proportional(0.2)) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The un-jittered delay for a 0-based attempt: initial·2^attempt, capped.
    public func cap(attempt: Int) -> Duration {
        let exponent = min(max(attempt, 0), 30)
        let scaled = initial * (1 << exponent)
        return min(scaled, maximum)
    }

    public func delay(attempt: Int, random: Double) -> Duration {
        let cap = cap(attempt: attempt)
        let r = min(max(random, 0), 1)
        let jittered: Duration
        switch jitter {
        case .full:
            let upper = min(self.cap(attempt: attempt == Int.max ? attempt : attempt + 1), maximum)
            jittered = initial + (upper - initial) * r
        case .proportional(let f):
            jittered = cap * (1 - f + 2 * f * r)
        }
        return min(max(jittered, initial), maximum)
    }
}
