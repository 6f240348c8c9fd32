import CamgateCore

/// The one token bucket over every upload (`upload.max_kbps`): each chunk
/// of every request waits here before it is written.
actor BandwidthCap {
    private var bucket: TokenBucket
    private let clock = ContinuousClock()

    init(maxKbps: Int) {
        bucket = TokenBucket(maxKbps: maxKbps)
    }

    func setRate(maxKbps: Int) {
        guard Int64(max(maxKbps, 0)) * 1000 / 8 != bucket.bytesPerSecond else { return }
        bucket.setRate(maxKbps: maxKbps)
    }

    /// The slowest rate a send is expected to go: the cap, or 256 KiB/s
    /// without one (for idle limits: nothing is read while a part goes out).
    var floorBytesPerSecond: Int64 { bucket.isUnlimited ? 256 << 10 : max(bucket.bytesPerSecond, 1) }

    /// Waits until `bytes` may be sent.
    func pace(_ bytes: Int) async throws {
        let wait = bucket.take(bytes, now: clock.now)
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
