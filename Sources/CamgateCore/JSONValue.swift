import FoundationEssentials

/// A parsed JSON document. Configuration and cloud documents are read into
/// this first and validated by hand, so that every error names its field
/// with a full dotted path and unknown fields can be rejected.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses UTF-8 JSON text. Invalid JSON is a `ConfigurationError` on the
    /// document (empty field).
    /// Parses JSON text. A key that appears twice in one object is an error
    /// naming it (JSON decoders silently keep one of them: in a
    /// configuration, `"record": true, "record": false` must not pass).
    public static func parse(_ data: some Collection<UInt8>) throws(ConfigurationError) -> JSONValue {
        let bytes = Array(data)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            // The grammar's own account, with a position, when it has one;
            // else the decoder's (invalid UTF-8, a number out of range…).
            if let syntax = JSONSyntaxError.locate(in: bytes) { throw ConfigurationError(field: "", reason: "not valid JSON at \(syntax)") }
            let detail = (error as? DecodingError).map(JSONValue.describe) ?? "\(error)"
            throw ConfigurationError(field: "", reason: "not valid JSON: \(detail)")
        }
        if let path = duplicateKey(in: bytes) {
            throw ConfigurationError(field: path, reason: "this key appears twice in its object; each key may appear once")
        }
        return value
    }

    /// A key as it appears in a field path: as is when it is printable
    /// ASCII of at most 64 bytes, else quoted and cut (a 300-character or
    /// control-character camera id must not flood or garble a message).
    public static func pathComponent(_ key: String) -> String {
        let plain = key.utf8.count <= 64 && key.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        return plain ? key : CameraID.quoted(key)
    }

    /// The dotted path of the first key repeated within one object, in
    /// text already known to be valid JSON; nil when there is none.
    static func duplicateKey(in bytes: [UInt8]) -> String? {
        struct Frame {
            var isObject: Bool
            var path: String
            var keys: Set<String> = []
            var expectKey = true
            var lastKey = ""
            var index = 0
        }
        var stack: [Frame] = []
        var i = 0
        func childPath(_ parent: Frame) -> String {
            if parent.isObject {
                let key = pathComponent(parent.lastKey)
                return parent.path.isEmpty ? key : "\(parent.path).\(key)"
            }
            return "\(parent.path)[\(parent.index)]"
        }
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let path = stack.last.map(childPath) ?? ""
                stack.append(Frame(isObject: bytes[i] == UInt8(ascii: "{"), path: path))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                stack.removeLast()
                i += 1
            case UInt8(ascii: ","):
                if stack[stack.count - 1].isObject { stack[stack.count - 1].expectKey = true } else { stack[stack.count - 1].index += 1 }
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                var escaped = false
                while i < bytes.count {
                    if bytes[i] == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
                    if bytes[i] == UInt8(ascii: "\"") { break }
                    i += 1
                }
                i += 1
                guard var top = stack.last, top.isObject, top.expectKey else { continue }
                let literal = Array(bytes[start..<min(i, bytes.count)])
                let key = escaped ? ((try? JSONDecoder().decode(String.self, from: Data(literal))) ?? String(decoding: literal, as: UTF8.self))
                    : String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                top.lastKey = key
                top.expectKey = false
                if !top.keys.insert(key).inserted { return childPath(top) }
                stack[stack.count - 1] = top
            default:
                i += 1
            }
        }
        return nil
    }

    public static func parse(_ text: String) throws(ConfigurationError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Compact JSON text with sorted keys: the same value always gives the
    /// same bytes (used for fingerprints and storage).
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    /// Indented JSON with sorted keys, for files people edit
    /// (the configuration the provisioning CLI writes).
    public func prettyPrinted() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return serialized() }
        return String(decoding: data, as: UTF8.self)
    }

    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int64Value: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: Int64(d)
        default: nil
        }
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite { out += d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : "\(d)" } else { out += "null" }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, key) in fields.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                fields[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context):
            var text = context.debugDescription
            if let underlying = context.underlyingError { text += " (\(underlying))" }
            return text
        default:
            return "\(error)"
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

/// Reads one JSON object field by field, with errors that carry the path.
public struct JSONObjectReader {
    public let path: String
    public let fields: [String: JSONValue]

    public init(_ value: JSONValue, path: String) throws(ConfigurationError) {
        guard case .object(let fields) = value else {
            throw ConfigurationError(field: path, reason: "expected an object, got \(value.typeName)")
        }
        self.path = path
        self.fields = fields
    }

    /// `path.key`; a key that is long or not plain (a hostile camera id)
    /// appears quoted and cut, so an error message stays readable and safe.
    public func fieldPath(_ key: String) -> String {
        let shown = JSONValue.pathComponent(key)
        return path.isEmpty ? shown : "\(path).\(shown)"
    }

    /// Rejects fields the schema does not know (a typo must not be ignored).
    public func rejectUnknown(allowed: Set<String>) throws(ConfigurationError) {
        if let unknown = fields.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ConfigurationError(field: fieldPath(unknown), reason: "unknown field (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// The value, treating JSON null as absent.
    public func value(_ key: String) -> JSONValue? {
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    public func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw mismatch(key, "a string", v) }
        return s
    }

    public func requiredString(_ key: String) throws(ConfigurationError) -> String {
        guard let s = try string(key) else { throw ConfigurationError(field: fieldPath(key), reason: "is required") }
        return s
    }

    public func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw mismatch(key, "true or false", v) }
        return b
    }

    public func int(_ key: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
        guard let v = value(key) else { return nil }
        guard let i = v.int64Value else { throw mismatch(key, "an integer", v) }
        guard range.contains(i) else {
            throw ConfigurationError(field: fieldPath(key), reason: "must be between \(range.lowerBound) and \(range.upperBound) (got \(i))")
        }
        return i
    }

    /// A number (integer or not), finite.
    public func number(_ key: String) throws(ConfigurationError) -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d) where d.isFinite: return d
        default: throw mismatch(key, "a number", v)
        }
    }

    public func array(_ key: String) throws(ConfigurationError) -> [JSONValue]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw mismatch(key, "an array", v) }
        return items
    }

    public func object(_ key: String) throws(ConfigurationError) -> JSONObjectReader? {
        guard let v = value(key) else { return nil }
        return try JSONObjectReader(v, path: fieldPath(key))
    }

    private func mismatch(_ key: String, _ expected: String, _ got: JSONValue) -> ConfigurationError {
        ConfigurationError(field: fieldPath(key), reason: "expected \(expected), got \(got.typeName)")
    }
}
