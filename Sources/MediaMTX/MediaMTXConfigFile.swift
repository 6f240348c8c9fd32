import CamgateCore

/// Edits an operator's mediamtx.yml without disturbing it: the agent owns
/// only a delimited block of `paths` and the two API settings; every other
/// line (comments included) is kept byte for byte. The result is parsed and
/// checked before the caller writes it atomically: an invalid file would
/// make MediaMTX exit.
public enum MediaMTXConfigFile {
    public static let beginMarker = "  # BEGIN camgate managed paths: rewritten by the agent; change the cameras in camgate instead"
    public static let endMarker = "  # END camgate managed paths"

    /// A file for a MediaMTX with no configuration of its own yet.
    public static let template = """
    # MediaMTX configuration. camgate manages the paths between its markers
    # and the Control API settings; everything else is yours to change.
    api: true
    apiAddress: 127.0.0.1:9997
    paths:

    """

    public static func merge(existing: String?, paths: [MediaMTXPath], apiAddress: String) throws(MediaMTXRenderError) -> String {
        let base = existing ?? template
        // CR LF files stay CR LF (split at the scalar level: see YAMLParser.lines).
        var (lines, crlf) = YAMLParser.lines(base)
        if lines.last == "" { lines.removeLast() }
        lines = try removeRegion(lines)

        // The operator's own file must already be valid (we never "fix" it blindly).
        let operatorDoc: YAMLValue
        do { operatorDoc = try YAMLParser.parse(lines.joined(separator: "\n")) } catch {
            throw MediaMTXRenderError("the existing configuration cannot be read (\(error)); it was not changed")
        }
        let operatorPaths = Set(operatorDoc["paths"]?.keys ?? [])
        if let clash = paths.first(where: { operatorPaths.contains($0.name) }) {
            throw MediaMTXRenderError("path \(clash.name) is also defined by hand in the configuration; remove it there or rename the camera")
        }

        setTopLevel(&lines, key: "api", value: "true")
        setTopLevel(&lines, key: "apiAddress", value: apiAddress)
        // `paths:`, `paths: {}` or either with a comment after it.
        var pathsLine = lines.firstIndex { line in
            guard line.hasPrefix("paths:") else { return false }
            let rest = YAMLParser.stripComment(Substring(line).dropFirst(6)).trimmingCharacters()
            return rest.isEmpty || rest == "{}"
        }
        if pathsLine == nil {
            if lines.last.map({ !$0.isEmpty }) ?? false { lines.append("") }
            lines.append("paths:")
            pathsLine = lines.count - 1
        }
        if YAMLParser.stripComment(Substring(lines[pathsLine!]).dropFirst(6)).trimmingCharacters() == "{}" { lines[pathsLine!] = "paths:" }
        lines.insert(contentsOf: region(paths, indent: operatorIndent(lines, after: pathsLine!)), at: pathsLine! + 1)
        let text = lines.joined(separator: crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n")
        try verify(text, paths: paths, apiAddress: apiAddress)
        return text
    }

    /// The indentation of the operator's own paths (the first entry under
    /// `paths:`), so that the agent's block lines up with them; 2 by default.
    static func operatorIndent(_ lines: [String], after pathsLine: Int) -> Int {
        for line in lines[(pathsLine + 1)...] {
            let indent = line.prefix { $0 == " " }.count
            let content = YAMLParser.stripComment(Substring(line).dropFirst(indent)).trimmingCharacters()
            if content.isEmpty { continue }
            return indent > 0 ? indent : 2
        }
        return 2
    }

    /// The names in the managed block of a configuration (its least
    /// indented entries).
    public static func managedNames(in text: String) -> [String] {
        guard let block = managedBlock(in: text) else { return [] }
        let entries = block.dropFirst().dropLast().filter { line in
            let content = Substring(line).trimmingCharacters()
            return !content.isEmpty && !content.hasPrefix("#")
        }
        guard let indent = entries.map({ $0.prefix { $0 == " " }.count }).min() else { return [] }
        return entries.filter { $0.prefix { $0 == " " }.count == indent }.compactMap { line in
            let key = line.dropFirst(indent).dropLast()   // `"name":` or `name:`
            guard line.hasSuffix(":") else { return nil }
            if key.first == "\"", let (name, _) = try? YAMLParser.quoted(key, line: 0) { return name }
            return String(key)
        }
    }

    /// The managed block's lines, markers included; nil without one pair.
    public static func managedBlock(in text: String) -> [String]? {
        let lines = YAMLParser.lines(text).lines
        guard let begin = lines.firstIndex(of: beginMarker), let end = lines[begin...].firstIndex(of: endMarker) else { return nil }
        return Array(lines[begin...end])
    }

    /// The agent's block. Path names are written quoted: a camera named
    /// `on`, `yes` or `123` must stay a string (MediaMTX's loader turns bare
    /// `on`/`yes`/`no`/`off` keys into booleans).
    public static func region(_ paths: [MediaMTXPath], indent: Int = 2) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var out = [beginMarker]
        for path in paths {
            out.append("\(pad)\(YAMLWriter.quote(path.name)):")
            for setting in path.settings { out.append("\(pad)\(pad)\(setting.key): \(YAMLWriter.scalar(setting.value))") }
        }
        out.append(endMarker)
        return out
    }

