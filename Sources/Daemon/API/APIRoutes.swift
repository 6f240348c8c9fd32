import CamgateCore
import LocalAPI
import Logging
import Media
import Store

/// The local API's routes (docs/local-api.md): reads come from the store
/// and the agent, actions go to the agent, desired-state edits are stored
/// before they are applied. One value, no state of its own but the metrics.
public struct APIRoutes: APIHandler {
    /// What the routes may do beyond the agent and the store.
    public struct Context: Sendable {
        /// Leaves the cloud link's backoff now; nil when no cloud is configured.
        public var cloudReconnect: (@Sendable () async -> String)?
        /// A cloud endpoint is configured: it owns the desired state.
        public var cloudManaged = false
        /// The standalone config file API edits are written back to (so a restart keeps them).
        public var configFile: String?
        /// Events received on the cloud's stream since the agent started.
        public var cloudEventsReceived: (@Sendable () async -> Int)?
        /// The board profile and the box's health, read on each call.
        public var device: (@Sendable () -> DeviceReport)?
        /// The version running, the install's links and the last update, read on each call.
        public var software: (@Sendable () -> SoftwareReport)?
        /// The uploader's progress since start; nil when no uploader runs.
        public var uploadProgress: (@Sendable () async -> UploadProgress)?

        public init() {}
    }

    let store: Store
    let agent: Agent
    let hardware: any HardwareControl
    let layout: DataLayout
    let context: Context
    let metrics: APIMetrics
    let logger: Logger

    public init(store: Store, agent: Agent, hardware: any HardwareControl, layout: DataLayout, context: Context, metrics: APIMetrics, logger: Logger) {
        self.store = store
        self.agent = agent
        self.hardware = hardware
        self.layout = layout
        self.context = context
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        do {
            guard let segments = request.segments else {
                throw APIError.badRequest("the path is not valid (malformed escapes, or a segment that is '..', '.', or holds '/' or NUL)")
            }
            return try await route(APIRoute(segments), request)
        } catch let error as APIError {
            return .error(error)
        } catch {
            logger.error("api: \(request.method) \(request.rawPath): \(error)")
            return .error(APIError(500, "internal", "\(error)"))
        }
    }

    private func route(_ route: APIRoute, _ r: APIRequest) async throws -> APIResponse {
        switch route {
        case .page: try r.allow("GET"); return .text(StatusPage.html, contentType: "text/html; charset=utf-8")
        case .metrics: try r.allow("GET"); return .text(await renderMetrics(), contentType: PrometheusText.contentType)
        case .status: try r.allow("GET"); return .json(try await statusJSON())
        case .cameras: try r.allow("GET"); return .json(.object(["cameras": .array(try await cameraList())]))
        case .camera(let id): return try await camera(try CameraID.fromPath(id), r)
        case .snapshot(let id): try r.allow("GET"); return try await snapshot(try CameraID.fromPath(id))
        case .restart(let id): try r.allow("POST"); return try await restart(try CameraID.fromPath(id))
        case .timeline(let id): try r.allow("GET"); return .json(try await timeline(try CameraID.fromPath(id), r))
        case .recordings: try r.allow("GET"); return .json(try await recordings(r))
        case .recording(let id): try r.allow("GET"); return .json(try await recordingRow(id).apiJSON)
        case .uploads: try r.allow("GET"); return .json(try await uploads(r))
        case .download(let id): try r.allow("GET"); return try await download(id, r)
        case .inventory: try r.allow("GET"); return try await inventory()
        case .events: try r.allow("GET"); return .json(try await events(r))
        case .motion: try r.allow("GET"); return .json(try await motion(r))
        case .rescan: try r.allow("POST"); return .json(try await rescan())
        case .reconnect: try r.allow("POST"); return .json(await reconnect())
        case .cloud: try r.allow("GET"); return .json(try await CloudReport.status(store: store, agentRunning: true))
        case .cloudEvents: try r.allow("GET"); return .json(.object(["events": try await cloudEvents(r)]))
        case .streamStatus: try r.allow("GET"); return .json(try await streamStatus())
        case .streamStart: try r.allow("POST"); return try await streamStart(r)
        case .streamStop: try r.allow("POST"); return try await streamStop(r)
        case .configURLs: try r.allow("PUT"); return try await configURLs(r)
        case .unknown: throw APIError.notFound("no such route: \(r.rawPath)")
        }
    }

    private func rescan() async throws -> JSONValue {
        let summary = await hardware.rescan()
        await agent.reconcile(reason: "rescan_hardware")
        return .object(["ok": .bool(true), "message": .string(summary)])
    }

