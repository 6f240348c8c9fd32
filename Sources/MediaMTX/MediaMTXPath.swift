import CamgateCore

/// The type of a MediaMTX setting, as the reference configuration and the
/// Control API spec give it.
public enum MediaMTXValueKind: String, Sendable {
    case boolean, integer, number, string, duration, array
}

/// Who keeps a camera's source alive (ARCHITECTURE.md, corrected per
/// FACTS.md): the strongest current demand wins.
public enum Lifecycle: String, Sendable, Comparable {
    /// Always on: the agent's recorder feeds MediaMTX through its publisher;
    /// never `runOnDemand` (MediaMTX's recorder is not a reader).
    case recording
    /// On demand: started by the first viewer, kept 300 s after the last.
    case viewing
    /// On demand, short: 5 s to start, closed 60 s after the last reader.
    case snapshot

    public static func of(_ spec: CameraSpec) -> Lifecycle {
        spec.record ? .recording : spec.view ? .viewing : .snapshot
    }

    public static func < (a: Lifecycle, b: Lifecycle) -> Bool {
        let order: [Lifecycle] = [.recording, .viewing, .snapshot]
        return order.firstIndex(of: a)! < order.firstIndex(of: b)!
    }
}

/// One MediaMTX path the agent owns.
public struct MediaMTXPath: Hashable, Sendable {
    public struct Setting: Hashable, Sendable {
        public var key: String
        public var value: YAMLValue
    }

    public var name: String
    public var camera: CameraID
    public var lifecycle: Lifecycle
    /// nil for the camera's main path, "720p" / "480p" for its variants.
    public var variant: String?
    public var settings: [Setting]
    /// For each command setting, the argv it must split into.
    public var commands: [String: [String]]

    public subscript(key: String) -> YAMLValue? { settings.first { $0.key == key }?.value }

    /// The settings as Control API JSON (a PathConf).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [:]
        for setting in settings { fields[setting.key] = MediaMTXPath.json(setting.value) }
        return .object(fields)
    }

    static func json(_ value: YAMLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .sequence(let items): .array(items.map(json))
        case .mapping(let pairs): .object(Dictionary(pairs.map { ($0.key, json($0.value)) }, uniquingKeysWith: { a, _ in a }))
        }
    }
}

/// The resolution ladder of on-demand variants (seeds/004). A variant is
/// offered only below the camera's own height; it keeps the camera's aspect
/// ratio (the width follows the height, rounded to even), so `size` gives
/// the 16:9 width for reference only.
public struct Variant: Hashable, Sendable {
    public var name: String
    public var size: Resolution
    public var bitrateKbps: Int

    public static let ladder = [
        Variant(name: "1080p", size: Resolution(width: 1920, height: 1080), bitrateKbps: 5000),
        Variant(name: "720p", size: Resolution(width: 1280, height: 720), bitrateKbps: 3000),
        Variant(name: "480p", size: Resolution(width: 854, height: 480), bitrateKbps: 1500),
    ]

    public static func named(_ name: String) -> Variant? { ladder.first { $0.name == name } }
}
