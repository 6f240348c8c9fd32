#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// `"mediamtx": {"config": PATH, "binary": PATH}` in the agent's config
/// file. With `binary`, the agent runs MediaMTX itself (supervised); without
/// it, a MediaMTX managed elsewhere reads `config`.
public struct MediaMTXSettings: Hashable, Sendable {
    public var config: String
    public var binary: String?

    public init(config: String, binary: String? = nil) {
        self.config = config
        self.binary = binary
    }

    public init(json: JSONValue, path: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        try reader.rejectUnknown(allowed: ["config", "binary"])
        config = try reader.requiredString("config")
        binary = try reader.string("binary")
        for (key, value) in [("config", config), ("binary", binary)] {
            guard let value else { continue }
            guard value.hasPrefix("/") else { throw ConfigurationError(field: reader.fieldPath(key), reason: "must be an absolute path") }
            if value.contains("$") { throw ConfigurationError(field: reader.fieldPath(key), reason: "must not contain '$'") }
        }
    }

    public var json: JSONValue {
        .object(["config": .string(config), "binary": binary.map { .string($0) } ?? .null])
    }
}

/// What the agent reads back from MediaMTX's configuration: where its API
/// and servers listen.
public struct MediaMTXEndpoints: Hashable, Sendable {
    public var apiAddress: String
    public var rtspPort: Int
    public var hlsPort: Int
    public var webrtcPort: Int

    public static let defaultAPIPort = 9997

    /// From the configuration text (defaults as in the reference file). The
    /// API is always put on loopback.
    public init(configuration text: String?) {
        let doc = text.flatMap { try? YAMLParser.parse($0) }
        func port(_ key: String, _ fallback: Int) -> Int {
            guard let address = doc?[key]?.stringValue, let colon = address.lastIndex(of: ":"), let p = Int(address[address.index(after: colon)...]) else { return fallback }
            return p
        }
        apiAddress = "127.0.0.1:\(port("apiAddress", MediaMTXEndpoints.defaultAPIPort))"
        rtspPort = port("rtspAddress", 8554)
        hlsPort = port("hlsAddress", 8888)
        webrtcPort = port("webrtcAddress", 8889)
    }

    /// The viewing URLs of a path, on `host`.
    public func urls(path: String, host: String) -> (rtsp: String, hls: String, webrtc: String) {
        ("rtsp://\(host):\(rtspPort)/\(path)", "http://\(host):\(hlsPort)/\(path)/", "http://\(host):\(webrtcPort)/\(path)/")
    }

    /// The machine's first non-loopback IPv4 address, for URLs others can open.
    public static func hostAddress() -> String {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return "127.0.0.1" }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(addr, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.hasPrefix("127.") { return text }
        }
        return "127.0.0.1"
    }
}
