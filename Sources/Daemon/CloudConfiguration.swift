#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CloudLink
import Platform

/// `"cloud": {"endpoint": URL, "device_id": ID, "token_file": PATH, "ca_file": PATH}`.
public struct CloudConfiguration: Sendable, Equatable {
    public var endpoint: Endpoint
    public var deviceID: String
    /// The device token, one line, in a 0600 file (never on the command line).
    public var tokenFile: String
    /// Extra trust roots (PEM) for a private cloud; the system's are used too.
    public var caFile: String?

    public init(endpoint: Endpoint, deviceID: String, tokenFile: String, caFile: String? = nil) {
        self.endpoint = endpoint
        self.deviceID = deviceID
        self.tokenFile = tokenFile
        self.caFile = caFile
    }

    init(json: JSONValue, path: String) throws(ConfigurationError) {
        let reader = try JSONObjectReader(json, path: path)
        try reader.rejectUnknown(allowed: ["endpoint", "device_id", "token_file", "ca_file"])
        let endpointText = try reader.requiredString("endpoint")
        do { endpoint = try Endpoint(parsing: endpointText) } catch { throw error.nested(under: reader.fieldPath("endpoint")) }
        deviceID = try reader.requiredString("device_id")
        guard !deviceID.isEmpty, deviceID.utf8.count <= 128,
              deviceID.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }),
              deviceID.first != "." else {
            throw ConfigurationError(field: reader.fieldPath("device_id"), reason: "must be 1–128 characters of letters, digits, '-', '_' and '.'")
        }
        tokenFile = try reader.requiredString("token_file")
        guard tokenFile.hasPrefix("/") else {
            throw ConfigurationError(field: reader.fieldPath("token_file"), reason: "must be an absolute path")
        }
        caFile = try reader.string("ca_file")
        if let caFile, !caFile.hasPrefix("/") {
            throw ConfigurationError(field: reader.fieldPath("ca_file"), reason: "must be an absolute path")
        }
    }

    public var eventsEndpoint: Endpoint { endpoint.appending(path: "/v1/devices/\(deviceID)/events") }
    public var reportsEndpoint: Endpoint { endpoint.appending(path: "/v1/devices/\(deviceID)/reports") }

    /// Reads the token (first line of the file); nil when it cannot.
    public func readToken() -> String? {
        guard let text = try? FileSystem.readText(tokenFile, limit: 4096) else { return nil }
        let token = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return token.isEmpty ? nil : token
    }

    /// A problem with the token file worth a warning (readable by others).
    public func tokenFileWarning() -> String? {
        var st = stat()
        guard stat(tokenFile, &st) == 0 else { return "the token file \(tokenFile) cannot be read" }
        if st.st_mode & 0o077 != 0 { return "the token file \(tokenFile) is readable by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); use 0600" }
        return nil
    }
}
