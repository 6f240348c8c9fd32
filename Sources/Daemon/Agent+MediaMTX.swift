#if canImport(Glibc)
import Glibc
#endif
import CamgateCore
import Hardware
import Logging
import Media
import MediaMTX
import Platform
import Store
import Supervisor

extension Agent {
    // MARK: - MediaMTX


    /// The paths MediaMTX should have, per lifecycle type.
    public func mediamtxPaths() throws(MediaMTXRenderError) -> [MediaMTXPath] {
        try encodingPolicy.mediamtxPaths(desired, renderer: PathRenderer(camgate: options.camgatePath, dataDirectory: layout.root))
    }

    /// Brings MediaMTX's paths in line with the desired state (API and file)
    /// when they changed, or when the last attempt did not get through.
    public func syncMediaMTX(force: Bool = false) async {
        guard let mediamtx = options.mediamtx else { return }
        let status: MediaMTXStatus
        do {
            let paths = try mediamtxPaths()
            if !force, paths == appliedPaths, mediamtxStatus?.synced == true, mediamtxStatus?.apiUp == true { return }
            status = await mediamtx.apply(paths)
            if status.synced { appliedPaths = paths }
        } catch {
            status = MediaMTXStatus(apiUp: false, synced: false, reason: "\(error)")
        }
        let endpoints = await mediamtx.endpoints()
        mediamtxEndpoints = endpoints
        if status != mediamtxStatus {
            if let reason = status.reason { logger.warning("mediamtx: \(reason)") } else { logger.info("mediamtx: paths in step") }
        }
        mediamtxStatus = status
        try? await store.setMediaMTXState(MediaMTXStateRow(config: mediamtx.settings.config, apiAddress: endpoints.apiAddress,
                                                            rtspPort: endpoints.rtspPort, hlsPort: endpoints.hlsPort, webrtcPort: endpoints.webrtcPort,
                                                            apiUp: status.apiUp, synced: status.synced, reason: status.reason,
                                                            updatedAtMs: WallClock.nowMilliseconds()))
    }

    /// Asks MediaMTX's API whether it is alive. A MediaMTX the agent runs
    /// that stops answering (alive but hung) is restarted after three ticks.
    func checkMediaMTXHealth() async {
        guard let mediamtx = options.mediamtx else { return }
        // The file as the agent left it? A hand edit that removed or changed
        // its block would be hot-reloaded by MediaMTX (dropping the paths).
        if let applied = appliedPaths, let file = await mediamtx.currentFile(), !MediaMTXConfigFile.isInStep(file, paths: applied) {
            logger.warning("mediamtx: the agent's paths in \(mediamtx.settings.config) were changed by hand; writing them again")
            await syncMediaMTX(force: true)
        }
        let answered = await mediamtx.runtime() != nil
        if answered {
            mediamtxSilentTicks = 0
            if mediamtxStatus?.apiUp != true { await syncMediaMTX(force: true) }
            return
        }
        mediamtxSilentTicks += 1
        if var status = mediamtxStatus, status.apiUp {
            status.apiUp = false
            status.reason = "MediaMTX stopped answering on its API"
            mediamtxStatus = status
            await syncMediaMTX(force: true)
        }
        let key = WorkloadKey(camera: .mediamtx, role: .mediamtx)
        if mediamtxSilentTicks >= Agent.mediamtxUnhealthyTicks, await supervisor.child(key) != nil {
            logger.warning("mediamtx: no answer from its API for \(mediamtxSilentTicks) health checks; restarting it")
            try? await store.logEvent(.warning, "mediamtx", "MediaMTX did not answer its API; restarted")
            mediamtxSilentTicks = 0
            await stopWorkload(key, reason: "not answering its API")
        }
    }
}