    private func reconnect() async -> JSONValue {
        guard let cloudReconnect = context.cloudReconnect else {
            return .object(["ok": .bool(false), "message": .string("no cloud link is configured")])
        }
        return .object(["ok": .bool(true), "message": .string(await cloudReconnect())])
    }

    private func cloudEvents(_ r: APIRequest) async throws -> JSONValue {
        let limit = Int(try r.intQuery("limit", in: 1...10_000) ?? 10_000)
        let dropped: Bool
        switch r.query["include_dropped"] {
        case nil, "false"?: dropped = false
        case "true"?: dropped = true
        default: throw APIError.badRequest("include_dropped must be true or false")
        }
        return try await CloudReport.events(store: store, limit: limit, includeDropped: dropped)
    }

    private func inventory() async throws -> APIResponse {
        guard let inventory = await hardware.currentInventory() else {
            throw APIError(503, "unavailable", "the hardware has not been probed yet")
        }
        return .json(inventory.json)
    }
}

/// The routes, from the path's decoded segments.
enum APIRoute: Equatable {
    case page, metrics, status, cameras, inventory, events, motion, rescan, reconnect, recordings, uploads, cloud, cloudEvents
    case camera(String), snapshot(String), restart(String), timeline(String)
    case recording(Int64), download(Int64)
    case streamStatus, streamStart, streamStop, configURLs
    case unknown

    init(_ s: [String]) {
        switch s.count {
        case 0: self = .page
        case 1: self = s == ["metrics"] ? .metrics : .unknown
        case 3 where s[0] == "api" && s[1] == "stream":
            switch s[2] {
            case "status": self = .streamStatus
            case "start": self = .streamStart
            case "stop": self = .streamStop
            default: self = .unknown
            }
        case 3 where s == ["api", "config", "urls"]: self = .configURLs
        default:
            guard s.count >= 3, s[0] == "api", s[1] == "v1" else { self = .unknown; return }
            self = APIRoute.v1(Array(s.dropFirst(2)))
        }
    }

    private static func v1(_ s: [String]) -> APIRoute {
        switch (s.first, s.count) {
        case ("status", 1): .status
        case ("cameras", 1): .cameras
        case ("cameras", 2): .camera(s[1])
        case ("cameras", 3):
            switch s[2] {
            case "snapshot": .snapshot(s[1])
            case "restart": .restart(s[1])
            case "timeline": .timeline(s[1])
            default: .unknown
            }
        case ("recordings", 1): .recordings
        case ("recordings", 2): Int64(s[1]).map(APIRoute.recording) ?? .unknown
        case ("recordings", 3) where s[2] == "download": Int64(s[1]).map(APIRoute.download) ?? .unknown
        case ("uploads", 1): .uploads
        case ("inventory", 1): .inventory
        case ("events", 1): .events
        case ("motion", 1): .motion
        case ("hardware", 2) where s[1] == "rescan": .rescan
        case ("cloud", 1): .cloud
        case ("cloud", 2) where s[1] == "reconnect": .reconnect
        case ("cloud", 2) where s[1] == "events": .cloudEvents
        default: .unknown
        }
    }
}

extension APIRequest {
    /// Throws 405 unless the method is `method` (HEAD counts as GET).
    func allow(_ method: String) throws {
        if self.method == method || (method == "GET" && self.method == "HEAD") { return }
        throw APIError.methodNotAllowed(self.method, allowed: method == "GET" ? ["GET", "HEAD"] : [method])
    }

    /// The body as JSON: 415 unless it says it is JSON, 400 when it is not.
    func jsonBody() throws -> JSONValue {
        let type = header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: " ").lowercased() }
        guard type == "application/json" else {
            throw APIError(415, "unsupported_media_type", "the body must be application/json")
        }
        guard !body.isEmpty else { throw APIError.badRequest("a JSON body is required") }
        do { return try JSONValue.parse(body) } catch { throw APIError.badRequest("the body is not valid JSON: \(error)") }
    }

    func intQuery(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text = query[name] else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func timeQuery(_ name: String) throws -> Int64? {
        guard let text = query[name] else { return nil }
        guard let ms = Timestamp.parseRFC3339(text) else { throw APIError.badRequest("\(name) must be an RFC 3339 time, e.g. 2026-11-29T10:00:00Z") }
        return ms
    }

    func cameraQuery() throws -> CameraID? {
        try query["camera"].map { try CameraID.fromPath($0) }
    }
}

extension CameraID {
    /// A camera id from a URL: 400 with the reason when it is not one.
    static func fromPath(_ text: String) throws -> CameraID {
        do { return try CameraID(text) } catch { throw APIError.badRequest("bad camera id: \(error)") }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
