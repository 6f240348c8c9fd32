/// Which recordings leave the box, how fast, in which order, and whether the
/// local copy is kept once the object store has it (issue 12). Part of the
/// desired state: `"upload": {"mode", "max_kbps", "order", "delete_after_upload"}`.
public struct UploadPolicy: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable {
        /// Nothing is uploaded (the default).
        case none
        /// Every finished segment of a recording camera.
        case all
        /// Segments with motion events (issue 13); refused until those exist.
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
    /// Why `motion` is refused for now (the field is `upload.mode`).
    public static let motionRefusal = "motion events are not built yet (issue 13)"

    public var mode: Mode
    /// Cap over all uploads together, in kbit/s (1000 bit/s); 0 is no cap.
    public var maxKbps: Int
    public var order: Order
    /// Delete the local segment once its upload is confirmed (retention
    /// deletes it otherwise, as any finished segment).
    public var deleteAfterUpload: Bool

    public init(mode: Mode = .none, maxKbps: Int = 0, order: Order = .oldest, deleteAfterUpload: Bool = false) {
        self.mode = mode
        self.maxKbps = maxKbps
        self.order = order
        self.deleteAfterUpload = deleteAfterUpload
    }

    /// Whether anything is uploaded at all.
    public var isEnabled: Bool { mode != .none }
}

extension UploadPolicy {
    static let fields: Set<String> = ["mode", "max_kbps", "order", "delete_after_upload"]

    init(json: JSONValue?, path: String, strict: Bool) throws(ConfigurationError) {
        guard let json else { self.init(); return }
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: UploadPolicy.fields) }
        var mode = Mode.none
        if let text = try reader.string("mode") {
            guard let choice = Mode(rawValue: text) else {
                throw ConfigurationError(field: reader.fieldPath("mode"), reason: "unknown upload mode \(CameraID.quoted(text)); use none, all or on_demand")
            }
            mode = choice
        }
        // Refused in cloud documents too: accepting it would upload nothing
        // while the cloud believes motion clips are on their way.
        if mode == .motion {
            throw ConfigurationError(field: reader.fieldPath("mode"), reason: UploadPolicy.motionRefusal)
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
                  deleteAfterUpload: try reader.bool("delete_after_upload") ?? false)
    }

    var json: JSONValue {
        .object([
            "mode": .string(mode.rawValue),
            "max_kbps": .int(Int64(maxKbps)),
            "order": .string(order.rawValue),
            "delete_after_upload": .bool(deleteAfterUpload),
        ])
    }
}
