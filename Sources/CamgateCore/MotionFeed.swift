/// How far a camera's motion file was read, and the tracker's state at
/// that point: stored in SQLite with the events of the same batch, so that
/// an agent restart resumes exactly there.
public struct MotionCursor: Hashable, Sendable {
    /// Bytes of the motion file consumed (complete blocks only).
    public var offset: Int64
    /// The newest sample consumed. Samples at or before it are skipped: a
    /// file read again from an older offset never counts a sample twice.
    public var lastStampMs: Int64
    public var phase: MotionTracker.Phase

    public init(offset: Int64 = 0, lastStampMs: Int64 = 0, phase: MotionTracker.Phase = .idle) {
        self.offset = offset
        self.lastStampMs = lastStampMs
        self.phase = phase
    }
}

/// One read of a camera's motion file, turned into event transitions.
/// Pure: the caller reads the bytes from `cursor.offset` and stores the
/// result (cursor and transitions) in one transaction.
public enum MotionFeed {
    public struct Batch: Hashable, Sendable {
        public var cursor: MotionCursor
        public var transitions: [MotionTracker.Transition]

        public init(cursor: MotionCursor, transitions: [MotionTracker.Transition]) {
            self.cursor = cursor
            self.transitions = transitions
        }

        /// The earliest start among the events this batch touched (started,
        /// ended, or still open): where its segments can begin.
        public var earliestEventStartMs: Int64? {
            var starts = transitions.map { transition -> Int64 in
                switch transition {
                case .started(let start, _), .ended(let start, _, _): start
                }
            }
            if case .active(let start, _, _) = cursor.phase { starts.append(start) }
            return starts.min()
        }
    }

    /// - Parameters:
    ///   - bytes: the file from `cursor.offset` on (an incomplete last block
    ///     is left for the next read).
    ///   - nowMs: the clock, which ends an event after a quiet gap (the
    ///     recorder writes nothing while nothing moves); nil while draining
    ///     a file whose recorder is replaced (the next one goes on).
    public static func feed(_ bytes: some Collection<UInt8>, cursor: MotionCursor, settings: MotionSettings, nowMs: Int64?) -> Batch {
        let (samples, consumed) = MotionLog.parse(bytes)
        var tracker = MotionTracker(settings: settings.tracker, phase: cursor.phase)
        var transitions: [MotionTracker.Transition] = []
        var last = cursor.lastStampMs
        // The recorder counts masked pixels as unchanged: the percent of the
        // watched area is the percent of the picture over the watched share.
        let share = max(MotionSettings.minimumWatchedShare, settings.watchedShare)
        for sample in samples where sample.stamp > last {
            transitions += tracker.observe(stamp: sample.stamp, percent: sample.percent / share)
            last = sample.stamp
        }
        if let nowMs { transitions += tracker.advance(to: nowMs) }
        return Batch(cursor: MotionCursor(offset: cursor.offset + Int64(consumed), lastStampMs: last, phase: tracker.phase),
                     transitions: transitions)
    }
}
