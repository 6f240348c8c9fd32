#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// The config file's `api` section: the optional TCP listener.
///
/// ```json
/// "api": {"listen": "127.0.0.1:8080", "token_file": "/etc/camgate/api-token"}
/// ```
/// Off when absent. Any address may be named (`0.0.0.0:8080` to serve the
/// LAN), but it must be named: there is no default but loopback's absence.
public struct APISettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The bearer token, one line, in a 0600 file.
    public var tokenFile: String

    public init(json: JSONValue, path: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        try reader.rejectUnknown(allowed: ["listen", "token_file"])
        guard let listen = try reader.string("listen") else { throw ConfigurationError(field: "\(path).listen", reason: "is required (host:port)") }
        guard let tokenFile = try reader.string("token_file") else {
            throw ConfigurationError(field: "\(path).token_file", reason: "is required: every TCP request needs a bearer token")
        }
        (host, port) = try APISettings.parseListen(listen, field: "\(path).listen")
        guard tokenFile.hasPrefix("/") else { throw ConfigurationError(field: "\(path).token_file", reason: "must be an absolute path") }
        self.tokenFile = tokenFile
    }

    static func parseListen(_ text: String, field: String) throws(ConfigurationError) -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw ConfigurationError(field: field, reason: "expected host:port with a port from 1 to 65535, e.g. 127.0.0.1:8080")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".:-".contains($0) }) else {
            throw ConfigurationError(field: field, reason: "the host must be an address or a name")
        }
        return (host, port)
    }

    /// The token, or why it cannot be used (missing, empty, readable by others).
    public func readToken() -> Result<String, ConfigurationError> {
        var info = stat()
        guard stat(tokenFile, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            return .failure(ConfigurationError(field: "api.token_file", reason: "\(tokenFile) is not a readable regular file"))
        }
        guard info.st_mode & 0o077 == 0 else {
            return .failure(ConfigurationError(field: "api.token_file", reason: "\(tokenFile) is readable by group or others (mode \(String(info.st_mode & 0o777, radix: 8))); make it 0600"))
        }
        guard let text = try? FileSystem.readText(tokenFile, limit: 4096),
              let token = text.split(whereSeparator: \.isNewline).first.map(String.init), token.count >= 16 else {
            return .failure(ConfigurationError(field: "api.token_file", reason: "\(tokenFile) must hold a token of 16 characters or more on its first line"))
        }
        return .success(token)
    }
}
