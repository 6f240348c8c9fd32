import CamgateCore
import HTTPClient

/// An error answered by the Control API (`{"status": "error", "error": …}`)
/// or met on the way to it.
public struct MediaMTXAPIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The HTTP status; nil when MediaMTX could not be reached.
    public var status: Int?
    public var message: String
    /// The request that got it (`POST /v3/config/paths/add/x`).
    public var request: String = ""

    public init(status: Int?, message: String, request: String = "") {
        self.status = status
        self.message = message
        self.request = request
    }

    public var description: String {
        status.map { "MediaMTX API answered \($0): \(message)" } ?? "MediaMTX API unreachable: \(message)"
    }

    public var isUnreachable: Bool { status == nil || status! >= 500 }

    public static func == (a: MediaMTXAPIError, b: MediaMTXAPIError) -> Bool {
        a.status == b.status && a.message == b.message
    }

    /// MediaMTX refused a path configuration (400 on add, patch or
    /// replace): writing it to the file would make MediaMTX exit. Any other
    /// answer (401/403 of an API with auth, a 404 of an older API…) says
    /// nothing about the configuration.
    public var rejectsConfiguration: Bool {
        status == 400 && ["/paths/add/", "/paths/patch/", "/paths/replace/"].contains { request.contains($0) }
    }
}

/// A path as MediaMTX runs it (`/v3/paths/list`).
public struct MediaMTXPathState: Sendable, Equatable {
    public var name: String
    public var ready: Bool
    public var readers: Int
    public var source: String?
}

/// The MediaMTX Control API v3: path configurations and runtime state.
public struct MediaMTXAPI: Sendable {
    public let transport: HTTPTransport
    public let base: Endpoint
    public var timeout: Duration

    public init(transport: HTTPTransport, address: String, timeout: Duration = .seconds(3)) throws(ConfigurationError) {
        self.transport = transport
        let hostPort = address.hasPrefix(":") ? "127.0.0.1\(address)" : address
        self.base = try Endpoint(parsing: "http://\(hostPort)")
        self.timeout = timeout
    }

    /// Every path configuration, by name.
    public func pathConfigs() async throws(MediaMTXAPIError) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        var page = 0
        while true {
            let body = try await request(.GET, "/v3/config/paths/list?itemsPerPage=1000&page=\(page)")
            guard case .array(let items)? = body["items"] else { throw MediaMTXAPIError(status: 200, message: "no items in the path list") }
            for item in items { if let name = item["name"]?.stringValue { result[name] = item } }
            page += 1
            if page >= Int(body["pageCount"]?.int64Value ?? 1) { return result }
        }
    }

    public func add(_ name: String, _ conf: JSONValue) async throws(MediaMTXAPIError) {
        _ = try await request(.POST, "/v3/config/paths/add/\(name)", body: conf)
    }

    public func patch(_ name: String, _ conf: JSONValue) async throws(MediaMTXAPIError) {
        _ = try await request(.PATCH, "/v3/config/paths/patch/\(name)", body: conf)
    }

    public func replace(_ name: String, _ conf: JSONValue) async throws(MediaMTXAPIError) {
        _ = try await request(.POST, "/v3/config/paths/replace/\(name)", body: conf)
    }

    public func delete(_ name: String) async throws(MediaMTXAPIError) {
        _ = try await request(.DELETE, "/v3/config/paths/delete/\(name)")
    }

    /// Running paths: readiness and readers.
    public func runtimePaths() async throws(MediaMTXAPIError) -> [MediaMTXPathState] {
        var result: [MediaMTXPathState] = []
        var page = 0
        while true {
            let body = try await request(.GET, "/v3/paths/list?itemsPerPage=1000&page=\(page)")
            guard case .array(let items)? = body["items"] else { throw MediaMTXAPIError(status: 200, message: "no items in the path list") }
            for item in items {
                guard let name = item["name"]?.stringValue else { continue }
                var readers = 0
                if case .array(let list)? = item["readers"] { readers = list.count }
                let ready = item["ready"] == .bool(true) || item["available"] == .bool(true)
                result.append(MediaMTXPathState(name: name, ready: ready, readers: readers, source: item["source"]?["type"]?.stringValue))
            }
            page += 1
            if page >= Int(body["pageCount"]?.int64Value ?? 1) { return result }
        }
    }

    /// Answers when MediaMTX's API answers (health).
    public func ping() async throws(MediaMTXAPIError) {
        _ = try await request(.GET, "/v3/config/global/get")
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: JSONValue? = nil) async throws(MediaMTXAPIError) -> JSONValue {
        var endpoint = base
        endpoint.path = path
        let bytes = body.map { Array($0.serialized().utf8) }
        let response: (status: Int, body: [UInt8])
        do {
            response = try await transport.send(HTTPRequest(method: method, endpoint: endpoint,
                                                            headers: bytes == nil ? [] : [("Content-Type", "application/json")], body: bytes),
                                                timeout: timeout, limit: 16 << 20)
        } catch {
            throw MediaMTXAPIError(status: nil, message: HTTPTransport.describe(error), request: "\(method.rawValue) \(path)")
        }
        let json = (try? JSONValue.parse(response.body)) ?? .null
        guard (200..<300).contains(response.status) else {
            throw MediaMTXAPIError(status: response.status, message: json["error"]?.stringValue ?? String(decoding: response.body.prefix(200), as: UTF8.self),
                                   request: "\(method.rawValue) \(path)")
        }
        return json
    }
}