    /// Removes the agent's block. Markers that do not pair up (one deleted
    /// or duplicated by a hand edit) leave the block's extent unknown:
    /// guessing could delete the operator's own lines, so nothing is written.
    static func removeRegion(_ lines: [String]) throws(MediaMTXRenderError) -> [String] {
        let begins = lines.indices.filter { lines[$0] == beginMarker }
        let ends = lines.indices.filter { lines[$0] == endMarker }
        if begins.isEmpty, ends.isEmpty { return lines }
        if begins.count == 1, ends.count == 1, begins[0] < ends[0] {
            return Array(lines[..<begins[0]] + lines[(ends[0] + 1)...])
        }
        let where_ = (begins + ends).sorted().map { String($0 + 1) }.joined(separator: ", ")
        throw MediaMTXRenderError("the camgate markers in the existing configuration do not pair up "
            + "(\(begins.count) BEGIN, \(ends.count) END, on lines \(where_)); put back one BEGIN line and one END line "
            + "after it around the managed paths; the file was not changed")
    }

    /// Sets a top-level scalar (`key: value`), or appends it.
    static func setTopLevel(_ lines: inout [String], key: String, value: String) {
        if let index = lines.firstIndex(where: { $0 == "\(key):" || $0.hasPrefix("\(key): ") || $0.hasPrefix("\(key):\t") }) {
            lines[index] = "\(key): \(value)"
        } else if let paths = lines.firstIndex(where: { $0.hasPrefix("paths:") }) {
            lines.insert("\(key): \(value)", at: paths)
        } else {
            lines.append("\(key): \(value)")
        }
    }

    /// Whether `text` still holds exactly the agent's block for `paths`
    /// (a hand edit may have deleted or changed it since the last write).
    public static func isInStep(_ text: String, paths: [MediaMTXPath]) -> Bool {
        guard managedNames(in: text) == paths.map(\.name) else { return false }
        return (try? verify(text, paths: paths, apiAddress: MediaMTXEndpoints(configuration: text).apiAddress)) != nil
    }

    /// Parses the result and checks what the agent promised: the API on,
    /// its paths present with exactly its settings, every top-level key known.
    static func verify(_ text: String, paths: [MediaMTXPath], apiAddress: String) throws(MediaMTXRenderError) {
        let doc: YAMLValue
        do { doc = try YAMLParser.parse(text) } catch { throw MediaMTXRenderError("the rendered configuration does not parse: \(error)") }
        guard doc["api"] == .bool(true), doc["apiAddress"]?.stringValue == apiAddress else {
            throw MediaMTXRenderError("the rendered configuration does not enable the API on \(apiAddress)")
        }
        for key in doc.keys where MediaMTXReference.globalKeys[key] == nil && key != "paths" && key != "pathDefaults" {
            throw MediaMTXRenderError("the configuration has an unknown top-level setting \(key)")
        }
        for path in paths {
            guard let rendered = doc["paths"]?[path.name], case .mapping(let pairs) = rendered else {
                throw MediaMTXRenderError("path \(path.name) is missing from the rendered configuration")
            }
            guard pairs.count == path.settings.count, zip(pairs, path.settings).allSatisfy({ $0.key == $1.key && $0.value == $1.value }) else {
                throw MediaMTXRenderError("path \(path.name) does not read back as rendered")
            }
        }
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
