import CamgateCore
import CloudLink
import MediaMTX
import Platform
import Store

/// Where each camera can be watched, and by how many, for `camgate view`
/// and `camgate status`. Reads MediaMTX's runtime state live (1 s timeout).
public struct ViewingReport: Sendable {
    public struct Path: Sendable {
        public var name: String
        public var rtsp: String
        public var hls: String
        public var webrtc: String
        public var viewers: Int?
        public var ready: Bool?
    }

    public var camera: CameraID
    public var enabled: Bool
    /// Why viewing is not available, when it is not.
    public var unavailable: String?
    public var paths: [Path]

    public static func build(store: Store, desired: DesiredState, only: CameraID? = nil) async -> [ViewingReport] {
        let state = try? await store.mediamtxState()
        var runtime: [String: MediaMTXPathState]?
        var apiProblem: String?
        if let state {
            do {
                let transport = try HTTPTransport()
                do {
                    var api = try MediaMTXAPI(transport: transport, address: state.apiAddress)
                    api.timeout = .seconds(1)
                    runtime = Dictionary(try await api.runtimePaths().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                } catch {
                    apiProblem = "MediaMTX is not answering on \(state.apiAddress): \(error)"
                }
                await transport.shutdown()
            } catch {
                apiProblem = "cannot reach MediaMTX: \(error)"
            }
        }
        let host = MediaMTXEndpoints.hostAddress()
        // The variants the agent actually configured (a variant exists only
        // below the camera's own size), read from its block of the file.
        let configured = Set(state.flatMap { try? FileSystem.readText($0.config) }.map(MediaMTXConfigFile.managedNames) ?? [])
        var reports: [ViewingReport] = []
        for (id, spec) in desired.sortedCameras where only == nil || only == id {
            var report = ViewingReport(camera: id, enabled: spec.view, unavailable: nil, paths: [])
            guard let state else {
                report.unavailable = "MediaMTX is not configured (add \"mediamtx\": {\"config\": …} to the agent's configuration)"
                reports.append(report)
                continue
            }
            if !spec.view { report.unavailable = "viewing is not enabled for this camera (\"view\": false)" }
            else if let reason = state.reason, !state.synced { report.unavailable = reason }
            else if let apiProblem { report.unavailable = apiProblem }
            var endpoints = MediaMTXEndpoints(configuration: nil)
            endpoints.rtspPort = state.rtspPort
            endpoints.hlsPort = state.hlsPort
            endpoints.webrtcPort = state.webrtcPort
            let variants = spec.view ? Variant.ladder.map { "\(id.rawValue)_\($0.name)" }.filter(configured.contains) : []
            let names = [id.rawValue] + variants
            for name in names {
                let urls = endpoints.urls(path: name, host: host)
                let live = runtime?[name]
                report.paths.append(Path(name: name, rtsp: urls.rtsp, hls: urls.hls, webrtc: urls.webrtc,
                                         viewers: runtime == nil ? nil : (live?.readers ?? 0), ready: runtime == nil ? nil : (live?.ready ?? false)))
            }
            reports.append(report)
        }
        return reports
    }

    public static func apiAnswers(_ address: String) async -> Bool {
        guard let transport = try? HTTPTransport() else { return false }
        var answered = false
        if var api = try? MediaMTXAPI(transport: transport, address: address) {
            api.timeout = .seconds(1)
            answered = (try? await api.ping()) != nil
        }
        await transport.shutdown()
        return answered
    }

    public var json: JSONValue {
        .object([
            "camera": .string(camera.rawValue), "view": .bool(enabled),
            "unavailable": unavailable.map { .string($0) } ?? .null,
            "paths": .array(paths.map { p in
                .object(["name": .string(p.name), "rtsp": .string(p.rtsp), "hls": .string(p.hls), "webrtc": .string(p.webrtc),
                         "viewers": p.viewers.map { .int(Int64($0)) } ?? .null, "ready": p.ready.map { .bool($0) } ?? .null])
            }),
        ])
    }

    public var text: String {
        var lines = ["camera \(camera): viewing \(unavailable == nil ? "available" : "unavailable: \(unavailable!)")"]
        for p in paths {
            let viewers = p.viewers.map { "\($0) viewer\($0 == 1 ? "" : "s")" } ?? "viewers unknown"
            lines.append("  \(p.name)  (\(viewers)\(p.ready == true ? ", live" : ""))")
            lines.append("    rtsp:   \(p.rtsp)")
            lines.append("    hls:    \(p.hls)")
            lines.append("    webrtc: \(p.webrtc)")
        }
        return lines.joined(separator: "\n")
    }
}
