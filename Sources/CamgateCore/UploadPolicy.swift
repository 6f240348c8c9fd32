/// Which recordings leave the box, how fast, in which order, and whether the
/// local copy is kept once the object store has it (issue 12). Part of the
/// desired state: `"upload": {"mode", "max_kbps", "order", "delete_after_upload",
/// "pre_roll_s", "post_roll_s"}`.
public struct UploadPolicy: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// Nothing is uploaded (the default).
        case none
        /// Every finished segment of a recording camera.
        case all
        /// Segments that overlap a motion event widened by the pre- and
        /// post-roll (issue 13).
        case motion
        /// Only what an `upload_recording` command names.
        case onDemand = "on_demand"
    }

    public enum Order: String, Hashable, Sendable, CaseIterable {
        /// Oldest queued segment first: the backlog drains in time order.
        case oldest
        /// Newest first: after an outage the latest footage arrives first.
        case newest
    }

    /// 10 Gbit/s: more than any link a gateway has; a larger number is a typo.
    public static let maxKbpsRange: ClosedRange<Int64> = 0...10_000_000
    /// Footage kept around a motion event in `motion` mode, in seconds.
    public static let rollRange: ClosedRange<Int64> = 0...300
    /// Frigate's default pre- and post-capture: enough to see what walked in.
    public static let defaultRollSeconds = 5

    public var mode: Mode
    /// Cap over all uploads together, in kbit/s (1000 bit/s); 0 is no cap.
    public var maxKbps: Int
    public var order: Order
    /// Delete the local segment once its upload is confirmed (retention
    /// deletes it otherwise, as any finished segment).
    public var deleteAfterUpload: Bool
    /// `motion` mode: seconds of footage before an event's start and after
    /// its end that go with it (the segments they fall in).
    public var preRollSeconds: Int
    public var postRollSeconds: Int

    public init(mode: Mode = .none, maxKbps: Int = 0, order: Order = .oldest, deleteAfterUpload: Bool = false,
                preRollSeconds: Int = UploadPolicy.defaultRollSeconds, postRollSeconds: Int = UploadPolicy.defaultRollSeconds) {
        self.mode = mode
        self.maxKbps = maxKbps
        self.order = order
        self.deleteAfterUpload = deleteAfterUpload
        self.preRollSeconds = preRollSeconds
        self.postRollSeconds = postRollSeconds
    }

    /// Whether anything is uploaded at all.
    public var isEnabled: Bool { mode != .none }

    /// The window around motion events whose segments are queued, in `motion` mode only.
    public var motionWindow: MotionUploadWindow? {
        mode == .motion ? MotionUploadWindow(preMs: Int64(preRollSeconds) * 1000, postMs: Int64(postRollSeconds) * 1000) : nil
    }
}

/// `upload.mode: motion`: a finished segment is queued when it overlaps
/// [start − pre, end + post) of one of its camera's motion events (an open
/// event's end is its last sample so far).
public struct MotionUploadWindow: Hashable, Sendable {
    public var preMs: Int64
    public var postMs: Int64

    public init(preMs: Int64, postMs: Int64) {
        self.preMs = preMs
        self.postMs = postMs
    }

    /// Whether the segment [segmentStart, segmentEnd) goes with the event [eventStart, eventEnd].
    public func covers(segmentStartMs: Int64, segmentEndMs: Int64, eventStartMs: Int64, eventEndMs: Int64) -> Bool {
        eventStartMs - preMs < segmentEndMs && eventEndMs + postMs > segmentStartMs
    }
}

extension UploadPolicy {
    static let fields: Set<String> = ["mode", "max_kbps", "order", "delete_after_upload", "pre_roll_s", "post_roll_s"]

    init(json: JSONValue?, path: String, strict: Bool) throws(ConfigurationError) {
        guard let json else { self.init(); return }
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: UploadPolicy.fields) }
        var mode = Mode.none
        if let text = try reader.string("mode") {
            guard let choice = Mode(rawValue: text) else {
                throw ConfigurationError(field: reader.fieldPath("mode"), reason: "unknown upload mode \(CameraID.quoted(text)); use none, all, motion or on_demand")
            }
            mode = choice
        }
        var order = Order.oldest
        if let text = try reader.string("order") {
            guard let choice = Order(rawValue: text) else {
                throw ConfigurationError(field: reader.fieldPath("order"), reason: "unknown upload order \(CameraID.quoted(text)); use oldest or newest")
            }
            order = choice
        }
        self.init(mode: mode,
                  maxKbps: try reader.int("max_kbps", in: UploadPolicy.maxKbpsRange).map(Int.init) ?? 0,
                  order: order,
                  deleteAfterUpload: try reader.bool("delete_after_upload") ?? false,
                  preRollSeconds: try reader.int("pre_roll_s", in: UploadPolicy.rollRange).map(Int.init) ?? UploadPolicy.defaultRollSeconds,
                  postRollSeconds: try reader.int("post_roll_s", in: UploadPolicy.rollRange).map(Int.init) ?? UploadPolicy.defaultRollSeconds)
    }

    var json: JSONValue {
        .object([
            "mode": .string(mode.rawValue),
            "max_kbps": .int(Int64(maxKbps)),
            "order": .string(order.rawValue),
            "delete_after_upload": .bool(deleteAfterUpload),
            "pre_roll_s": .int(Int64(preRollSeconds)),
            "post_roll_s": .int(Int64(postRollSeconds)),
        ])
    }
}
