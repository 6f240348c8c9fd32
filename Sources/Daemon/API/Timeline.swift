/// Recorded time as spans: segments that touch (within `joinGapMs`) are
/// merged, so what is left between spans is a real gap. Pure.
public enum Timeline {
    public struct Span: Equatable, Sendable {
        public var start: Int64
        public var end: Int64
    }

    public static func spans(_ segments: [(start: Int64, end: Int64)], from: Int64, to: Int64, joinGapMs: Int64 = 2000) -> [Span] {
        var out: [Span] = []
        for (start, end) in segments.sorted(by: { $0.start < $1.start }) {
            let s = max(start, from), e = min(max(end, start), to)
            guard s < e else { continue }
            if let last = out.last, s <= last.end + joinGapMs {
                out[out.count - 1].end = max(last.end, e)
            } else {
                out.append(Span(start: s, end: e))
            }
        }
        return out
    }
}

/// One `Range: bytes=…` header against a file of `size` bytes. Anything
/// but a single byte range (several ranges, other units) is served whole,
/// as RFC 9110 allows.
public enum ByteRange: Equatable, Sendable {
    case whole
    case range(first: Int64, last: Int64)
    case unsatisfiable

    public static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let spec = header.dropFirst("bytes=".count)
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        let (a, b) = (parts[0].trimmed, parts[1].trimmed)
        if a.isEmpty {
            guard let suffix = Int64(b), suffix > 0 else { return b.isEmpty ? .whole : .unsatisfiable }
            return size == 0 ? .unsatisfiable : .range(first: max(0, size - suffix), last: size - 1)
        }
        guard let first = Int64(a), first >= 0 else { return .whole }
        guard first < size else { return .unsatisfiable }
        if b.isEmpty { return .range(first: first, last: size - 1) }
        guard let last = Int64(b), last >= first else { return .whole }
        return .range(first: first, last: min(last, size - 1))
    }
}

extension Substring {
    var trimmed: String { String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
}
