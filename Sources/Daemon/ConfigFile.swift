import CamgateCore
import Hardware
import MediaMTX
import Platform

/// The agent's configuration file: JSON in the desired-state shape of the
/// cloud protocol (`revision`, `cameras`, `recording`). In standalone mode it
/// *is* the desired state.
public struct ConfigFile: Sendable {
    public static let defaultPath = "/etc/camgate/config.json"
    public static let sizeLimit = 1 << 20

    public var path: String
    public var desired: DesiredState
    /// The cloud link; nil in standalone mode.
    public var cloud: CloudConfiguration?
    /// `"hardware": {"encoder_priority": ["nvenc", "qsv", "vaapi", "v4l2m2m", "software"]}`.
    public var encoderPriority: [EncoderBackend] = EncoderBackend.defaultPriority
    /// Whether `hardware.encoder_priority` was written (it then wins over the board profile's).
    public var encoderPriorityConfigured = false
    /// `"hardware": {"board": "auto" | ID}`: the board profile (docs/board-profiles.md); nil: auto.
    public var board: String?
    /// `"mediamtx": {"config": PATH, "binary": PATH}`; nil: no viewing.
    public var mediamtx: MediaMTXSettings?
    /// The optional TCP listener of the local API.
    public var api: APISettings?
    /// `"s3": {...}`: where a standalone agent uploads (issue 12); nil: no uploads without a cloud.
    public var s3: S3Target?

    /// Reads and validates the file. Every problem is a `ConfigurationError`
    /// naming the field; nothing else is touched.
    public static func load(_ path: String) throws(ConfigurationError) -> ConfigFile {
        // A FIFO or a device is refused before any read: reading one could
        // block the agent's start forever.
        let read: (kind: FileSystem.FileKind, bytes: [UInt8])
        do {
            read = try FileSystem.readRegularFile(path, limit: sizeLimit + 1)
        } catch {
            throw ConfigurationError(field: "", reason: "cannot read \(path): \(error.message)")
        }
        guard read.kind == .regular else {
            throw ConfigurationError(field: "", reason: "\(path) is \(read.kind.rawValue), not a regular file: the configuration must be a file")
        }
        let bytes = read.bytes
        guard bytes.count <= sizeLimit else {
            throw ConfigurationError(field: "", reason: "\(path) is larger than \(sizeLimit) bytes")
        }
        return try parse(try JSONValue.parse(bytes), path: path)
    }

    /// Validates a configuration document (`load`'s second half; the
    /// provisioning CLI checks a merged document with it before writing).
    public static func parse(_ json: JSONValue, path: String) throws(ConfigurationError) -> ConfigFile {
        let desired = try DesiredState(json: json, strict: true, extraTopLevelFields: ["cloud", "hardware", "mediamtx", "api", "s3"])
        let cloud = try json["cloud"].flatMap { $0 == .null ? nil : $0 }.map { value throws(ConfigurationError) in try CloudConfiguration(json: value, path: "cloud") }
        var file = ConfigFile(path: path, desired: desired, cloud: cloud)
        if let value = json["mediamtx"], value != .null { file.mediamtx = try MediaMTXSettings(json: value, path: "mediamtx") }
        if let value = json["api"], value != .null { file.api = try APISettings(json: value, path: "api") }
        try file.readUploadTarget(json)
        if let hardware = try JSONObjectReader(json, path: "").object("hardware") {
            try hardware.rejectUnknown(allowed: ["encoder_priority", "board"])
            if let board = try hardware.string("board") {
                guard board == "auto" || BoardProfile.isValidID(board) else {
                    throw ConfigurationError(field: "hardware.board", reason: "expected \"auto\" or a board profile id (lowercase letters, digits, '-', '_')")
                }
                file.board = board == "auto" ? nil : board
            }
            if let value = hardware.value("encoder_priority") {
                guard case .array(let items) = value, !items.isEmpty else {
                    throw ConfigurationError(field: "hardware.encoder_priority", reason: "expected a non-empty array of backends")
                }
                var priority: [EncoderBackend] = []
                for (i, item) in items.enumerated() {
                    guard let name = item.stringValue, let backend = EncoderBackend(rawValue: name) else {
                        throw ConfigurationError(field: "hardware.encoder_priority[\(i)]", reason: "expected one of \(EncoderBackend.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    guard !priority.contains(backend) else {
                        throw ConfigurationError(field: "hardware.encoder_priority[\(i)]", reason: "\(name) is listed twice")
                    }
                    priority.append(backend)
                }
                file.encoderPriority = priority
                file.encoderPriorityConfigured = true
            }
        }
        return file
    }
}

extension ConfigFile {
    /// `s3` is the standalone agent's target: with a cloud, the cloud
    /// presigns and the device holds no S3 keys. Uploads need one of them.
    mutating func readUploadTarget(_ json: JSONValue) throws(ConfigurationError) {
        if let value = json["s3"], value != .null {
            guard cloud == nil else {
                throw ConfigurationError(field: "s3", reason: "not with \"cloud\": the cloud presigns the uploads and the device holds no S3 keys")
            }
            s3 = try S3Target(json: value, path: "s3")
        }
        if desired.upload.isEnabled, cloud == nil, s3 == nil {
            throw ConfigurationError(field: "upload.mode", reason: "\"\(desired.upload.mode.rawValue)\" needs somewhere to upload: configure \"s3\" (standalone) or \"cloud\"")
        }
        // A file that asks for motion clips from cameras that detect none
        // would upload nothing, silently. (A cloud document may switch a
        // camera's motion off and keep the mode: it is taken as it is.)
        if desired.upload.mode == .motion, !desired.cameras.values.contains(where: \.motion.enabled) {
            throw ConfigurationError(field: "upload.mode", reason: "\"motion\" uploads the footage around motion events, and no camera has \"motion\": {\"enabled\": true}")
        }
    }
}

/// The embedded default for a first run: one synthetic test camera,
/// recording 10-second segments, kept for a day. No camera, network or
/// cloud needed.
public enum DemoConfiguration {
    public static var desired: DesiredState {
        let camera = try! CameraID("demo")
        let pattern = try! TestPattern(pattern: "testsrc2", size: Resolution(width: 640, height: 360), fps: 15)
        return DesiredState(revision: 0,
                            cameras: [camera: CameraSpec(source: .test(pattern), record: true, view: false)],
                            recording: RecordingPolicy(segmentSeconds: 10, retainDays: 1, minFreePercent: 5))
    }
}

extension ConfigFile {
    /// Writes `state`'s cameras and revision into the config file, keeping
    /// its other sections, mode and owner (API edits survive a restart).
    public static func writeDesired(_ state: DesiredState, to path: String) throws {
        let bytes = try FileSystem.read(path, limit: sizeLimit + 1)
        guard bytes.count <= sizeLimit else { throw ConfigurationError(field: "", reason: "\(path) is larger than \(sizeLimit) bytes") }
        guard case .object(var document) = try JSONValue.parse(bytes), case .object(let desired) = state.json else {
            throw ConfigurationError(field: "", reason: "\(path) is not a JSON object")
        }
        document["cameras"] = desired["cameras"]
        document["revision"] = desired["revision"]
        try FileSystem.writeAtomically(path, Array((JSONValue.object(document).serialized() + "\n").utf8), mode: 0o640, keepingAttributes: true)
    }
}
