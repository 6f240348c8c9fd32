import CamgateCore

/// A release version: `MAJOR.MINOR.PATCH` with an optional `-pre` suffix
/// (`0.2.0`, `1.0.0-rc.1`). Parsing is strict: no leading zeros, no `v`
/// prefix, no build metadata (`+…`), at most 64 characters. Ordering is
/// SemVer 2.0 precedence, which is total on these values: a pre-release
/// sorts before its release, numeric identifiers compare as numbers and
/// before alphanumeric ones.
public struct SoftwareVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var major: UInt32
    public var minor: UInt32
    public var patch: UInt32
    /// Dot-separated pre-release identifiers (`["rc", "1"]`); empty for a release.
    public var prerelease: [String]

    public init(_ major: UInt32, _ minor: UInt32, _ patch: UInt32, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// The running agent's own version (`CamgateCore.version`).
    public static var agent: SoftwareVersion {
        // The constant is tested to parse (SoftwareVersionTests).
        (try? SoftwareVersion(parsing: CamgateCore.version)) ?? SoftwareVersion(0, 0, 0)
    }

    public var description: String {
        let core = "\(major).\(minor).\(patch)"
        return prerelease.isEmpty ? core : core + "-" + prerelease.joined(separator: ".")
    }

    /// Parses a version; the error names the text and what is wrong.
    public init(parsing text: String) throws(ConfigurationError) {
        func fail(_ why: String) -> ConfigurationError {
            ConfigurationError(field: "", reason: "\(CameraID.quoted(text)) is not a version (MAJOR.MINOR.PATCH[-pre]): \(why)")
        }
        guard text.utf8.count <= 64 else { throw fail("longer than 64 characters") }
        let dash = text.firstIndex(of: "-")
        let core = dash.map { text[..<$0] } ?? text[...]
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { throw fail("expected three numbers separated by dots") }
        var parsed: [UInt32] = []
        for part in numbers {
            guard let n = Self.numericIdentifier(part), let value = UInt32(exactly: n) else {
                throw fail("\(CameraID.quoted(String(part))) is not a number without leading zeros")
            }
            parsed.append(value)
        }
        var pre: [String] = []
        if let dash {
            pre = text[text.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            for id in pre where !Self.isPrereleaseIdentifier(id) {
                throw fail("pre-release identifier \(CameraID.quoted(id)) must be letters, digits or '-', and a number has no leading zero")
            }
        }
        self.init(parsed[0], parsed[1], parsed[2], prerelease: pre)
    }

    /// Digits only, no leading zero (except "0"), at most 10 digits.
    static func numericIdentifier(_ s: Substring) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 10, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard s == "0" || s.first != "0" else { return nil }
        return UInt64(s)
    }

    static func isPrereleaseIdentifier(_ id: String) -> Bool {
        guard !id.isEmpty else { return false }
        let allowed = id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2D }
        let digits = id.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        return allowed && (!digits || numericIdentifier(Substring(id)) != nil)
    }

    public static func < (a: SoftwareVersion, b: SoftwareVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) {
            return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
        }
        // A release outranks any of its pre-releases.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (numericIdentifier(Substring(x)), numericIdentifier(Substring(y))) {
            case let (m?, n?): return m < n
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x.utf8.lexicographicallyPrecedes(y.utf8)
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}
