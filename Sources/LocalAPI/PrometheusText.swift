/// Prometheus text exposition format 0.0.4, written by hand: the agent's
/// handful of families do not justify swift-prometheus' dependencies in a
/// 30 MB static binary (docs/local-api.md says why).
public struct PrometheusText: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum Kind: String, Sendable { case gauge, counter, histogram }

    public private(set) var text = ""
    private var families: Set<String> = []

    public init() {}

    /// Starts a family (HELP and TYPE once); `name` includes `_total` for counters.
    public mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        guard families.insert(name).inserted else { return }
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// One family with a sample per label set.
    public mutating func gauge(_ name: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        family(name, .gauge, help)
        for (labels, value) in samples { sample(name, labels, value) }
    }

    public mutating func counter(_ name: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        family(name, .counter, help)
        for (labels, value) in samples { sample(name, labels, value) }
    }

    public mutating func histogram(_ name: String, _ help: String, _ histogram: Histogram) {
        family(name, .histogram, help)
        var cumulative: UInt64 = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative += count
            sample("\(name)_bucket", [("le", Self.format(bound))], Double(cumulative))
        }
        sample("\(name)_bucket", [("le", "+Inf")], Double(histogram.count))
        sample("\(name)_sum", [], histogram.sum)
        sample("\(name)_count", [], Double(histogram.count))
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    static func escapeLabel(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences("\\", "\\\\").replacingOccurrences("\n", "\\n")
    }
}

/// A latency histogram with fixed upper bounds (seconds), cumulative on output.
public struct Histogram: Sendable, Equatable {
    public let bounds: [Double]
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sum: Double = 0

    public init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        counts = Array(repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        count += 1
        sum += value
        if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
