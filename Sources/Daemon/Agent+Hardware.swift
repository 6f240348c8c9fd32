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
        // A trial that hung may have met a busy boot, not a broken encoder:
        // such a result is used now but not cached (the next start tries again).
        let transient = result.encoders.contains { $0.reason.hasPrefix(TrialEncoder.hungPrefix) }
        if cached?.fingerprint != result.fingerprint {
            if !transient {
                try? await store.saveEncoderProbe(bootID: supervisor.bootID, fingerprint: result.fingerprint,
                                                  encoders: JSONValue.array(result.encoders.map(\.json)).serialized())
            }
            let usable = result.encoders.filter(\.usable).map { "\($0.backend.rawValue)\($0.device == "-" ? "" : " \($0.device)")" }
            logger.info("hardware: \(result.cameras.count) cameras, usable encoders: \(usable.joined(separator: ", ")) (probed in \(result.durationMs) ms)")
            try? await store.logEvent(.info, "hardware", "probed: \(result.cameras.count) cameras; usable encoders: \(usable.joined(separator: ", "))")
        }
        inventory = result
        for listener in inventoryListeners { await listener(result) }
    }

    /// Devices changed (hotplug): re-read the cameras (ioctls only) and
    /// reconcile: a camera that came back records again. When the
    /// encoder-relevant hardware changed, the encoders are probed again.
    public func camerasChanged() async {
        guard let hardware = options.hardware else {
            await reconcile(reason: "hotplug")
            return
        }
        let nodes = hardware.cameras()
        if var current = inventory, hardware.fingerprint(nodes: nodes) == current.fingerprint {
            current.nodes = nodes
            inventory = current
            for listener in inventoryListeners { await listener(current) }
        } else {
            // Encoder hardware changed too (a render node, an M2M encoder, a
            // driver): its trial encodes run now, not at the next boot.
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
