/// Reading and writing the desired-state document (PROTOCOL.md shape).
extension DesiredState {
    public static let documentFields: Set<String> = ["revision", "cameras", "recording", "upload"]

    /// Validates a desired-state document.
    ///
    /// - Parameter strict: reject fields the schema does not know. The config
    ///   file is strict (a typo must not pass silently); cloud documents are
    ///   not, so that a newer cloud can add fields.
    public init(json: JSONValue, strict: Bool, extraTopLevelFields: Set<String> = []) throws(ConfigurationError) {
        let doc = try JSONObjectReader(json, path: "")
        if strict { try doc.rejectUnknown(allowed: DesiredState.documentFields.union(extraTopLevelFields)) }
        let revision = try doc.int("revision", in: 0...Int64.max) ?? 0

        var cameras: [CameraID: CameraSpec] = [:]
        if let camerasReader = try doc.object("cameras") {
            var devices: [String: CameraID] = [:]
            for key in camerasReader.fields.keys.sorted() {
                let path = camerasReader.fieldPath(key)
                let id: CameraID
                do { id = try CameraID(key) } catch { throw error.nested(under: path) }
                let spec = try CameraSpec(json: camerasReader.fields[key]!, path: path, strict: strict)
                if case .v4l2(let device) = spec.source {
                    if let other = devices[device] {
                        throw ConfigurationError(field: "\(path).source.device", reason: "\(device) is already used by camera \(other); one process at a time can open a V4L2 device")
                    }
                    devices[device] = id
                }
                cameras[id] = spec
            }
        }
        let recording = try RecordingPolicy(json: doc.value("recording"), path: "recording", strict: strict)
        let upload = try UploadPolicy(json: doc.value("upload"), path: "upload", strict: strict)
        self.init(revision: revision, cameras: cameras, recording: recording, upload: upload)
    }

    /// The document form, as stored and as the protocol shows it.
    public var json: JSONValue {
        var cams: [String: JSONValue] = [:]
        for (id, spec) in cameras { cams[id.rawValue] = spec.json }
        return .object([
            "revision": .int(revision),
            "cameras": .object(cams),
            "recording": recording.json,
            "upload": upload.json,
        ])
    }
}

extension CameraSpec {
    static let fields: Set<String> = ["source", "record", "view", "video", "restream", "motion"]

    init(json: JSONValue, path: String, strict: Bool) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: CameraSpec.fields) }
        guard let sourceValue = reader.value("source") else {
            throw ConfigurationError(field: reader.fieldPath("source"), reason: "is required")
        }
        let source = try CameraSource(json: sourceValue, path: reader.fieldPath("source"), strict: strict)
        let video = try VideoSettings(json: reader.value("video"), path: reader.fieldPath("video"), strict: strict)
        var restream: Restream?
        if let r = try reader.object("restream") {
            if strict { try r.rejectUnknown(allowed: ["url"]) }
            let url = try r.requiredString("url")
            do { restream = try Restream(url: url) } catch { throw error.nested(under: r.fieldPath("url")) }
        }
        if restream != nil, case .v4l2 = source {
            throw ConfigurationError(field: reader.fieldPath("restream"), reason: "a V4L2 camera cannot be restreamed: its recorder holds the device")
        }
        if case .copy = video.encoder, case .test = source {
            throw ConfigurationError(field: reader.fieldPath("video.encoder"), reason: "\"copy\" needs an encoded source; the test camera produces raw frames")
        }
        let record = try reader.bool("record") ?? false
        let motion = try MotionSettings(json: reader.value("motion"), path: reader.fieldPath("motion"), strict: strict)
        if motion.enabled, !record {
            throw ConfigurationError(field: reader.fieldPath("motion.enabled"), reason: "motion is detected by the recorder: set \"record\": true for this camera")
        }
        if let substream = motion.substream {
            guard let main = source.rtspURL else {
                throw ConfigurationError(field: reader.fieldPath("motion.substream"), reason: "a substream is a second stream of an RTSP camera; this camera's source is \(source.kind)")
            }
            guard substream != main else {
                throw ConfigurationError(field: reader.fieldPath("motion.substream"), reason: "is the camera's main stream (source.url); give its low-resolution stream, or leave it out")
            }
        }
        self.init(source: source,
                  record: record,
                  view: try reader.bool("view") ?? false,
                  video: video,
                  restream: restream,
                  motion: motion)
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "source": source.json,
            "record": .bool(record),
            "view": .bool(view),
            "video": video.json,
            "motion": motion.json,
        ]
        fields["restream"] = restream.map { .object(["url": .string($0.url)]) } ?? .null
        return .object(fields)
    }
}

