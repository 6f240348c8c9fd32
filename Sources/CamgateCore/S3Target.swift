/// Where a standalone agent uploads (no cloud to presign for it): the
/// config file's `"s3": {"endpoint", "bucket", "region", "credentials_file",
/// "prefix"}`. Parsed and validated only; the keys stay in their file.
public struct S3Target: Hashable, Sendable {
    public static let fields: Set<String> = ["endpoint", "bucket", "region", "credentials_file", "prefix"]
    public static let defaultRegion = "us-east-1"

    /// `https://host[:port][/path]`; `http://` only for a loopback host.
    public var endpoint: String
    public var bucket: String
    public var region: String
    /// An absolute path to the file holding the access key pair.
    public var credentialsFile: String
    /// Prepended to every object key; empty for none.
    public var prefix: String

    public init(json: JSONValue, path: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        try reader.rejectUnknown(allowed: S3Target.fields)
        endpoint = try reader.requiredString("endpoint")
        do { try S3Target.checkEndpoint(endpoint) } catch { throw error.nested(under: reader.fieldPath("endpoint")) }
        bucket = try reader.requiredString("bucket")
        if let reason = S3Target.bucketProblem(bucket) { throw ConfigurationError(field: reader.fieldPath("bucket"), reason: reason) }
        region = try reader.string("region") ?? S3Target.defaultRegion
        if let reason = S3Target.regionProblem(region) { throw ConfigurationError(field: reader.fieldPath("region"), reason: reason) }
        credentialsFile = try reader.requiredString("credentials_file")
        do { try S3Target.checkAbsolutePath(credentialsFile) } catch { throw error.nested(under: reader.fieldPath("credentials_file")) }
        prefix = try reader.string("prefix") ?? ""
        do { _ = try ObjectKey.prefixComponents(prefix) } catch {
            throw ConfigurationError(field: reader.fieldPath("prefix"), reason: error.reason)
        }
        guard prefix.utf8.count <= 256 else {
            throw ConfigurationError(field: reader.fieldPath("prefix"), reason: "is \(prefix.utf8.count) bytes; at most 256 leave room for the rest of the key")
        }
    }

    public var json: JSONValue {
        .object(["endpoint": .string(endpoint), "bucket": .string(bucket), "region": .string(region),
                 "credentials_file": .string(credentialsFile), "prefix": .string(prefix)])
    }

    /// The cloud endpoint's rule (HTTPClient's `Endpoint`), restated here:
    /// http or https, a host, no credentials, no query or fragment; `http`
    /// only for `localhost`, `::1` or 127.0.0.0/8.
    public static func checkEndpoint(_ url: String) throws(ConfigurationError) {
        try SourceValidation.checkURL(url, schemes: ["http", "https"])
        let sep = url.firstRange(of: "://")!
        let rest = url[sep.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else {
            throw ConfigurationError(field: "", reason: "credentials in the endpoint URL are not allowed; use credentials_file")
        }
        guard !rest.contains("?"), !rest.contains("#") else {
            throw ConfigurationError(field: "", reason: "an S3 endpoint has no query or fragment")
        }
        let secure = url[..<sep.lowerBound].lowercased() == "https"
        guard secure || isLoopback(host: host(of: authority)) else {
            throw ConfigurationError(field: "", reason: "http:// is allowed only for loopback endpoints; use https:// (TLS with certificate verification)")
        }
    }

    static func host(of authority: Substring) -> String {
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }).lowercased() }
        return String(authority.split(separator: ":", omittingEmptySubsequences: false).first ?? "").lowercased()
    }

    /// `localhost`, `::1` or an IPv4 literal in 127.0.0.0/8 (not a DNS name such as `127.example.com`).
    public static func isLoopback(host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
    }

    /// S3's bucket naming rules (general purpose buckets): 3–63 of
    /// lowercase letters, digits, '.' and '-', a letter or digit at each
    /// end, no "..", not an IPv4 address.
    public static func bucketProblem(_ name: String) -> String? {
        let u = Array(name.utf8)
        guard (3...63).contains(u.count) else { return "must be 3–63 characters (got \(u.count))" }
        let isAlnum = { (c: UInt8) in (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        guard u.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }) else {
            return "\(CameraID.quoted(name)): only lowercase letters, digits, '.' and '-' are allowed"
        }
        guard isAlnum(u.first!), isAlnum(u.last!) else { return "\(CameraID.quoted(name)) must start and end with a letter or a digit" }
        if name.contains("..") { return "\(CameraID.quoted(name)) contains \"..\"" }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        if octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) { return "\(CameraID.quoted(name)) is formatted as an IP address" }
        return nil
    }

    /// A region name: 1–32 of lowercase letters, digits and '-' (`eu-west-1`, `us-east-1`, MinIO's own).
    public static func regionProblem(_ region: String) -> String? {
        let u = region.utf8
        guard (1...32).contains(u.count), u.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "-") }) else {
            return "\(CameraID.quoted(region)) must be 1–32 lowercase letters, digits and '-'"
        }
        return nil
    }

    /// An absolute file path: starts with '/', no '.' or '..' component, no
    /// control characters, at most 4096 bytes.
    public static func checkAbsolutePath(_ path: String) throws(ConfigurationError) {
        guard path.hasPrefix("/"), path.count > 1 else {
            throw ConfigurationError(field: "", reason: "must be an absolute path (got \(CameraID.quoted(path)))")
        }
        guard path.utf8.count <= 4096 else { throw ConfigurationError(field: "", reason: "is longer than 4096 bytes") }
        if path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw ConfigurationError(field: "", reason: "must not contain '.' or '..' components (got \(CameraID.quoted(path)))")
        }
        if let bad = path.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ConfigurationError(field: "", reason: "contains a control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
    }
}
