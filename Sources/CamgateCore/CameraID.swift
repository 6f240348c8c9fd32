/// A camera's identifier. It becomes a directory name, a MediaMTX path name
/// and part of process arguments, so it is restricted to a safe alphabet:
/// 1–64 characters of `A–Z a–z 0–9 _ -`, starting with a letter or digit.
///
/// Every name is validated here, once; the rest of the code can rely on it.
public struct CameraID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let maximumLength = 64

    public let rawValue: String

    public init(_ rawValue: String) throws(ConfigurationError) {
        if let reason = CameraID.problem(with: rawValue) {
            throw ConfigurationError(field: "", reason: reason)
        }
        self.rawValue = rawValue
    }

    /// Why `candidate` is not a valid camera id, or nil when it is.
    public static func problem(with candidate: String) -> String? {
        if candidate.isEmpty { return "camera id is empty" }
        let scalars = candidate.unicodeScalars
        if scalars.count > maximumLength {
            return "camera id is \(scalars.count) characters long; the limit is \(maximumLength)"
        }
        guard let first = scalars.first, isAlphanumeric(first) else {
            return "camera id \(quoted(candidate)) must start with a letter or a digit"
        }
        if let bad = scalars.first(where: { !isAlphanumeric($0) && $0 != "_" && $0 != "-" }) {
            return "camera id \(quoted(candidate)) contains \(quoted(String(bad))); only letters, digits, '_' and '-' are allowed"
        }
        if candidate.lowercased().hasPrefix(reservedPrefix) {
            return "camera id \(quoted(candidate)) starts with \(quoted(reservedPrefix)), which is reserved for the agent's own processes"
        }
        return nil
    }

    /// Ids with this prefix name the agent's own workloads (MediaMTX).
    public static let reservedPrefix = "camgate-"

    private init(reserved rawValue: String) {
        self.rawValue = rawValue
    }

    /// The key of the supervised MediaMTX server.
    public static let mediamtx = CameraID(reserved: "camgate-mediamtx")

    /// True for the agent's own workloads (not a camera).
    public var isReserved: Bool { rawValue.hasPrefix(CameraID.reservedPrefix) }

    public var description: String { rawValue }

    public static func < (lhs: CameraID, rhs: CameraID) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    /// Quotes untrusted text for an error message, escaping control characters.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(80) {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        if text.unicodeScalars.count > 80 { out += "…" }
        return out + "\""
    }
}
