import CamgateCore
import LocalAPI
import Store

/// Seed 001's stream routes, mapped onto cameras and their restreams: a
/// "stream" is a camera's restream to RTMP, `stream_id` its camera id.
extension APIRoutes {
    func streamStatus() async throws -> JSONValue {
        let desired = await agent.desiredState
        let states = await agent.restreamStates
        let streams: [JSONValue] = desired.sortedCameras.compactMap { id, spec in
            guard spec.source.rtspURL != nil || spec.restream != nil else { return nil }
            let status = spec.restream == nil ? "stopped" : states[id] ?? "starting"
            return .object(["stream_id": .string(id.rawValue), "status": .string(status),
                            "rtsp_url": spec.source.rtspURL.map { .string(Redactor.redactURL($0)) } ?? .null,
                            "rtmp_url": spec.restream.map { .string(Redactor.redactURL($0.url)) } ?? .null])
        }
        return .object(["streams": .array(streams)])
    }

    func streamStart(_ r: APIRequest) async throws -> APIResponse {
        let body = try SeedBody(r, required: false)
        let id = try await streamCamera(body)
        let hasDestination = await agent.desiredState.cameras[id]?.restream != nil
        guard body.rtmp != nil || hasDestination else {
            throw APIError.badRequest("\(id) has no RTMP destination: give rtmp_url")
        }
        _ = try await editDesired(reason: "stream \(id) started through the API") { current in
            try current.settingURLs(of: id, rtsp: body.rtsp, rtmp: body.rtmp)
        }
        return .json(.object(["success": .bool(true), "stream_id": .string(id.rawValue), "message": .string("restream of \(id) started")]))
    }

    func streamStop(_ r: APIRequest) async throws -> APIResponse {
        let body = try SeedBody(r, required: false)
        let id = try await streamCamera(body)
        _ = try await editDesired(reason: "stream \(id) stopped through the API") { current in
            try current.settingURLs(of: id, rtsp: nil, rtmp: "")
        }
        return .json(.object(["success": .bool(true), "stream_id": .string(id.rawValue),
                              "message": .string("restream of \(id) stopped; its RTMP URL was removed")]))
    }

    /// `PUT /api/config/urls`: both URLs checked, then applied; without
    /// `restart_stream` running processes keep theirs until they restart.
    func configURLs(_ r: APIRequest) async throws -> APIResponse {
        let body = try SeedBody(r, required: true, restartField: true)
        let id = try await streamCamera(body)
        var errors: [String] = []
        if body.rtsp == nil { errors.append("rtsp_url is required") }
        if body.rtmp == nil { errors.append("rtmp_url is required") }
        if let rtsp = body.rtsp, let problem = URLCheck.problem(rtsp, schemes: ["rtsp", "rtsps"]) { errors.append("rtsp_url: \(problem)") }
        if let rtmp = body.rtmp, let problem = URLCheck.problem(rtmp, schemes: ["rtmp", "rtmps"]) { errors.append("rtmp_url: \(problem)") }
        guard errors.isEmpty else {
            return .json(.object(["success": .bool(false), "validated": .bool(false), "errors": .array(errors.map(JSONValue.string))]), status: 400)
        }
        let restart = body.restartStream
        let deferred: @Sendable (DesiredState) -> Set<WorkloadKey> = { _ in
            restart ? [] : Set(WorkloadRole.allCases.map { WorkloadKey(camera: id, role: $0) })
        }
        _ = try await editDesired(reason: "urls of \(id) set through the API", deferRestart: deferred) { current in
            try current.settingURLs(of: id, rtsp: body.rtsp, rtmp: body.rtmp)
        }
        return .json(.object(["success": .bool(true), "validated": .bool(true), "errors": .array([]), "stream_id": .string(id.rawValue)]))
    }

    /// The camera a seed request means: `stream_id`, or the only camera
    /// with an RTSP source or a restream.
    private func streamCamera(_ body: SeedBody) async throws -> CameraID {
        let desired = await agent.desiredState
        if let given = body.streamID {
            let id = try CameraID.fromPath(given)
            guard desired.cameras[id] != nil else { throw APIError.notFound("no camera \(id)") }
            return id
        }
        let streams = desired.sortedCameras.filter { $0.1.source.rtspURL != nil || $0.1.restream != nil }.map(\.0)
        guard streams.count == 1 else {
            throw APIError.badRequest("stream_id is required: \(streams.count) cameras could be meant")
        }
        return streams[0]
    }
}

/// The body of a seed route: an object with only the fields it knows,
/// each of its type (an empty body is none, where allowed).
struct SeedBody {
    var streamID: String?
    var rtsp: String?
    var rtmp: String?
    var restartStream = false

    /// - Parameter restartField: `PUT /api/config/urls`, which also reports
    ///   bad URLs itself (in its `errors`); the other routes refuse them here.
    init(_ r: APIRequest, required: Bool, restartField: Bool = false) throws {
        if r.body.isEmpty && !required { return }
        guard case .object(let fields) = try r.jsonBody() else { throw APIError.badRequest("the body must be a JSON object") }
        let known: Set<String> = restartField ? ["stream_id", "rtsp_url", "rtmp_url", "restart_stream"] : ["stream_id", "rtsp_url", "rtmp_url"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.badRequest("unknown field \(CameraID.quoted(unknown)); expected \(known.sorted().joined(separator: ", "))")
        }
        func string(_ name: String) throws -> String? {
            guard let value = fields[name], value != .null else { return nil }
            guard let text = value.stringValue else { throw APIError.badRequest("\(name) must be a string") }
            return text
        }
        streamID = try string("stream_id")
        rtsp = try string("rtsp_url")
        rtmp = try string("rtmp_url")
        if !restartField {
            if let rtsp, let problem = URLCheck.problem(rtsp, schemes: ["rtsp", "rtsps"]) { throw APIError.badRequest("rtsp_url: \(problem)") }
            if let rtmp, !rtmp.isEmpty, let problem = URLCheck.problem(rtmp, schemes: ["rtmp", "rtmps"]) { throw APIError.badRequest("rtmp_url: \(problem)") }
        }
        switch fields["restart_stream"] {
        case nil, .null?: break
        case .bool(let flag)?: restartStream = flag
        default: throw APIError.badRequest("restart_stream must be true or false")
        }
    }
}

extension DesiredState {
    /// A camera's RTSP source and RTMP destination replaced (nil keeps one,
    /// an empty `rtmp` removes the restream), validated, one revision on.
    func settingURLs(of id: CameraID, rtsp: String?, rtmp: String?) throws -> DesiredState {
        guard case .object(let all)? = json["cameras"], case .object(var camera)? = all[id.rawValue] else {
            throw APIError.notFound("no camera \(id)")
        }
        if let rtsp { camera["source"] = .object(["kind": .string("rtsp"), "url": .string(rtsp)]) }
        if let rtmp { camera["restream"] = rtmp.isEmpty ? nil : .object(["url": .string(rtmp)]) }
        return try replacingCamera(id, with: .object(camera))
    }
}

/// A URL's problem, as the desired state would state it (nil when fine).
enum URLCheck {
    static func problem(_ url: String, schemes: Set<String>) -> String? {
        do throws(ConfigurationError) {
            try SourceValidation.checkURL(url, schemes: schemes)
            return nil
        } catch {
            return error.reason
        }
    }
}
