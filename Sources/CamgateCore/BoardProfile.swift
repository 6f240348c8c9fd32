/// A board profile (`board/profiles/<id>.json`, docs/board-profiles.md):
/// how to recognise a board, which encoders to prefer on it, recording
/// defaults sized for its storage, where its temperature, throttling and
/// storage wear are read. A profile orders encoders; it never makes one
/// usable that `camgate detect` did not prove, nor hides one it did.
public struct BoardProfile: Sendable, Equatable {
    public static let fileSizeLimit = 64 << 10

    public var id: String
    public var name: String
    public var architectures: [String]
    public var rules: [BoardRule]
    public var variants: [BoardVariant]
    /// Backend names in order; names this build has no backend for
    /// (`rkmpp`, `nvmpi`) are kept and reported as unavailable.
    public var encoderPriority: [String]
    public var encoderNotes: String
    public var recording: RecordingPolicy?
    public var storage: String?
    public var advisedCameras: Int?
    public var thermal: ThermalSpec?
    public var throttling: ThrottlingSpec?
    public var storageWear: [String]
    public var udevRules: [String]
    public var notes: [String]

    /// Parses one profile; `fileID` is the file's name without `.json`,
    /// which the `id` must equal.
    public init(json: JSONValue, fileID: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: fileID)
        try reader.rejectUnknown(allowed: ["id", "name", "architectures", "match", "variants", "encoder_priority", "encoder_notes",
                                           "recording", "storage", "advised_cameras", "thermal", "throttling", "storage_wear",
                                           "udev_rules", "notes"])
        id = try reader.requiredString("id")
        guard id == fileID, BoardProfile.isValidID(id) else {
            throw ConfigurationError(field: reader.fieldPath("id"), reason: "must equal the file name and be lowercase letters, digits, '-' and '_'")
        }
        name = try reader.requiredString("name")
        architectures = try reader.strings("architectures", required: true)
        rules = try BoardRule.list(reader, "match")
        variants = []
        encoderPriority = try reader.strings("encoder_priority", required: true)
        encoderNotes = try reader.string("encoder_notes") ?? ""
        recording = try reader.object("recording").map { r throws(ConfigurationError) in try RecordingPolicy(json: .object(r.fields), path: r.path, strict: true) }
        storage = try reader.string("storage")
        advisedCameras = try reader.int("advised_cameras", in: 1...256).map { Int($0) }
        thermal = try reader.object("thermal").map { r throws(ConfigurationError) in try ThermalSpec(r) }
        throttling = try reader.object("throttling").map { r throws(ConfigurationError) in try ThrottlingSpec(r) }
        storageWear = try reader.strings("storage_wear", required: false)
        guard storageWear.allSatisfy(BoardProfile.isBlockDeviceName) else {
            throw ConfigurationError(field: reader.fieldPath("storage_wear"), reason: "expected block device names such as mmcblk0")
        }
        udevRules = try reader.strings("udev_rules", required: false)
        guard udevRules.allSatisfy({ !$0.contains("\n") && !$0.contains("\r") }) else {
            throw ConfigurationError(field: reader.fieldPath("udev_rules"), reason: "each rule is one line")
        }
        notes = try reader.strings("notes", required: false)
        if case .array(let items)? = reader.value("variants") {
            for (i, item) in items.enumerated() {
                variants.append(try BoardVariant(json: item, path: "\(reader.fieldPath("variants"))[\(i)]"))
            }
        } else if reader.value("variants") != nil {
            throw ConfigurationError(field: reader.fieldPath("variants"), reason: "expected an array")
        }
    }

    /// Lowercase letters, digits, '-' and '_', 1–64 characters: it becomes a file name.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.first != "-"
            && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    static func isBlockDeviceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}

/// A sub-model that differs from its profile (Jetson Orin Nano has no encoder).
public struct BoardVariant: Sendable, Equatable {
    public var id: String
    public var name: String
    public var rules: [BoardRule]
    public var encoderPriority: [String]?
    public var advisedCameras: Int?
    public var recording: RecordingPolicy?
    public var notes: [String]

    init(json: JSONValue, path: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        try reader.rejectUnknown(allowed: ["id", "name", "match", "encoder_priority", "advised_cameras", "recording", "notes"])
        id = try reader.requiredString("id")
        guard BoardProfile.isValidID(id) else {
            throw ConfigurationError(field: reader.fieldPath("id"), reason: "must be lowercase letters, digits, '-' and '_'")
        }
        name = try reader.string("name") ?? id
        rules = try BoardRule.list(reader, "match")
        encoderPriority = reader.value("encoder_priority") == nil ? nil : try reader.strings("encoder_priority", required: true)
        advisedCameras = try reader.int("advised_cameras", in: 1...256).map { Int($0) }
        recording = try reader.object("recording").map { r throws(ConfigurationError) in try RecordingPolicy(json: .object(r.fields), path: r.path, strict: true) }
        notes = try reader.strings("notes", required: false)
    }
}

