import CamgateCore

/// An HTTP(S) URL the cloud link talks to: scheme, host, port, path (with
/// query). `http` is accepted only for loopback hosts; anything else must be
/// `https` with a verified certificate.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// Starts with "/"; may carry a query.
    public var path: String

    public init(parsing text: String) throws(ConfigurationError) {
        try SourceValidation.checkURL(text, schemes: ["http", "https"])
        let sep = text.firstRange(of: "://")!
        secure = text[..<sep.lowerBound].lowercased() == "https"
        var rest = text[sep.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.contains("@") else {
            throw ConfigurationError(field: "", reason: "credentials in the endpoint URL are not allowed; use token_file")
        }
        var p = String(rest[authorityEnd...])
        if p.isEmpty || p.hasPrefix("?") { p = "/" + p }
        path = p
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw ConfigurationError(field: "", reason: "malformed IPv6 host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = try Endpoint.port(after.hasPrefix(":") ? String(after.dropFirst()) : "", secure: secure)
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw ConfigurationError(field: "", reason: "malformed host \(CameraID.quoted(String(authority)))") }
            host = String(parts[0]).lowercased()
            port = try Endpoint.port(parts.count == 2 ? String(parts[1]) : "", secure: secure)
        }
        guard secure || isLoopback else {
            throw ConfigurationError(field: "", reason: "http:// is allowed only for loopback endpoints; use https:// (TLS with certificate verification)")
        }
    }

    private static func port(_ text: String, secure: Bool) throws(ConfigurationError) -> Int {
        if text.isEmpty { return secure ? 443 : 80 }
        guard let p = Int(text), (1...65535).contains(p) else { throw ConfigurationError(field: "", reason: "invalid port \(CameraID.quoted(text))") }
        return p
    }

    /// `localhost`, `::1` or an IPv4 literal in 127.0.0.0/8 (a DNS name
    /// such as `127.example.com` is not).
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
    }

    /// Same scheme, host and port.
    public func sameOrigin(_ other: Endpoint) -> Bool {
        secure == other.secure && host == other.host && port == other.port
    }

    /// True when `host` is an IP literal (no SNI for those).
    public var hostIsIPAddress: Bool {
        host.contains(":") || host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
    }

    /// `Host:` header value.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// This endpoint with `suffix` appended to its path (`/v1/...`).
    public func appending(path suffix: String) -> Endpoint {
        var copy = self
        // A query stays at the end: /base?x=1 + /v1/… → /base/v1/…?x=1.
        let (pathPart, query) = path.firstIndex(of: "?").map { (String(path[..<$0]), String(path[$0...])) } ?? (path, "")
        let base = pathPart.hasSuffix("/") ? String(pathPart.dropLast()) : pathPart
        copy.path = base + suffix + query
        return copy
    }

    /// Resolves a `Location` header against this URL.
    public func resolving(_ location: String) throws(ConfigurationError) -> Endpoint {
        if location.contains("://") { return try Endpoint(parsing: location) }
        var copy = self
        copy.path = location.hasPrefix("/") ? location : (path.split(separator: "/").dropLast().joined(separator: "/") + "/" + location)
        if !copy.path.hasPrefix("/") { copy.path = "/" + copy.path }
        return copy
    }

    public var description: String { "\(secure ? "https" : "http")://\(hostHeader)\(path)" }
}
