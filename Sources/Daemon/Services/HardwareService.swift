import CamgateCore
import Hardware
import Logging
import Media
import ServiceLifecycle
import Store

/// What the recorders ask of the hardware: how to encode each camera.
public protocol EncodingSource: Sendable {
    /// Probes once (trial results cached per boot and hardware); later calls return at once.
    func prepare() async
    /// The encoding decisions for the current inventory and fallbacks.
    func policy() async -> EncodingPolicy
    /// The last probe's result.
    func currentInventory() async -> Inventory?
    /// A camera's hardware encoder failed at run time: it records with software from now on.
    func fellBackToSoftware(_ camera: CameraID, detail: String) async
    /// Whether `camera` records with software because its hardware encoder failed.
    func isFallingBack(_ camera: CameraID) async -> Bool
}

/// What operators and the cloud ask of the hardware: the inventory, a rescan.
public protocol HardwareControl: Sendable {
    func currentInventory() async -> Inventory?
    /// Probes again (trial encodes included), forgets runtime fallbacks; a summary.
    func rescan() async -> String
}

/// The owner of the hardware inventory: the probe and its per-boot cache,
/// hotplug watching, and the runtime fallbacks to software. Tells whoever
/// listens on `changes` that cameras came or went.
public actor HardwareService: Service, EncodingSource, HardwareControl {
    let probe: HardwareProbe?
    let store: Store
    let bootID: String
    let priority: [EncoderBackend]
    let healthInterval: Duration
    let logger: Logger

    public private(set) var inventory: Inventory?
    private var softwareFallback: [CameraID: String] = [:]
    private var prepared = false
    private var probing = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A reason each time the cameras changed (hotplug) or were rescanned.
    public nonisolated let changes: AsyncStream<String>
    private let changesContinuation: AsyncStream<String>.Continuation
    /// Each new inventory (the cloud reports it as `discovered`); the newest is kept.
    public nonisolated let inventories: AsyncStream<Inventory>
    private let inventoriesContinuation: AsyncStream<Inventory>.Continuation

    public init(probe: HardwareProbe?, store: Store, bootID: String, priority: [EncoderBackend] = EncoderBackend.defaultPriority,
                healthInterval: Duration = .seconds(30), logger: Logger) {
        self.probe = probe
        self.store = store
        self.bootID = bootID
        self.priority = priority
        self.healthInterval = healthInterval
        self.logger = logger
        (changes, changesContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        (inventories, inventoriesContinuation) = AsyncStream.makeStream(of: Inventory.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Watches for hotplug (inotify; else a re-read on the health tick) until shutdown.
    public func run() async throws {
        guard probe != nil else { return await gracefulShutdownOrCancel() }
        let watcher: HotplugWatcher
        do {
            watcher = try HotplugWatcher()
        } catch {
            logger.warning("hardware: no hotplug notifications (\(error)); cameras are re-read on the health tick")
            await cancelWhenGracefulShutdown { await every(self.healthInterval) { await self.camerasChanged() } }
            return
        }
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                for await _ in watcher.changes { await self.camerasChanged() }
            } onCancel: {
                watcher.shutdown()
            }
        }
    }

    // MARK: - EncodingSource

    public func prepare() async {
        if prepared { return }
        if probing { return await withCheckedContinuation { waiters.append($0) } }
        probing = true
        await refreshInventory(full: false)
        prepared = true
        probing = false
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    public func policy() -> EncodingPolicy {
        EncodingPolicy(inventory: inventory, priority: priority, softwareFallback: Set(softwareFallback.keys))
    }

    public func currentInventory() -> Inventory? { inventory }

    public func fellBackToSoftware(_ camera: CameraID, detail: String) {
        softwareFallback[camera] = detail
    }

    /// Whether `camera` records with software because its hardware encoder failed.
    public func isFallingBack(_ camera: CameraID) -> Bool { softwareFallback[camera] != nil }

    // MARK: - Probing

    /// Probes the hardware. `full` repeats the trial encodes; otherwise the
    /// encoder results cached for this boot and this hardware are reused.
    public func refreshInventory(full: Bool) async {
        guard let probe else { return }
        var cached: (fingerprint: String, encoders: [EncoderCandidate])?
        if !full, let row = try? await store.cachedEncoderProbe(bootID: bootID), case .array(let items)? = try? JSONValue.parse(row.encoders) {
            cached = (row.fingerprint, items.compactMap(EncoderCandidate.init(json:)))
        }
        let result = await probe.run(cached: cached)
        // A trial that hung may have met a busy boot, not a broken encoder:
        // such a result is used now but not cached (the next start tries again).
        let transient = result.encoders.contains { $0.reason.hasPrefix(TrialEncoder.hungPrefix) }
        if cached?.fingerprint != result.fingerprint {
            if !transient {
                try? await store.saveEncoderProbe(bootID: bootID, fingerprint: result.fingerprint,
                                                  encoders: JSONValue.array(result.encoders.map(\.json)).serialized())
            }
            let usable = result.encoders.filter(\.usable).map { "\($0.backend.rawValue)\($0.device == "-" ? "" : " \($0.device)")" }
            logger.info("hardware: \(result.cameras.count) cameras, usable encoders: \(usable.joined(separator: ", ")) (probed in \(result.durationMs) ms)")
            try? await store.logEvent(.info, "hardware", "probed: \(result.cameras.count) cameras; usable encoders: \(usable.joined(separator: ", "))")
        }
        publish(result)
    }

    /// Devices changed (hotplug): re-read the cameras (ioctls only); when
    /// the encoder-relevant hardware changed, probe the encoders again.
    public func camerasChanged() async {
        guard let probe else {
            changesContinuation.yield("hotplug")
            return
        }
        let nodes = probe.cameras()
        if var current = inventory, probe.fingerprint(nodes: nodes) == current.fingerprint {
            current.nodes = nodes
            publish(current)
        } else {
            // Encoder hardware changed too (a render node, an M2M encoder, a
            // driver): its trial encodes run now, not at the next boot.
            await refreshInventory(full: false)
        }
        logger.info("hardware: video devices changed: \(nodes.filter { $0.kind == .capture }.map(\.path).joined(separator: ", "))")
        changesContinuation.yield("hotplug")
    }

    /// Probes again (trial encodes included) and forgets runtime fallbacks.
    public func rescan() async -> String {
        guard probe != nil else {
            changesContinuation.yield("rescan_hardware")
            return "no hardware probe configured; reconciled"
        }
        softwareFallback.removeAll()
        await refreshInventory(full: true)
        changesContinuation.yield("rescan_hardware")
        guard let inventory else { return "probe failed" }
        let usable = inventory.encoders.filter(\.usable).map(\.backend.rawValue)
        return "\(inventory.cameras.count) cameras; usable encoders: \(usable.joined(separator: ", ")); probed in \(inventory.durationMs) ms"
    }

    /// Uses `inventory` as if probed (tests; `camgate detect` output replayed).
    public func install(_ inventory: Inventory) {
        self.inventory = inventory
        prepared = true
    }

    private func publish(_ result: Inventory) {
        inventory = result
        inventoriesContinuation.yield(result)
    }
}

/// Waits for graceful shutdown (or cancellation): a service with nothing to loop on.
func gracefulShutdownOrCancel() async {
    try? await gracefulShutdown()
}
