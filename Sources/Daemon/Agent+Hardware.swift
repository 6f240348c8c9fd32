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
    // MARK: - Hardware

    /// Probes the hardware. `full` repeats the trial encodes; otherwise the
    /// encoder results cached for this boot and this hardware are reused.
    public func refreshInventory(full: Bool) async {
        guard let hardware = options.hardware else { return }
        var cached: (fingerprint: String, encoders: [EncoderCandidate])?
        if !full, let row = try? await store.cachedEncoderProbe(bootID: supervisor.bootID),
           case .array(let items)? = try? JSONValue.parse(row.encoders) {
            cached = (row.fingerprint, items.compactMap(EncoderCandidate.init(json:)))
        }
        let result = await hardware.run(cached: cached)
        if cached?.fingerprint != result.fingerprint {
            try? await store.saveEncoderProbe(bootID: supervisor.bootID, fingerprint: result.fingerprint,
                                              encoders: JSONValue.array(result.encoders.map(\.json)).serialized())
            let usable = result.encoders.filter(\.usable).map { "\($0.backend.rawValue)\($0.device == "-" ? "" : " \($0.device)")" }
            logger.info("hardware: \(result.cameras.count) cameras, usable encoders: \(usable.joined(separator: ", ")) (probed in \(result.durationMs) ms)")
            try? await store.logEvent(.info, "hardware", "probed: \(result.cameras.count) cameras; usable encoders: \(usable.joined(separator: ", "))")
        }
        inventory = result
        for listener in inventoryListeners { await listener(result) }
    }

    /// V4L2 nodes changed (hotplug): re-read the cameras (no trial encode)
    /// and reconcile: a camera that came back records again.
    public func camerasChanged() async {
        guard let hardware = options.hardware else {
            await reconcile(reason: "hotplug")
            return
        }
        let nodes = hardware.cameras()
        if var current = inventory {
            current.nodes = nodes
            inventory = current
            for listener in inventoryListeners { await listener(current) }
        } else {
            await refreshInventory(full: false)
        }
        logger.info("hardware: video devices changed: \(nodes.filter { $0.kind == .capture }.map(\.path).joined(separator: ", "))")
        await reconcile(reason: "hotplug")
    }

    /// Uses `inventory` as if probed (tests; `camgate detect` output replayed).
    func install(_ inventory: Inventory) {
        self.inventory = inventory
    }

    public func onInventory(_ listener: @escaping @Sendable (Inventory) async -> Void) {
        inventoryListeners.append(listener)
    }

    /// How a camera is read and encoded: the capture mode a V4L2 camera
    /// offers, and the encoder (`auto`: the best usable one by priority,
    /// software when none, copy for H.264 sources).
    func encoding(for id: CameraID, _ spec: CameraSpec) -> (VideoEncoder, CaptureMode?) {
        var capture: CaptureMode?
        if case .v4l2(let device) = spec.source, let node = inventory?.node(for: device) {
            capture = CaptureChoice.choose(node, wanted: spec.video)
        }
        switch spec.video.encoder {
        case .copy:
            return (.copy, capture)
        case .auto where capture?.native == true, .auto where { if case .rtsp = spec.source { true } else { false } }():
            return (.copy, capture)
        default:
            break
        }
        if softwareFallback[id] != nil { return (.software, capture) }
        let wanted: [EncoderBackend]
        switch spec.video.encoder {
        case .software, .copy: return (.software, capture)
        case .auto: wanted = options.encoderPriority
        case .nvenc: wanted = [.nvenc]
        case .qsv: wanted = [.qsv]
        case .vaapi: wanted = [.vaapi]
        case .v4l2m2m: wanted = [.v4l2m2m]
        }
        return (inventory?.bestEncoder(priority: wanted)?.encoder ?? .software, capture)
    }
}
