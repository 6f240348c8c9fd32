import CamgateCore

/// One HTTP request to the local API, read whole (bodies are small: 1 MiB at most).
public struct APIRequest: Sendable {
    public var method: String
    /// The path as sent, without the query.
    public var rawPath: String
    public var query: [String: String]
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Came in on the TCP listener (not the Unix socket).
    public var viaTCP: Bool

    public init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8], viaTCP: Bool) {
        self.method = method
        self.headers = headers
        self.body = body
        self.viaTCP = viaTCP
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        rawPath = String(parts.first ?? "")
        query = parts.count > 1 ? APIRequest.parseQuery(String(parts[1])) : [:]
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The path's segments, each percent-decoded; nil when a segment is not
    /// valid UTF-8 or decodes to something that could walk a path (`/`,
    /// `..`, NUL).
    public var segments: [String]? {
        var out: [String] = []
        for raw in rawPath.split(separator: "/", omittingEmptySubsequences: true) {
            guard let decoded = PercentEncoding.decode(String(raw)),
                  !decoded.contains("/"), !decoded.contains("\0"), decoded != "..", decoded != "." else { return nil }
            out.append(decoded)
        }
        return out
    }

    static func parseQuery(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = PercentEncoding.decode(String(kv[0]), plusIsSpace: true) ?? ""
            let value = kv.count > 1 ? PercentEncoding.decode(String(kv[1]), plusIsSpace: true) ?? "" : ""
            if !key.isEmpty, out[key] == nil { out[key] = value }
        }
        return out
    }
}

/// An answer: status, headers and a body held in memory or read from a file.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// `length` bytes of the file at `path` from `offset` (a download), streamed.
        case file(path: String, offset: Int64, length: Int64)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSONValue, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("content-type", "application/json")], body: .bytes(Array((value.serialized() + "\n").utf8)))
    }

    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8", status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("content-type", contentType)], body: .bytes(Array(text.utf8)))
    }

    public static func error(_ error: APIError) -> APIResponse {
        var response = json(.object(["error": .object(["code": .string(error.code), "message": .string(error.message)])]), status: error.status)
        if error.status == 401 { response.headers.append(("www-authenticate", "Bearer")) }
        response.headers += error.headers
        return response
    }
}

/// A failed request: the HTTP status, a stable code and a message for people.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    public var headers: [(name: String, value: String)] = []

    public init(_ status: Int, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }

    public static func badRequest(_ message: String) -> APIError { APIError(400, "bad_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(404, "not_found", message) }
    public static func methodNotAllowed(_ method: String, allowed: [String]) -> APIError {
        var error = APIError(405, "method_not_allowed", "\(method) is not allowed here; use \(allowed.joined(separator: ", "))")
        error.headers = [("allow", allowed.joined(separator: ", "))]
        return error
    }
}

/// What answers the API's requests (the daemon's routes; a test's fake).
public protocol APIHandler: Sendable {
    func handle(_ request: APIRequest) async -> APIResponse
}

/// RFC 3986 percent-decoding (no Foundation).
public enum PercentEncoding {
    /// nil when an escape is malformed or the bytes are not UTF-8.
    public static func decode(_ text: String, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Escapes everything but unreserved characters (for a path segment or query value).
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
