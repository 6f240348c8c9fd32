#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Motion events from the recorder's samples (issue 13; docs/motion-design.md,
/// "Event state machine"). Pure: the caller feeds samples in stamp order and
/// advances the clock; the tracker says when an event starts (is announced)
/// and ends. All times are epoch milliseconds (the samples' stamps).
///
/// ```
/// idle ── v > T ──▶ pending{start, last, peak}
/// pending ── v > T ─▶ last, peak; once last − start ≥ minLength: started → active
/// pending ── now − last > gap ─▶ idle (too short: never announced)
/// active ── v > T ─▶ last, peak
/// active ── now − last > gap ─▶ ended(start, last, peak) → idle
/// lighting (ignoreLighting and v > L): skipped, as if absent
/// ```
public struct MotionTracker: Hashable, Sendable {
    public struct Settings: Hashable, Sendable {
        /// Percent of the watched area that must change for a sample to count.
        public var thresholdPercent: Double
        public var minLengthMs: Int64
        public var gapMs: Int64
        /// A sample over `lightingPercent` is a global change (a light
        /// switched on), not motion, and is skipped.
        public var ignoreLighting: Bool
        public var lightingPercent: Double

        public init(thresholdPercent: Double = Settings.threshold(sensitivity: 25), minLengthMs: Int64 = 500, gapMs: Int64 = 1000,
                    ignoreLighting: Bool = true, lightingPercent: Double = 60) {
            self.thresholdPercent = thresholdPercent
            self.minLengthMs = minLengthMs
            self.gapMs = gapMs
            self.ignoreLighting = ignoreLighting
            self.lightingPercent = lightingPercent
        }

        /// Sensitivity 0…100 → threshold: 3 % × (1/30)^(s/100), so 0 → 3 %,
        /// 25 → 1.3 %, 50 → 0.55 %, 100 → 0.1 % (measured on the clip: a
        /// person peaks at 4–7 %, a swaying branch 0.6–0.8 %, noise 0).
        public static func threshold(sensitivity: Int) -> Double {
            let s = Double(min(100, max(0, sensitivity)))
            return 3 * pow(1.0 / 30, s / 100)
        }
    }

    public enum Phase: Hashable, Sendable {
        case idle
        case pending(start: Int64, last: Int64, peak: Double)
        case active(start: Int64, last: Int64, peak: Double)
    }

    public enum Transition: Hashable, Sendable {
        /// An event is announced: it lasted `minLength` and is real.
        case started(start: Int64, peak: Double)
        case ended(start: Int64, end: Int64, peak: Double)
    }

    public var settings: Settings
    public private(set) var phase: Phase = .idle

    public init(settings: Settings = Settings(), phase: Phase = .idle) {
        self.settings = settings
        self.phase = phase
    }

    /// One sample (percent of the watched area changed) at `stamp`. Samples
    /// at or under the threshold (the recorder writes few: quiet ones are
    /// dropped) only advance the clock.
    public mutating func observe(stamp: Int64, percent: Double) -> [Transition] {
        var out = advance(to: stamp)
        guard percent > settings.thresholdPercent, !(settings.ignoreLighting && percent > settings.lightingPercent) else { return out }
        switch phase {
        case .idle:
            phase = .pending(start: stamp, last: stamp, peak: percent)
            if settings.minLengthMs <= 0 { out += promote() }
        case .pending(let start, _, let peak):
            phase = .pending(start: start, last: stamp, peak: max(peak, percent))
            if stamp - start >= settings.minLengthMs { out += promote() }
        case .active(let start, _, let peak):
            phase = .active(start: start, last: stamp, peak: max(peak, percent))
        }
        return out
    }

    /// The clock moved to `now` (the agent's clock when live, the next
    /// sample's stamp in a backlog): a quiet gap ends what is open.
    public mutating func advance(to now: Int64) -> [Transition] {
        switch phase {
        case .idle:
            return []
        case .pending(_, let last, _):
            if now - last > settings.gapMs { phase = .idle }
            return []
        case .active(let start, let last, let peak):
            guard now - last > settings.gapMs else { return [] }
            phase = .idle
            return [.ended(start: start, end: last, peak: peak)]
        }
    }

    private mutating func promote() -> [Transition] {
        guard case .pending(let start, let last, let peak) = phase else { return [] }
        phase = .active(start: start, last: last, peak: peak)
        return [.started(start: start, peak: peak)]
    }
}

/// The recorder's motion file (ffmpeg's `metadata=mode=print`), read as it
/// grows: blocks of two lines,
///
///     frame:7    pts:1795993937407 pts_time:1.79599e+09
///     lavfi.signalstats.YAVG=11.6039
///
/// `pts` is epoch ms (`setpts=RTCTIME/1000` in the graph), YAVG 2.55 × the
/// percent of the small frame that changed. Only complete blocks are
/// consumed: with `direct=1` each line is its own write, so a reader can
/// see the first line before the second.
public enum MotionLog {
    public struct Sample: Hashable, Sendable {
        public var stamp: Int64
        /// Percent of the picture changed (masked pixels count as unchanged).
        public var percent: Double
    }

    /// The samples in `bytes` and how many bytes they took (the rest is an
    /// incomplete block, read again next time). A malformed block is skipped.
    public static func parse(_ bytes: some Collection<UInt8>) -> (samples: [Sample], consumed: Int) {
        let lines = Array(bytes).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var samples: [Sample] = [], consumed = 0, pendingStamp: Int64?, offset = 0
        for (index, line) in lines.enumerated() {
            guard index < lines.count - 1 else { break }  // the last piece has no newline yet
            offset += line.count + 1
            let text = String(decoding: line, as: UTF8.self)
            if text.hasPrefix("frame:") {
                pendingStamp = stamp(in: text)
            } else if let eq = text.firstIndex(of: "="), text.hasPrefix("lavfi.signalstats.YAVG") {
                if let s = pendingStamp, let v = Double(text[text.index(after: eq)...]), v.isFinite, v >= 0 {
                    samples.append(Sample(stamp: s, percent: v / 2.55))
                }
                pendingStamp = nil
                consumed = offset
            } else {
                pendingStamp = nil
                consumed = offset
            }
        }
        return (samples, consumed)
    }

    static func stamp(in line: String) -> Int64? {
        guard let range = line.firstRange(of: "pts:") else { return nil }
        let digits = line[range.upperBound...].prefix { $0 == "-" || $0.isNumber }
        return Int64(digits)
    }
}
