import CamgateCore
import LocalAPI
import Store

/// Cameras added, changed and removed through the API (standalone mode):
/// each edit is a new desired revision, written to the config file and the
/// store before the agent applies it. With a cloud, the cloud owns the
/// desired state and edits answer 409.
extension APIRoutes {
    func camera(_ id: CameraID, _ r: APIRequest) async throws -> APIResponse {
        switch r.method {
        case "GET", "HEAD":
            guard let camera = try await cameraList().first(where: { $0["id"]?.stringValue == id.rawValue }) else {
                throw APIError.notFound("no camera \(id)")
            }
            return .json(camera)
        case "PUT":
            let body = try r.jsonBody()
            let existed = await agent.desiredState.cameras[id] != nil
            let state = try await editDesired(reason: "camera \(id) \(existed ? "changed" : "added") through the API") { current in
                try current.replacingCamera(id, with: body)
            }
            let camera = try await cameraList().first { $0["id"]?.stringValue == id.rawValue } ?? .null
            return .json(.object(["revision": .int(state.revision), "camera": camera]), status: existed ? 200 : 201)
        case "DELETE":
            guard await agent.desiredState.cameras[id] != nil else { throw APIError.notFound("no camera \(id)") }
            let state = try await editDesired(reason: "camera \(id) removed through the API") { current in
                try current.replacingCamera(id, with: nil)
            }
            return .json(.object(["revision": .int(state.revision)]))
        default:
            throw APIError.methodNotAllowed(r.method, allowed: ["GET", "HEAD", "PUT", "DELETE"])
        }
    }

    /// Runs one edit at a time: read the applied state, change it, validate,
    /// write the config file and the store, apply.
    func editDesired(reason: String, deferRestart: @escaping @Sendable (DesiredState) -> Set<WorkloadKey> = { _ in [] },
                     _ change: @escaping @Sendable (DesiredState) throws -> DesiredState) async throws -> DesiredState {
        guard !context.cloudManaged else {
            throw APIError(409, "cloud_managed", "a cloud endpoint is configured, so the cloud owns the desired state: change cameras there")
        }
        let store = store, agent = agent, configFile = context.configFile
        return try await metrics.edits.run {
            let state = try change(await agent.desiredState)
            if let configFile {
                do { try ConfigFile.writeDesired(state, to: configFile) } catch {
                    throw APIError(500, "internal", "cannot write \(configFile): \(error)")
                }
            }
            try await store.saveDesiredState(state, origin: .local)
            await agent.apply(state, reason: reason, deferRestart: deferRestart(state))
            return state
        }
    }
}

extension DesiredState {
    /// This state with camera `id` replaced by `camera` (a desired-state
    /// camera document; nil removes it), one revision on, validated as
    /// strictly as the config file.
    func replacingCamera(_ id: CameraID, with camera: JSONValue?) throws -> DesiredState {
        guard case .object(var document) = json, case .object(var cameras)? = document["cameras"] else {
            throw APIError(500, "internal", "the desired state has no cameras object")
        }
        cameras[id.rawValue] = camera
        document["cameras"] = .object(cameras)
        document["revision"] = .int(revision + 1)
        do {
            return try DesiredState(json: .object(document), strict: true)
        } catch {
            throw APIError.badRequest("invalid camera: \(error)")
        }
    }
}

/// One edit at a time (an actor alone would interleave at its awaits).
public actor EditQueue {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}
