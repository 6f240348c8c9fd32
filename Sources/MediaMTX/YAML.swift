/// A YAML value, for the subset MediaMTX's configuration uses: block
/// mappings and sequences (2-space style, compact `- key: value` entries),
/// flow sequences of scalars, plain / single- / double-quoted scalars,
/// comments. Anything else (anchors, tags, block scalars, flow mappings,
/// tabs) is a parse error: the agent never edits a file it cannot read
/// entirely.
public enum YAMLValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case sequence([YAMLValue])
    case mapping([(key: String, value: YAMLValue)])

    public static func == (a: YAMLValue, b: YAMLValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.sequence(let x), .sequence(let y)): x == y
        case (.mapping(let x), .mapping(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int(let i): hasher.combine(i)
        case .double(let d): hasher.combine(d)
        case .string(let s): hasher.combine(s)
        case .sequence(let items): hasher.combine(items)
        case .mapping(let pairs): for (k, v) in pairs { hasher.combine(k); hasher.combine(v) }
        }
    }

    public subscript(key: String) -> YAMLValue? {
        if case .mapping(let pairs) = self { return pairs.first { $0.key == key }?.value }
        return nil
    }

    public var keys: [String] {
        if case .mapping(let pairs) = self { return pairs.map(\.key) }
        return []
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .bool(let b): b ? "true" : "false"
        default: nil
        }
    }
}

public struct YAMLError: Error, CustomStringConvertible, Sendable, Equatable {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Parses the YAML subset described on `YAMLValue`.
public struct YAMLParser {
    struct Line {
        var number: Int
        var indent: Int
        var text: Substring
    }

    var lines: [Line] = []
    var index = 0

    public static func parse(_ text: String) throws(YAMLError) -> YAMLValue {
        var parser = YAMLParser()
        try parser.load(text)
        guard !parser.lines.isEmpty else { return .mapping([]) }
        let value = try parser.block(indent: parser.lines[0].indent)
        if parser.index < parser.lines.count {
            let line = parser.lines[parser.index]
            throw YAMLError(line: line.number, message: "unexpected indentation")
        }
        return value
    }

    /// Lines split on LF at the Unicode-scalar level (in Swift "\r\n" is
    /// one Character, which a split on "\n" would not see), with the CR of
    /// a CR LF dropped; `crlf` tells whether the text used CR LF.
    public static func lines(_ text: String) -> (lines: [String], crlf: Bool) {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var crlf = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast(); crlf = true }
                lines.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        lines.append(String(current))
        return (lines, crlf)
    }

    mutating func load(_ text: String) throws(YAMLError) {
        for (offset, raw) in YAMLParser.lines(text).lines.enumerated() {
            let line = Substring(raw)
            let number = offset + 1
            let indent = line.prefix { $0 == " " }.count
            if line.dropFirst(indent).hasPrefix("\t") { throw YAMLError(line: number, message: "tabs are not allowed for indentation") }
            let content = YAMLParser.stripComment(line.dropFirst(indent))
            let trimmed = content.trimmingTrailingWhitespace()
            if trimmed.isEmpty { continue }
            if trimmed == "---" || trimmed == "..." {
                if lines.isEmpty { continue }
                throw YAMLError(line: number, message: "multiple documents are not supported")
            }
            lines.append(Line(number: number, indent: indent, text: trimmed))
        }
    }