/// `"thermal": {"zone_type": ["cpu-thermal"], "warn_celsius": 80, "critical_celsius": 85}`:
/// the zone types to read, in order of preference (one string is accepted too).
public struct ThermalSpec: Sendable, Equatable {
    public var zoneTypes: [String]
    public var warnCelsius: Int?
    public var criticalCelsius: Int?

    init(_ reader: JSONObjectReader) throws(ConfigurationError) {
        try reader.rejectUnknown(allowed: ["zone_type", "warn_celsius", "critical_celsius"])
        if case .string(let one)? = reader.value("zone_type") {
            zoneTypes = [one]
        } else {
            zoneTypes = try reader.strings("zone_type", required: true)
        }
        warnCelsius = try reader.int("warn_celsius", in: 0...150).map { Int($0) }
        criticalCelsius = try reader.int("critical_celsius", in: 0...150).map { Int($0) }
    }

    public init(zoneTypes: [String], warnCelsius: Int? = nil, criticalCelsius: Int? = nil) {
        self.zoneTypes = zoneTypes
        self.warnCelsius = warnCelsius
        self.criticalCelsius = criticalCelsius
    }
}

/// Where a board says it is short of power or slowed down.
public struct ThrottlingSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// The firmware's `get_throttled` bit mask (hex): bit 0 under-voltage
        /// now, 1 ARM frequency capped, 2 throttled, 3 soft temperature
        /// limit; bits 16–19 the same "has occurred since boot".
        case raspberrypi
        /// A hwmon alarm file (`in0_lcrit_alarm`): 1 = under-voltage now.
        case hwmonAlarm = "hwmon_alarm"
        /// Intel's per-CPU `thermal_throttle/core_throttle_count`: the
        /// number of times the core was throttled since boot.
        case intelCoreThrottleCount = "intel_core_throttle_count"
    }

    public var kind: Kind
    /// Absolute path on the device (read under the system root); one path
    /// component may hold a `*` (`/sys/class/hwmon/hwmon*/in0_lcrit_alarm`).
    public var path: String
    /// `hwmon_alarm`: the hwmon's `name` file must hold this.
    public var hwmonName: String?
    /// Tried when this one's file does not exist (newer kernels moved it).
    public var fallback: Box?

    /// Indirection for the recursive `fallback`.
    public final class Box: Sendable, Equatable {
        public let spec: ThrottlingSpec
        init(_ spec: ThrottlingSpec) { self.spec = spec }
        public static func == (a: Box, b: Box) -> Bool { a.spec == b.spec }
    }

    init(_ reader: JSONObjectReader) throws(ConfigurationError) {
        try reader.rejectUnknown(allowed: ["kind", "path", "hwmon_name", "fallback"])
        let name = try reader.requiredString("kind")
        guard let kind = Kind(rawValue: name) else {
            throw ConfigurationError(field: reader.fieldPath("kind"), reason: "expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.kind = kind
        path = try reader.requiredString("path")
        guard path.hasPrefix("/sys/"), !path.split(separator: "/").contains(".."),
              path.split(separator: "/").filter({ $0.contains("*") }).count <= 1 else {
            throw ConfigurationError(field: reader.fieldPath("path"), reason: "must be an absolute path under /sys with at most one component holding '*'")
        }
        hwmonName = try reader.string("hwmon_name")
        if kind == .hwmonAlarm, hwmonName == nil {
            throw ConfigurationError(field: reader.fieldPath("hwmon_name"), reason: "is required for hwmon_alarm")
        }
        fallback = try reader.object("fallback").map { r throws(ConfigurationError) in Box(try ThrottlingSpec(r)) }
    }

    public init(kind: Kind, path: String, hwmonName: String? = nil, fallback: ThrottlingSpec? = nil) {
        self.kind = kind
        self.path = path
        self.hwmonName = hwmonName
        self.fallback = fallback.map(Box.init)
    }
}

extension JSONObjectReader {
    /// An array of strings; absent is `[]` unless required.
    func strings(_ key: String, required: Bool) throws(ConfigurationError) -> [String] {
        guard let value = value(key) else {
            if required { throw ConfigurationError(field: fieldPath(key), reason: "is required") }
            return []
        }
        guard case .array(let items) = value else {
            throw ConfigurationError(field: fieldPath(key), reason: "expected an array of strings, got \(value.typeName)")
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue, !s.isEmpty, s.utf8.count <= 1024 else {
                throw ConfigurationError(field: "\(fieldPath(key))[\(i)]", reason: "expected a non-empty string of at most 1024 bytes")
            }
            out.append(s)
        }
        if required && out.isEmpty { throw ConfigurationError(field: fieldPath(key), reason: "must not be empty") }
        return out
    }
}
