import CamgateCore
import ObjectStore

/// `POST {endpoint}/v1/devices/{id}/uploads` (docs/protocol.md, "Uploads"):
/// the segment the device wants to upload and, on a resume, the upload id
/// and the part numbers it still needs URLs for.
public struct UploadTargetRequest: Sendable, Equatable {
    public var camera: CameraID
    /// The file name, no directory.
    public var file: String
    public var startMs: Int64
    public var size: Int64
    public var sha256: String
    public var uploadID: String?
    public var parts: [Int]?

    public init(camera: CameraID, file: String, startMs: Int64, size: Int64, sha256: String, uploadID: String? = nil, parts: [Int]? = nil) {
        self.camera = camera
        self.file = file
        self.startMs = startMs
        self.size = size
        self.sha256 = sha256
        self.uploadID = uploadID
        self.parts = parts
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "camera": .string(camera.rawValue), "file": .string(file), "start": .string(Timestamp.rfc3339(milliseconds: startMs)),
            "size": .int(size), "sha256": .string(sha256),
        ]
        if let uploadID { fields["upload_id"] = .string(uploadID) }
        if let parts { fields["parts"] = .array(parts.map { .int(Int64($0)) }) }
        return .object(fields)
    }

    /// The request as the cloud reads it (the simulator): strict.
    public init(json: JSONValue) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: "")
        try reader.rejectUnknown(allowed: ["camera", "file", "start", "size", "sha256", "upload_id", "parts"])
        do { camera = try CameraID(try reader.requiredString("camera")) } catch { throw error.nested(under: "camera") }
        file = try reader.requiredString("file")
        let start = try reader.requiredString("start")
        guard let ms = Timestamp.parseRFC3339(start) else { throw ConfigurationError(field: "start", reason: "expected an RFC 3339 time") }
        startMs = ms
        guard let size = try reader.int("size", in: 0...S3Limits.maximumObjectSize) else { throw ConfigurationError(field: "size", reason: "is required") }
        self.size = size
        sha256 = try reader.requiredString("sha256")
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw ConfigurationError(field: "sha256", reason: "expected 64 lower-case hex digits")
        }
        uploadID = try reader.string("upload_id")
        if let value = reader.value("parts") {
            guard case .array(let items) = value else { throw ConfigurationError(field: "parts", reason: "expected an array of part numbers") }
            parts = try items.map { (item: JSONValue) throws(ConfigurationError) -> Int in
                guard let n = item.int64Value, (1...Int64(S3Limits.maximumParts)).contains(n) else {
                    throw ConfigurationError(field: "parts", reason: "part numbers are 1…\(S3Limits.maximumParts)")
                }
                return Int(n)
            }
        }
    }
}

extension UploadTarget {
    /// The cloud's answer, decoded (its rules are checked by `check`).
    public init(json: JSONValue) throws(UploadError) {
        func bad(_ subject: String, _ reason: String) -> UploadError { UploadError(.invalidTarget, subject: subject, reason: reason) }
        guard let key = json["key"]?.stringValue else { throw bad("key", "missing") }
        switch (json["put"], json["multipart"]) {
        case (let put?, nil):
            guard let url = put["url"]?.stringValue else { throw bad("put.url", "missing") }
            self.init(key: key, method: .put(url: url), expiresAtMs: try UploadTarget.expiry(put["expires_at"], "put.expires_at"))
        case (nil, let multipart?):
            guard let id = multipart["upload_id"]?.stringValue else { throw bad("multipart.upload_id", "missing") }
            guard let partSize = multipart["part_size"]?.int64Value else { throw bad("multipart.part_size", "missing") }
            guard let complete = multipart["complete_url"]?.stringValue else { throw bad("multipart.complete_url", "missing") }
            guard case .array(let items)? = multipart["parts"] else { throw bad("multipart.parts", "missing") }
            var urls: [Int: String] = [:]
            for item in items {
                guard let number = item["number"]?.int64Value, let url = item["url"]?.stringValue, (1...Int64(S3Limits.maximumParts)).contains(number) else {
                    throw bad("multipart.parts", "each part needs a number in 1…\(S3Limits.maximumParts) and a url")
                }
                guard urls.updateValue(url, forKey: Int(number)) == nil else { throw bad("multipart.parts", "part \(number) is listed twice") }
            }
            self.init(key: key, method: .multipart(MultipartTarget(uploadID: id, partSize: partSize, partURLs: urls, completeURL: complete)),
                      expiresAtMs: try UploadTarget.expiry(multipart["expires_at"], "multipart.expires_at"))
        default:
            throw bad("answer", "needs exactly one of put and multipart")
        }
    }

    static func expiry(_ value: JSONValue?, _ subject: String) throws(UploadError) -> Int64 {
        guard let text = value?.stringValue, let ms = Timestamp.parseRFC3339(text) else {
            throw UploadError(.invalidTarget, subject: subject, reason: "expected an RFC 3339 time")
        }
        return ms
    }

    /// The answer's JSON (the simulator writes it).
    public var json: JSONValue {
        let expires = JSONValue.string(Timestamp.rfc3339(milliseconds: expiresAtMs))
        switch method {
        case .put(let url):
            return .object(["key": .string(key), "put": .object(["url": .string(url), "expires_at": expires])])
        case .multipart(let m):
            let parts = m.partURLs.keys.sorted().map { JSONValue.object(["number": .int(Int64($0)), "url": .string(m.partURLs[$0]!)]) }
            return .object(["key": .string(key), "multipart": .object([
                "upload_id": .string(m.uploadID), "part_size": .int(m.partSize), "parts": .array(parts),
                "complete_url": .string(m.completeURL), "expires_at": expires,
            ])])
        }
    }
}