    /// Removes a `#` comment that is not inside quotes.
    static func stripComment(_ text: Substring) -> Substring {
        var inSingle = false, inDouble = false, escaped = false
        var previous: Character = " "
        for i in text.indices {
            let c = text[i]
            if inDouble {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inDouble = false }
            } else if inSingle {
                if c == "'" { inSingle = false }
            } else if c == "\"" && (previous == " " || previous == ":" || previous == "[" || previous == "," || previous == "-" || i == text.startIndex) {
                inDouble = true
            } else if c == "'" && (previous == " " || previous == "[" || previous == "," || i == text.startIndex) {
                inSingle = true
            } else if c == "#" && (previous == " " || i == text.startIndex) {
                return text[..<i]
            }
            previous = c
        }
        return text
    }

    mutating func block(indent: Int) throws(YAMLError) -> YAMLValue {
        let first = lines[index]
        if first.text == "-" || first.text.hasPrefix("- ") { return try sequence(indent: indent) }
        return try mapping(indent: indent)
    }

    mutating func mapping(indent: Int) throws(YAMLError) -> YAMLValue {
        var pairs: [(key: String, value: YAMLValue)] = []
        var seen = Set<String>()
        while index < lines.count {
            let line = lines[index]
            if line.indent < indent { break }
            if line.indent > indent { throw YAMLError(line: line.number, message: "unexpected indentation") }
            if line.text == "-" || line.text.hasPrefix("- ") { break }
            let (key, rest) = try YAMLParser.splitKey(line)
            guard seen.insert(key).inserted else { throw YAMLError(line: line.number, message: "duplicate key \(key)") }
            index += 1
            pairs.append((key, try value(after: rest, line: line, parentIndent: indent)))
        }
        return .mapping(pairs)
    }

    mutating func sequence(indent: Int) throws(YAMLError) -> YAMLValue {
        var items: [YAMLValue] = []
        while index < lines.count {
            let line = lines[index]
            if line.indent < indent { break }
            guard line.indent == indent, line.text == "-" || line.text.hasPrefix("- ") else {
                if line.indent == indent { break }
                throw YAMLError(line: line.number, message: "unexpected indentation")
            }
            let rest = line.text.dropFirst(1).drop { $0 == " " }
            if rest.isEmpty {
                index += 1
                items.append(try nested(below: indent, line: line))
            } else if YAMLParser.looksLikeKey(rest) {
                // `- key: value`: a mapping whose first line is this one.
                lines[index] = Line(number: line.number, indent: indent + 1 + (line.text.count - 1 - rest.count), text: rest)
                items.append(try mapping(indent: lines[index].indent))
            } else {
                index += 1
                items.append(try YAMLParser.scalarOrFlow(rest, line: line.number))
            }
        }
        return .sequence(items)
    }

    mutating func value(after rest: Substring, line: Line, parentIndent: Int) throws(YAMLError) -> YAMLValue {
        if rest.isEmpty { return try nested(below: parentIndent, line: line) }
        return try YAMLParser.scalarOrFlow(rest, line: line.number)
    }

    /// The block under a `key:` or `-` with nothing after it (or null).
    mutating func nested(below indent: Int, line: Line) throws(YAMLError) -> YAMLValue {
        guard index < lines.count else { return .null }
        let next = lines[index]
        if next.indent > indent { return try block(indent: next.indent) }
        // A sequence may sit at the same indent as its key.
        if next.indent == indent, next.text == "-" || next.text.hasPrefix("- "), !(line.text.hasPrefix("-")) { return try sequence(indent: indent) }
        return .null
    }

    static func looksLikeKey(_ text: Substring) -> Bool {
        (try? splitKey(Line(number: 0, indent: 0, text: text))) != nil
    }

    static func splitKey(_ line: Line) throws(YAMLError) -> (String, Substring) {
        let text = line.text
        if text.first == "\"" || text.first == "'" {
            let (key, end) = try quoted(text, line: line.number)
            let after = text[end...]
            guard after.hasPrefix(":") else { throw YAMLError(line: line.number, message: "expected ':' after a quoted key") }
            return (key, after.dropFirst().drop { $0 == " " })
        }
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == ":" {
                let next = text.index(after: i)
                if next == text.endIndex || text[next] == " " {
                    let key = String(text[..<i]).trimmingTrailingWhitespaceString()
                    guard !key.isEmpty else { break }
                    if "[]{}&*!|>%@`".contains(key.first!) { throw YAMLError(line: line.number, message: "unsupported key \(key)") }
                    return (key, text[next...].drop { $0 == " " })
                }
            }
            i = text.index(after: i)
        }
        throw YAMLError(line: line.number, message: "expected 'key: value'")
    }

    static func quoted(_ text: Substring, line: Int) throws(YAMLError) -> (String, String.Index) {
        let quote = text.first!
        var out = ""
        var i = text.index(after: text.startIndex)
        while i < text.endIndex {
            let c = text[i]
            if quote == "'" {
                if c == "'" {
                    let next = text.index(after: i)
                    if next < text.endIndex, text[next] == "'" { out.append("'"); i = text.index(after: next); continue }
                    return (out, next)
                }
                out.append(c)
            } else {
                if c == "\"" { return (out, text.index(after: i)) }
                if c == "\\" {
                    i = text.index(after: i)
                    guard i < text.endIndex else { break }
                    switch text[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "0": out.append("\0")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    case "/": out.append("/")
                    case " ": out.append(" ")
                    case "u", "x", "U":
                        let width = text[i] == "u" ? 4 : text[i] == "U" ? 8 : 2
                        let start = text.index(after: i)
                        guard let end = text.index(start, offsetBy: width, limitedBy: text.endIndex),
                              let code = UInt32(text[start..<end], radix: 16), let scalar = Unicode.Scalar(code) else {
                            throw YAMLError(line: line, message: "bad escape in a double-quoted string")
                        }
                        out.unicodeScalars.append(scalar)
                        i = text.index(before: end)
                    default:
                        throw YAMLError(line: line, message: "unsupported escape \\\(text[i])")
                    }
                } else {
                    out.append(c)
                }
            }
            i = text.index(after: i)
        }
        throw YAMLError(line: line, message: "unterminated quoted string")
    }

    static func scalarOrFlow(_ text: Substring, line: Int) throws(YAMLError) -> YAMLValue {
        if text.first == "[" {
            guard text.last == "]" else { throw YAMLError(line: line, message: "unterminated flow sequence") }
            let inner = text.dropFirst().dropLast()
            if inner.allSatisfy({ $0 == " " }) { return .sequence([]) }
            var items: [YAMLValue] = []
            var rest = Substring(inner)
            while true {
                rest = rest.drop { $0 == " " }
                if rest.first == "\"" || rest.first == "'" {
                    let (s, end) = try quoted(rest, line: line)
                    items.append(.string(s))
                    rest = rest[end...].drop { $0 == " " }
                } else {
                    let item = rest.prefix { $0 != "," }
                    if item.contains("[") || item.contains("{") { throw YAMLError(line: line, message: "nested flow collections are not supported") }
                    items.append(scalar(item.trimmingTrailingWhitespace()))
                    rest = rest.dropFirst(item.count)
                }
                if rest.isEmpty { break }
                guard rest.first == "," else { throw YAMLError(line: line, message: "expected ',' in a flow sequence") }
                rest = rest.dropFirst()
            }
            return .sequence(items)
        }
        if text.first == "{" {
            if text == "{}" { return .mapping([]) }
            throw YAMLError(line: line, message: "flow mappings are not supported")
        }
        if text.first == "\"" || text.first == "'" {
            let (s, end) = try quoted(text, line: line)
            guard text[end...].allSatisfy({ $0 == " " }) else { throw YAMLError(line: line, message: "text after a quoted string") }
            return .string(s)
        }
        if let first = text.first, "&*!|>%@`".contains(first) {
            throw YAMLError(line: line, message: "unsupported YAML construct \(CameraIDQuote.quote(String(first)))")
        }
        return scalar(text)
    }

    /// Plain scalar typing (YAML 1.1 booleans, as MediaMTX's loader reads them).
    static func scalar(_ text: Substring) -> YAMLValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        if let i = Int64(text) { return .int(i) }
        if text.contains("."), let d = Double(text), !text.hasPrefix("."), !text.hasSuffix(".") { return .double(d) }
        return .string(String(text))
    }
}

