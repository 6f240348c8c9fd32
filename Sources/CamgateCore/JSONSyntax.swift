/// Where JSON text first breaks the grammar of RFC 8259, for an error an
/// operator can act on: "line 3, column 14: expected ',' or '}'". Run only
/// after the decoder refused the text (it does not build values); iterative,
/// so deep nesting cannot overflow the stack.
public struct JSONSyntaxError: Equatable, Sendable, CustomStringConvertible {
    /// 1-based line; lines end with LF (a CR LF pair counts once).
    public var line: Int
    /// 1-based column, in characters (UTF-8 sequences count once).
    public var column: Int
    public var expected: String

    public var description: String { "line \(line), column \(column): expected \(expected)" }

    public static func locate(in bytes: [UInt8]) -> JSONSyntaxError? {
        var scanner = JSONSyntaxScanner(bytes: bytes)
        guard let (offset, expected) = scanner.firstError() else { return nil }
        var line = 1, column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(line: line, column: column, expected: expected)
    }
}

struct JSONSyntaxScanner {
    let bytes: [UInt8]
    var i = 0
    /// Open containers: `{` or `[`.
    var stack: [UInt8] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private var current: UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
    }

    enum Step {
        /// A whole value was read.
        case done
        /// A container was opened: a value comes next.
        case opened
        case failed(Int, String)
    }

    /// The byte offset of the first error and what was expected there.
    mutating func firstError() -> (Int, String)? {
        var expectingValue = true
        while true {
            skipWhitespace()
            if expectingValue {
                switch value() {
                case .failed(let offset, let expected): return (offset, expected)
                case .opened: continue
                case .done: expectingValue = false
                }
            }
            skipWhitespace()
            guard let open = stack.last else {
                return current == nil ? nil : (i, "the end of the document (there is text after the value)")
            }
            let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            switch current {
            case UInt8(ascii: ",")?:
                i += 1
                if open == UInt8(ascii: "{"), let error = member() { return error }
                expectingValue = true
            case close?:
                i += 1
                stack.removeLast()
            default:
                return (i, open == UInt8(ascii: "{") ? "',' or '}' after an object member" : "',' or ']' after an array element")
            }
        }
    }

    /// One value; a non-empty container is pushed (with an object's first
    /// member name read too).
    private mutating func value() -> Step {
        let error: (Int, String)?
        switch current {
        case UInt8(ascii: "{")?, UInt8(ascii: "[")?:
            let open = bytes[i]
            let close = open == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            i += 1
            skipWhitespace()
            if current == close { i += 1; return .done }
            stack.append(open)
            error = open == UInt8(ascii: "{") ? member() : nil
            if error == nil { return .opened }
        case UInt8(ascii: "\"")?: error = string()
        case UInt8(ascii: "t")?: error = literal("true")
        case UInt8(ascii: "f")?: error = literal("false")
        case UInt8(ascii: "n")?: error = literal("null")
        case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): error = number()
        default: error = (i, "a value (object, array, string, number, true, false or null)")
        }
        return error.map { .failed($0.0, $0.1) } ?? .done
    }

    /// `"key" :` — leaves `i` after the colon.
    private mutating func member() -> (Int, String)? {
        skipWhitespace()
        guard current == UInt8(ascii: "\"") else { return (i, "a member name in double quotes") }
        if let error = string() { return error }
        skipWhitespace()
        guard current == UInt8(ascii: ":") else { return (i, "':' after a member name") }
        i += 1
        return nil
    }

    private mutating func string() -> (Int, String)? {
        i += 1
        while let c = current {
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return nil
            case UInt8(ascii: "\\"):
                i += 1
                guard let e = current, Array("\"\\/bfnrtu".utf8).contains(e) else { return (i, "an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)") }
                i += 1
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard let h = current, (h >= 0x30 && h <= 0x39) || (h | 0x20 >= 0x61 && h | 0x20 <= 0x66) else { return (i, "four hex digits after \\u") }
                        i += 1
                    }
                }
            case 0..<0x20:
                return (i, "the end of the string (a control character must be escaped)")
            default:
                i += 1
            }
        }
        return (i, "the closing '\"' of a string")
    }

    private mutating func number() -> (Int, String)? {
        if current == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int {
            let start = i
            while let c = current, c >= 0x30, c <= 0x39 { i += 1 }
            return i - start
        }
        let integerStart = i
        guard digits() > 0 else { return (i, "a digit") }
        if bytes[integerStart] == 0x30, i - integerStart > 1 { return (integerStart, "a number without a leading zero") }
        if current == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return (i, "a digit after the decimal point") }
        }
        if let e = current, e | 0x20 == UInt8(ascii: "e") {
            i += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return (i, "a digit in the exponent") }
        }
        return nil
    }

    private mutating func literal(_ word: String) -> (Int, String)? {
        for expected in word.utf8 {
            guard current == expected else { return (i, word) }
            i += 1
        }
        return nil
    }
}
