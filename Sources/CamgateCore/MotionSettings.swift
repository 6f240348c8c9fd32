/// A camera's motion detection (issue 13; docs/motion-design.md), part of
/// its desired state: `"motion": {"enabled", "sensitivity", "min_length_ms",
/// "gap_ms", "ignore_lighting", "masks": [{"x", "y", "w", "h"}], "substream"}`.
/// Off by default: a camera that does not ask for it costs nothing extra.
///
/// `enabled`, `masks` and `substream` are in the recorder's ffmpeg command
/// (changing them restarts the recorder); the rest is applied by the agent
/// as it reads the samples, and changes without a restart.
public struct MotionSettings: Hashable, Sendable {
    public static let sensitivityRange: ClosedRange<Int64> = 0...100
    public static let minLengthRange: ClosedRange<Int64> = 0...60_000
    public static let gapRange: ClosedRange<Int64> = 500...600_000
    public static let maximumMasks = 16
    /// Masks may not hide more than this share of the picture: the score is
    /// a percent of what is left, and a sliver left would make noise an event.
    public static let minimumWatchedShare = 0.05

    public var enabled: Bool
    /// 0 (only large changes) … 100 (the smallest); see `MotionTracker.Settings.threshold`.
    public var sensitivity: Int
    /// Motion shorter than this is never announced.
    public var minLengthMs: Int64
    /// Quiet time that ends an event (and joins two bursts closer than it).
    public var gapMs: Int64
    /// A change over most of the picture at once (a light switched on) is not motion.
    public var ignoreLighting: Bool
    /// Regions never watched, in relative coordinates.
    public var masks: [MaskRect]
    /// The camera's low-resolution stream (RTSP), which a copying recorder
    /// decodes for motion and latest.jpg instead of the main stream
    /// (docs/motion-design.md, "Substream"). Only for RTSP cameras.
    public var substream: String?

    public init(enabled: Bool = false, sensitivity: Int = 25, minLengthMs: Int64 = 500, gapMs: Int64 = 1000,
                ignoreLighting: Bool = true, masks: [MaskRect] = [], substream: String? = nil) {
        self.enabled = enabled
        self.sensitivity = sensitivity
        self.minLengthMs = minLengthMs
        self.gapMs = gapMs
        self.ignoreLighting = ignoreLighting
        self.masks = masks
        self.substream = substream
    }

    /// The tracker's settings: the agent-side part.
    public var tracker: MotionTracker.Settings {
        MotionTracker.Settings(thresholdPercent: MotionTracker.Settings.threshold(sensitivity: sensitivity),
                               minLengthMs: minLengthMs, gapMs: gapMs, ignoreLighting: ignoreLighting)
    }

    /// The share of the picture the masks leave watched (0…1]: the recorder
    /// counts masked pixels as unchanged, so its percent is divided by this
    /// to mean "percent of the watched area".
    public var watchedShare: Double { 1 - MaskRect.unionArea(masks) }
}

/// A rectangle in relative coordinates (0…1 of the picture's width and
/// height, from its top-left corner), inside the picture.
public struct MaskRect: Hashable, Sendable {
    public var x: Double
    public var y: Double
    public var w: Double
    public var h: Double

    /// Refuses a rectangle that is empty or not inside the picture; the
    /// error's field is the coordinate at fault (relative to the mask).
    public init(x: Double, y: Double, w: Double, h: Double) throws(ConfigurationError) {
        for (name, value) in [("x", x), ("y", y), ("w", w), ("h", h)] where !(value.isFinite && value >= 0 && value <= 1) {
            throw ConfigurationError(field: name, reason: "must be between 0 and 1 (a fraction of the picture), got \(value)")
        }
        guard w > 0 else { throw ConfigurationError(field: "w", reason: "must be more than 0") }
        guard h > 0 else { throw ConfigurationError(field: "h", reason: "must be more than 0") }
        guard x + w <= 1 + 1e-9 else { throw ConfigurationError(field: "w", reason: "x + w is \(x + w): the mask must end inside the picture (≤ 1)") }
        guard y + h <= 1 + 1e-9 else { throw ConfigurationError(field: "h", reason: "y + h is \(y + h): the mask must end inside the picture (≤ 1)") }
        self.x = x
        self.y = y
        self.w = w
        self.h = h
    }

    /// The area covered by the union of `rects` (overlaps counted once),
    /// exactly, by cutting the picture at every rectangle edge.
    public static func unionArea(_ rects: [MaskRect]) -> Double {
        guard !rects.isEmpty else { return 0 }
        let xs = Set(rects.flatMap { [$0.x, min(1, $0.x + $0.w)] }).sorted()
        let ys = Set(rects.flatMap { [$0.y, min(1, $0.y + $0.h)] }).sorted()
        var area = 0.0
        for (x0, x1) in zip(xs, xs.dropFirst()) {
            for (y0, y1) in zip(ys, ys.dropFirst()) {
                let cx = (x0 + x1) / 2, cy = (y0 + y1) / 2
                if rects.contains(where: { cx > $0.x && cx < $0.x + $0.w && cy > $0.y && cy < $0.y + $0.h }) {
                    area += (x1 - x0) * (y1 - y0)
                }
            }
        }
        return min(1, area)
    }
}
