/// The `motion` block of a camera in the desired-state document.
extension MotionSettings {
    static let fields: Set<String> = ["enabled", "sensitivity", "min_length_ms", "gap_ms", "ignore_lighting", "masks", "substream"]

    /// - Parameter strict: reject unknown fields (the config file); values
    ///   out of range are refused either way, naming the field.
    init(json: JSONValue?, path: String, strict: Bool) throws(ConfigurationError) {
        guard let json else { self.init(); return }
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: MotionSettings.fields) }
        let defaults = MotionSettings()
        var masks: [MaskRect] = []
        if let items = try reader.array("masks") {
            guard items.count <= MotionSettings.maximumMasks else {
                throw ConfigurationError(field: reader.fieldPath("masks"), reason: "has \(items.count) rectangles; at most \(MotionSettings.maximumMasks) are allowed")
            }
            for (index, item) in items.enumerated() {
                masks.append(try MaskRect(json: item, path: "\(reader.fieldPath("masks"))[\(index)]", strict: strict))
            }
        }
        let substream = try reader.string("substream")
        if let substream {
            do { try SourceValidation.checkURL(substream, schemes: ["rtsp", "rtsps"]) } catch { throw error.nested(under: reader.fieldPath("substream")) }
        }
        self.init(enabled: try reader.bool("enabled") ?? defaults.enabled,
                  sensitivity: try reader.int("sensitivity", in: MotionSettings.sensitivityRange).map(Int.init) ?? defaults.sensitivity,
                  minLengthMs: try reader.int("min_length_ms", in: MotionSettings.minLengthRange) ?? defaults.minLengthMs,
                  gapMs: try reader.int("gap_ms", in: MotionSettings.gapRange) ?? defaults.gapMs,
                  ignoreLighting: try reader.bool("ignore_lighting") ?? defaults.ignoreLighting,
                  masks: masks, substream: substream)
        let watched = watchedShare
        if watched < MotionSettings.minimumWatchedShare {
            throw ConfigurationError(field: reader.fieldPath("masks"),
                                     reason: "the masks hide \(Int(((1 - watched) * 100).rounded())) % of the picture; at least \(Int(MotionSettings.minimumWatchedShare * 100)) % must stay watched")
        }
    }

    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "enabled": .bool(enabled),
            "sensitivity": .int(Int64(sensitivity)),
            "min_length_ms": .int(minLengthMs),
            "gap_ms": .int(gapMs),
            "ignore_lighting": .bool(ignoreLighting),
            "masks": .array(masks.map { .object(["x": .double($0.x), "y": .double($0.y), "w": .double($0.w), "h": .double($0.h)]) }),
        ]
        if let substream { fields["substream"] = .string(substream) }
        return .object(fields)
    }
}

extension MaskRect {
    init(json: JSONValue, path: String, strict: Bool) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        if strict { try reader.rejectUnknown(allowed: ["x", "y", "w", "h"]) }
        func required(_ key: String) throws(ConfigurationError) -> Double {
            guard let v = try reader.number(key) else { throw ConfigurationError(field: reader.fieldPath(key), reason: "is required") }
            return v
        }
        do {
            try self.init(x: try required("x"), y: try required("y"), w: try required("w"), h: try required("h"))
        } catch {
            throw error.field.hasPrefix(path) ? error : error.nested(under: path)
        }
    }
}
