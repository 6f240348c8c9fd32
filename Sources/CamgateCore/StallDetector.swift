/// Whether a recorder still writes. Its segments are flushed packet by
/// packet, so a working recorder grows the segment it writes (or opens the
/// next) many times a segment; one that does neither for two segment
/// lengths is stalled: frozen (SIGSTOP), or hanging on a camera or network
/// that stopped sending without closing. Before its first byte a recorder
/// gets `startupLimit` (an RTSP connect takes time, and ffmpeg's own network
/// timeout ends a dead one first). Pure: the caller says what it saw and when.
public struct StallDetector: Sendable, Equatable {
    /// What the recorder has written: the segment being written and its size.
    public struct Progress: Sendable, Equatable {
        public var file: String?
        public var bytes: Int64

        public init(file: String?, bytes: Int64) {
            self.file = file
            self.bytes = bytes
        }
    }

    public enum Verdict: Sendable, Equatable {
        case writing
        /// Nothing new for `quiet`.
        case stalled(quiet: Duration)
    }

    public let limit: Duration
    public let startupLimit: Duration
    private var last = Progress(file: nil, bytes: 0)
    private var lastChange: ContinuousClock.Instant
    private var wroteAnything = false

    /// - Parameters:
    ///   - startedAt: when the recorder started (or was adopted).
    ///   - quietLimit: a shorter limit than two segments, for a recorder
    ///     that reads a second input (a substream): ffmpeg goes on while one
    ///     of its inputs is gone, so a lost main stream ends nothing.
    public init(segmentSeconds: Int, startedAt: ContinuousClock.Instant, startupLimit: Duration = .seconds(20), quietLimit: Duration? = nil) {
        let segments = Duration.seconds(max(2 * segmentSeconds, 4))
        self.init(limit: quietLimit.map { min(segments, $0) } ?? segments, startupLimit: startupLimit, startedAt: startedAt)
    }

    /// Any output that must keep changing (`Progress.bytes` may then be a
    /// modification time): stalled after `limit` without a change, or
    /// `startupLimit` before the first.
    public init(limit: Duration, startupLimit: Duration, startedAt: ContinuousClock.Instant) {
        self.limit = limit
        self.startupLimit = max(startupLimit, limit)
        lastChange = startedAt
    }

    /// How long nothing has changed, as of the last observation's clock.
    public func quiet(at now: ContinuousClock.Instant) -> Duration { now - lastChange }

    public mutating func observe(_ progress: Progress, at now: ContinuousClock.Instant) -> Verdict {
        if progress != last {
            last = progress
            lastChange = now
            if progress.bytes > 0 { wroteAnything = true }
            return .writing
        }
        let quiet = now - lastChange
        return quiet >= (wroteAnything ? limit : startupLimit) ? .stalled(quiet: quiet) : .writing
    }
}
