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

    static let separators: Set<Character> = [" ", "\n", "\t"]
    static let doubleEscapes: Set<Character> = ["$", "`", "\"", "\n", "\\"]

    public static func split(_ input: String) throws(SplitError) -> [String] {
        var words: [String] = []
        let chars = Array(input)
        var i = 0
        func at(_ k: Int) -> Character? { k < chars.count ? chars[k] : nil }
        while i < chars.count {
            if separators.contains(chars[i]) { i += 1; continue }
            // An escaped newline between words is skipped (it starts no word).
            if chars[i] == "\\" {
                guard let next = at(i + 1) else { throw .unterminatedEscape }
                if next == "\n" { i += 2; continue }
            }
            var word = ""
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
                    word += String(chars[(i + 1)..<close])
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
            words.append(word)
        }
        return words
    }

    static func isSafe(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "_@%+=:,./-".contains(c))
    }

    /// One word, quoted so that `split` gives it back unchanged.
    public static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy(isSafe) { return word }
        return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    public static func join(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
