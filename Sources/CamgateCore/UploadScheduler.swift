/// Which queued segment to upload next, and when. Pure: the caller passes
/// the queue as stored (SQLite) and the wall-clock time; times are
/// milliseconds since the Unix epoch because the queue outlives the process.
///
/// A segment that failed waits its own backoff (the next attempt's delay,
/// jittered by a number drawn from its id and attempt, so the same queue
/// always gives the same answer and failed segments do not retry in step);
/// others go meanwhile. A hold on the whole link (the endpoint is down) is
/// the caller's `linkHoldUntilMs`.
public enum UploadScheduler {
    public struct Item: Hashable, Sendable {
        public var id: Int64
        public var camera: CameraID
        public var file: String
        /// The segment's start, ms since the epoch: the order `oldest`/`newest` follows.
        public var startMs: Int64
        public var bytes: Int64
        public var queuedAtMs: Int64
        /// Failed attempts so far.
        public var attempts: Int
        public var lastError: String?
        /// When the last attempt failed; nil before any failure.
        public var lastFailureMs: Int64?

        public init(id: Int64, camera: CameraID, file: String, startMs: Int64, bytes: Int64, queuedAtMs: Int64,
                    attempts: Int = 0, lastError: String? = nil, lastFailureMs: Int64? = nil) {
            self.id = id
            self.camera = camera
            self.file = file
            self.startMs = startMs
            self.bytes = bytes
            self.queuedAtMs = queuedAtMs
            self.attempts = attempts
            self.lastError = lastError
            self.lastFailureMs = lastFailureMs
        }
    }

    public enum Decision: Hashable, Sendable {
        case upload(Item)
        /// Everything queued is backing off: ask again then.
        case wait(untilMs: Int64)
        case idle
    }

    /// 2 s doubling to 5 minutes, ±20 %: a flaky link is retried soon, a
    /// dead endpoint is not hammered by a long backlog.
    public static let defaultBackoff = Backoff(initial: .seconds(2), maximum: .seconds(300), jitter: .proportional(0.2))

    /// The hold on the whole link while the endpoint is down: 2 s doubling
    /// to 1 minute, ±20 %. An endpoint that comes back after a long outage
    /// is found within a minute (a 10-minute outage held the uploads 2 more
    /// minutes at 5), and one refused connection a minute costs nothing.
    public static let linkBackoff = Backoff(initial: .seconds(2), maximum: .seconds(60), jitter: .proportional(0.2))

    public static func next(queue: [Item], order: UploadPolicy.Order, nowMs: Int64,
                            backoff: Backoff = defaultBackoff, linkHoldUntilMs: Int64? = nil) -> Decision {
        if queue.isEmpty { return .idle }
        if let hold = linkHoldUntilMs, hold > nowMs { return .wait(untilMs: hold) }
        var earliest = Int64.max
        for item in sorted(queue, order: order) {
            let due = eligibleAtMs(item, backoff: backoff)
            if due <= nowMs { return .upload(item) }
            earliest = min(earliest, due)
        }
        return .wait(untilMs: earliest)
    }

    /// The queue in upload order; ties on the start broken by id.
    public static func sorted(_ queue: [Item], order: UploadPolicy.Order) -> [Item] {
        switch order {
        case .oldest: queue.sorted { ($0.startMs, $0.id) < ($1.startMs, $1.id) }
        case .newest: queue.sorted { ($0.startMs, $0.id) > ($1.startMs, $1.id) }
        }
    }

    /// When an item may be tried: at once before any failure, else its
    /// last failure plus the backoff of its attempt.
    public static func eligibleAtMs(_ item: Item, backoff: Backoff = defaultBackoff) -> Int64 {
        guard item.attempts > 0, let failed = item.lastFailureMs else { return Int64.min }
        let delay = backoff.delay(attempt: item.attempts - 1, random: jitter(id: item.id, attempt: item.attempts))
        let (seconds, attoseconds) = delay.components
        return failed + seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// A number in [0, 1) fixed by the item and its attempt.
    static func jitter(id: Int64, attempt: Int) -> Double {
        var generator = SplitMix64(seed: UInt64(bitPattern: id) &* 0x9E37_79B9 ^ UInt64(attempt))
        return Double(generator.next() >> 11) / Double(1 << 53)
    }
}