/// Writes YAML scalars MediaMTX reads back exactly.
public enum YAMLWriter {
    /// A double-quoted string (always quoted: no plain-scalar surprises
    /// such as `no` or `on` turning into booleans).
    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += escape(scalar.value, "x", width: 2)
            // Anything outside ASCII is escaped: U+0085, U+2028 and U+2029
            // are line breaks to a YAML reader, U+0080…U+009F and U+FFFE/F
            // are not printable, a BOM may be dropped, and a combining mark
            // would merge with the opening quote for a grapheme-based reader.
            case _ where scalar.value > 0xFFFF:
                out += escape(scalar.value, "U", width: 8)
            case _ where scalar.value >= 0x80:
                out += escape(scalar.value, "u", width: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func escape(_ value: UInt32, _ kind: String, width: Int) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "\\" + kind + String(repeating: "0", count: max(0, width - hex.count)) + hex
    }

    public static func scalar(_ value: YAMLValue) -> String {
        switch value {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): "\(d)"
        case .string(let s): quote(s)
        case .sequence(let items): "[" + items.map(scalar).joined(separator: ", ") + "]"
        case .mapping(let pairs): pairs.isEmpty ? "{}" : "{…}"
        }
    }
}

enum CameraIDQuote {
    static func quote(_ s: String) -> String { "\"\(s)\"" }
}

extension Substring {
    func trimmingTrailingWhitespace() -> Substring {
        var s = self
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}

extension String {
    func trimmingTrailingWhitespaceString() -> String {
        String(Substring(self).trimmingTrailingWhitespace())
    }
}
