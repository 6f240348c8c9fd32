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

    var encodingPolicy: EncodingPolicy {
        EncodingPolicy(inventory: inventory, priority: options.encoderPriority, softwareFallback: Set(softwareFallback.keys))
    }

    /// How a camera is read and encoded (see `EncodingPolicy`).
    func encoding(for id: CameraID, _ spec: CameraSpec) -> (VideoEncoder, CaptureMode?) {
        encodingPolicy.encoding(for: id, spec)
    }
}
