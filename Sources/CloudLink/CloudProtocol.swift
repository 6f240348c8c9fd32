import CamgateCore

/// A decoded cloud event (docs/protocol.md).
public enum CloudMessage: Sendable, Equatable {
    case desired(DesiredState)
    case command(Command)
    case urlUpdate(URLUpdate)
}

/// A one-shot action from the cloud.
public struct Command: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case snapshot
        case restartCamera = "restart_camera"
        case rescanHardware = "rescan_hardware"
        case otaUpdate = "ota_update"
        case uploadRecording = "upload_recording"
    }

    public static let maximumIDLength = 128

    public var id: String
    /// The type as sent; `kind` is nil for a type this agent does not know.
    public var type: String
    public var camera: CameraID?
    public var args: JSONValue
    public var expiresAtMs: Int64?

    public var kind: Kind? { Kind(rawValue: type) }

    public init(id: String, type: String, camera: CameraID? = nil, args: JSONValue = .object([:]), expiresAtMs: Int64? = nil) {
        self.id = id
        self.type = type
        self.camera = camera
        self.args = args
        self.expiresAtMs = expiresAtMs
    }

    public func isExpired(nowMs: Int64) -> Bool {
        expiresAtMs.map { $0 <= nowMs } ?? false
    }
}

/// `url_update` (seeds/001): a camera's RTSP source and RTMP restream.
public struct URLUpdate: Sendable, Equatable {
    public var camera: CameraID
    public var rtspURL: String?
    /// nil: unchanged; "" removes the restream.
    public var rtmpURL: String?
    public var timestampMs: Int64?
    public var restartRequired: Bool
}

/// Decoding of event data. Unknown event types are not errors: they are
/// stored and ignored (`nil`).
public enum CloudProtocol {
    public static func decode(type: String, data: String) throws(ConfigurationError) -> CloudMessage? {
        switch type {
        case "desired":
            return .desired(try DesiredState(json: try JSONValue.parse(data), strict: false))
        case "command":
            return .command(try decodeCommand(try JSONValue.parse(data)))
        case "url_update":
            return .urlUpdate(try decodeURLUpdate(try JSONValue.parse(data)))
        default:
            return nil
        }
    }

    /// The id of a command whose other fields are invalid, when it has a
    /// usable one: such a command is acknowledged `rejected` with the reason
    /// (the cloud learns why), and still runs at most once.
    public static func commandID(in data: String) -> (id: String, type: String)? {
        guard let json = try? JSONValue.parse(data), let id = json["id"]?.stringValue, isValidCommandID(id) else { return nil }
        let type = json["type"]?.stringValue.map { String($0.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(64)) } ?? ""
        return (id, type.isEmpty ? "(invalid)" : type)
    }

    static func isValidCommandID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= Command.maximumIDLength && id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F })
    }

    static func decodeCommand(_ json: JSONValue) throws(ConfigurationError) -> Command {
        let reader = try JSONObjectReader(json, path: "")
        let id = try reader.requiredString("id")
        guard isValidCommandID(id) else {
            throw ConfigurationError(field: "id", reason: "must be 1–\(Command.maximumIDLength) printable characters")
        }
        let type = try reader.requiredString("type")
        var camera: CameraID?
        if let text = try reader.string("camera") {
            do { camera = try CameraID(text) } catch { throw error.nested(under: "camera") }
        }
        var expires: Int64?
        if let text = try reader.string("expires_at") {
            guard let ms = Timestamp.parseRFC3339(text) else {
                throw ConfigurationError(field: "expires_at", reason: "expected an RFC 3339 time, got \(CameraID.quoted(text))")
            }
            expires = ms
        }
        let args = reader.value("args") ?? .object([:])
        guard case .object = args else { throw ConfigurationError(field: "args", reason: "expected an object, got \(args.typeName)") }
        return Command(id: id, type: type, camera: camera, args: args, expiresAtMs: expires)
    }

    static func decodeURLUpdate(_ json: JSONValue) throws(ConfigurationError) -> URLUpdate {
        let reader = try JSONObjectReader(json, path: "")
        let camera: CameraID
        do { camera = try CameraID(try reader.requiredString("camera")) } catch { throw error.nested(under: "camera") }
        let rtsp = try reader.string("rtsp_url")
        if let rtsp {
            do { try SourceValidation.checkURL(rtsp, schemes: ["rtsp", "rtsps"]) } catch { throw error.nested(under: "rtsp_url") }
        }
        let rtmp = try reader.string("rtmp_url")
        if let rtmp, !rtmp.isEmpty {
            do { try SourceValidation.checkURL(rtmp, schemes: ["rtmp", "rtmps"]) } catch { throw error.nested(under: "rtmp_url") }
        }
        guard rtsp != nil || rtmp != nil else {
            throw ConfigurationError(field: "", reason: "url_update needs rtsp_url, rtmp_url or both")
        }
        var timestamp: Int64?
        if let text = try reader.string("timestamp") {
            guard let ms = Timestamp.parseRFC3339(text) else {
                throw ConfigurationError(field: "timestamp", reason: "expected an RFC 3339 time, got \(CameraID.quoted(text))")
            }
            timestamp = ms
        }
        return URLUpdate(camera: camera, rtspURL: rtsp, rtmpURL: rtmp, timestampMs: timestamp,
                         restartRequired: try reader.bool("restart_required") ?? true)
    }
}

/// What the device tells the cloud (`POST …/reports`), without its `seq`
/// (the outbox assigns it).
public enum Report: Sendable, Equatable {
    public enum AckStatus: String, Sendable {
        case succeeded, failed, rejected, expired
    }

    case ack(commandID: String, status: AckStatus, detail: String, result: JSONValue?, atMs: Int64)
    case state(JSONValue)
    case recording(camera: CameraID, startMs: Int64, endMs: Int64, bytes: Int64, file: String)

    public var kind: String {
        switch self {
        case .ack: "ack"
        case .state: "state"
        case .recording: "recording"
        }
    }

    /// The item's JSON without `seq`.
    public var json: JSONValue {
        switch self {
        case .ack(let id, let status, let detail, let result, let at):
            var fields: [String: JSONValue] = ["kind": .string("ack"), "command_id": .string(id), "status": .string(status.rawValue),
                                               "detail": .string(Redactor.redact(detail)), "at": .string(Timestamp.rfc3339(milliseconds: at))]
            if let result { fields["result"] = result }
            return .object(fields)
        case .state(let body):
            return body
        case .recording(let camera, let start, let end, let bytes, let file):
            return .object(["kind": .string("recording"), "camera": .string(camera.rawValue),
                            "start": .string(Timestamp.rfc3339(milliseconds: start)), "end": .string(Timestamp.rfc3339(milliseconds: end)),
                            "bytes": .int(bytes), "file": .string(file)])
        }
    }
}
