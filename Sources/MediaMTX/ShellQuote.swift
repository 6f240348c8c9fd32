/// The word splitting MediaMTX applies to `runOnDemand` / `runOnInit`
/// strings (github.com/kballard/go-shellquote `Split`), and the quoting that
/// survives it. No shell is involved: pipes, redirections and globs are just
/// characters; `$` is not special here but MediaMTX expands `$NAME` in every
/// word *after* splitting, even inside single quotes, so data must never
/// contain `$` (see `MediaMTXValidation`).
public enum ShellQuote {
    public enum SplitError: Error, Equatable, Sendable {
        case unterminatedSingleQuote, unterminatedDoubleQuote, unterminatedEscape
    }

    // Go's shellquote works on runes (Unicode scalars), not on grapheme
    // clusters: "\r\n" is two runes, and a quote followed by a combining
    // mark is still a quote.
    static let separators: Set<Unicode.Scalar> = [" ", "\n", "\t"]
    static let doubleEscapes: Set<Unicode.Scalar> = ["$", "`", "\"", "\n", "\\"]

    public static func split(_ input: String) throws(SplitError) -> [String] {
        var words: [String] = []
        let chars = Array(input.unicodeScalars)
        var i = 0
        func at(_ k: Int) -> Unicode.Scalar? { k < chars.count ? chars[k] : nil }
        while i < chars.count {
            if separators.contains(chars[i]) { i += 1; continue }
            // An escaped newline between words is skipped (it starts no word).
            if chars[i] == "\\" {
                guard let next = at(i + 1) else { throw .unterminatedEscape }
                if next == "\n" { i += 2; continue }
            }
            var word = String.UnicodeScalarView()
            loop: while let c = at(i) {
                switch c {
                case _ where separators.contains(c):
                    break loop
                case "\\":
                    guard let next = at(i + 1) else { throw .unterminatedEscape }
                    if next != "\n" { word.append(next) }
                    i += 2
                case "'":
                    guard let close = chars[(i + 1)...].firstIndex(of: "'") else { throw .unterminatedSingleQuote }
                    word.append(contentsOf: chars[(i + 1)..<close])
                    i = close + 1
                case "\"":
                    i += 1
                    var closed = false
                    while let d = at(i) {
                        if d == "\"" { closed = true; i += 1; break }
                        if d == "\\", let e = at(i + 1), doubleEscapes.contains(e) {
                            if e != "\n" { word.append(e) }
                            i += 2
                            continue
                        }
                        word.append(d)
                        i += 1
                    }
                    guard closed else { throw .unterminatedDoubleQuote }
                default:
                    word.append(c)
                    i += 1
                }
            }
            words.append(String(word))
        }
        return words
    }

    static func isSafe(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "_@%+=:,./-".unicodeScalars.contains(c))
    }

    /// One word, quoted so that `split` gives it back unchanged.
    public static func quote(_ word: String) -> String {
        if !word.isEmpty, word.unicodeScalars.allSatisfy(isSafe) { return word }
        var out = String.UnicodeScalarView(["'"])
        for scalar in word.unicodeScalars {
            if scalar == "'" { out.append(contentsOf: "'\\''".unicodeScalars) } else { out.append(scalar) }
        }
        out.append("'")
        return String(out)
    }

    public static func join(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