extension CameraSource {
    init(json: JSONValue, path: String, strict: Bool) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        let kind = try reader.requiredString("kind")
        switch kind {
        case "v4l2":
            if strict { try reader.rejectUnknown(allowed: ["kind", "device"]) }
            let device = try reader.requiredString("device")
            do { try SourceValidation.checkDevicePath(device) } catch { throw error.nested(under: reader.fieldPath("device")) }
            self = .v4l2(device: device)
        case "rtsp":
            if strict { try reader.rejectUnknown(allowed: ["kind", "url"]) }
            let url = try reader.requiredString("url")
            do { try SourceValidation.checkURL(url, schemes: ["rtsp", "rtsps"]) } catch { throw error.nested(under: reader.fieldPath("url")) }
            self = .rtsp(url: url)
        case "test":
            if strict { try reader.rejectUnknown(allowed: ["kind", "pattern", "size", "fps"]) }
            var size = Resolution(width: 1280, height: 720)
            if let text = try reader.string("size") {
                do { size = try Resolution(parsing: text) } catch { throw error.nested(under: reader.fieldPath("size")) }
            }
            let fps = try reader.int("fps", in: 1...60).map(Int.init) ?? 15
            do {
                self = .test(try TestPattern(pattern: try reader.string("pattern") ?? "testsrc2", size: size, fps: fps))
            } catch {
                throw error.nested(under: path)
            }
        default:
            throw ConfigurationError(field: reader.fieldPath("kind"), reason: "unknown source kind \(CameraID.quoted(kind)); use v4l2, rtsp or test")
        }
    }

    var json: JSONValue {
        switch self {
        case .v4l2(let device): .object(["kind": .string("v4l2"), "device": .string(device)])
        case .rtsp(let url): .object(["kind": .string("rtsp"), "url": .string(url)])
        case .test(let p): .object(["kind": .string("test"), "pattern": .string(p.pattern), "size": .string(p.size.description), "fps": .int(Int64(p.fps))])
        }
    }
}

extension VideoSettings {
    init(json: JSONValue?, path: String, strict: Bool) throws(ConfigurationError) {
        guard let json else { self.init(); return }
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: ["size", "fps", "encoder", "bitrate_kbps"]) }
        var size: Resolution?
        if let text = try reader.string("size") {
            do { size = try Resolution(parsing: text) } catch { throw error.nested(under: reader.fieldPath("size")) }
        }
        var encoder = EncoderChoice.auto
        if let text = try reader.string("encoder") {
            guard let choice = EncoderChoice(rawValue: text) else {
                throw ConfigurationError(field: reader.fieldPath("encoder"), reason: "unknown encoder \(CameraID.quoted(text)); use one of \(EncoderChoice.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            encoder = choice
        }
        self.init(size: size,
                  fps: try reader.int("fps", in: 1...120).map(Int.init),
                  encoder: encoder,
                  bitrateKbps: try reader.int("bitrate_kbps", in: 64...100_000).map(Int.init))
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = ["encoder": .string(encoder.rawValue)]
        fields["size"] = size.map { .string($0.description) } ?? .null
        fields["fps"] = fps.map { .int(Int64($0)) } ?? .null
        fields["bitrate_kbps"] = bitrateKbps.map { .int(Int64($0)) } ?? .null
        return .object(fields)
    }
}

extension RecordingPolicy {
    init(json: JSONValue?, path: String, strict: Bool) throws(ConfigurationError) {
        guard let json else { self.init(); return }
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: ["segment_seconds", "retain_days", "min_free_percent"]) }
        let defaults = RecordingPolicy()
        self.init(segmentSeconds: try reader.int("segment_seconds", in: RecordingPolicy.segmentRange).map(Int.init) ?? defaults.segmentSeconds,
                  retainDays: try reader.int("retain_days", in: 0...36_500).map(Int.init) ?? defaults.retainDays,
                  minFreePercent: try reader.int("min_free_percent", in: 0...95).map(Int.init) ?? defaults.minFreePercent)
    }

    var json: JSONValue {
        .object([
            "segment_seconds": .int(Int64(segmentSeconds)),
            "retain_days": .int(Int64(retainDays)),
            "min_free_percent": .int(Int64(minFreePercent)),
        ])
    }
}
