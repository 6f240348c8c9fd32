/// ffmpeg's segment list in CSV form (`-segment_list_type csv`): one line
/// per finished segment, `name,start,end` in seconds of stream time,
/// appended when the segment is closed. Read incrementally, it is the
/// authoritative record of which segments are complete and how long each
/// one really is.
public struct SegmentListParser: Sendable {
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var start: Double
        public var end: Double
        public var duration: Double { max(0, end - start) }
    }

    private var partial: [UInt8] = []

    public init() {}

    /// Feeds bytes; returns the complete lines' entries. A line cut in the
    /// middle waits for the rest; a malformed line is skipped.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Entry] {
        var entries: [Entry] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if let entry = SegmentListParser.parse(line: partial) { entries.append(entry) }
                partial.removeAll(keepingCapacity: true)
            } else {
                partial.append(byte)
            }
        }
        return entries
    }

    public static func parse(line: [UInt8]) -> Entry? {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        // The name comes first and may be CSV-quoted; the two numbers are last.
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3, let start = Double(fields[fields.count - 2]), let end = Double(fields[fields.count - 1]) else { return nil }
        var name = fields.dropLast(2).joined(separator: ",")
        if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
            name = String(name.dropFirst().dropLast()).replacingAll("\"\"", with: "\"")
        }
        guard !name.isEmpty else { return nil }
        return Entry(name: name, start: start, end: end)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
