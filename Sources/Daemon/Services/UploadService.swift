import CamgateCore
import CloudLink
import Logging
import ObjectStore
import Platform
import ServiceLifecycle
import Store

/// What the upload service asks of the agent (it owns the desired state
/// and the recordings).
public protocol UploadOwner: Sendable {
    func waitUntilBooted() async
    /// Called when segments were queued (indexing, a command).
    func onUploadsQueued(_ callback: @escaping @Sendable () -> Void) async
    /// The desired state's `upload` block.
    func uploadPolicy() async -> UploadPolicy
    /// `delete_after_upload`: the segment's file and row go.
    func deleteUploadedSegment(recordingID: Int64, file: String) async
}

/// The owner of uploads as a `Service`: takes queued segments from the
/// store in `upload.order` (UploadScheduler, with per-segment backoff and a
/// hold on the whole endpoint when it does not answer), uploads them one
/// at a time through one bandwidth cap, marks each one done with its
/// `uploaded` report item, and sleeps on a doorbell when there is nothing
/// to do (new segments ring it).
public final class UploadService: Service, Sendable {
    let store: Store
    let owner: any UploadOwner
    let uploader: SegmentUploader
    let cap: BandwidthCap
    public let progress: UploadProgressBox
    let doorbell = Doorbell()
    /// Queue `uploaded` report items (cloud mode).
    let reports: Bool
    let reportsQueued: @Sendable () -> Void
    let backoff: Backoff
    let linkBackoff: Backoff
    let logger: Logger

    public init(store: Store, owner: any UploadOwner, targets: any UploadTargetSource, transport: HTTPTransport, reports: Bool,
                reportsQueued: @escaping @Sendable () -> Void = {}, backoff: Backoff = UploadScheduler.defaultBackoff,
                linkBackoff: Backoff = UploadScheduler.linkBackoff, logger: Logger) {
        let cap = BandwidthCap(maxKbps: 0), progress = UploadProgressBox()
        self.store = store
        self.owner = owner
        self.cap = cap
        self.progress = progress
        self.reports = reports
        self.reportsQueued = reportsQueued
        self.backoff = backoff
        self.linkBackoff = linkBackoff
        self.logger = logger
        uploader = SegmentUploader(store: store, targets: targets, transport: transport, cap: cap, progress: progress, logger: logger)
    }

    /// Segments were queued (indexing, a command): look now.
    public func wake() {
        doorbell.ring()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await owner.onUploadsQueued { [doorbell] in doorbell.ring() }
            await owner.waitUntilBooted()
            var linkFailures = 0
            var random = SystemRandomNumberGenerator()
            while !Task.isCancelled {
                await step(linkFailures: &linkFailures, random: &random)
            }
        }
    }

    /// One decision: upload the next segment, or wait.
    func step(linkFailures: inout Int, random: inout SystemRandomNumberGenerator) async {
        let policy = await owner.uploadPolicy()
        guard policy.isEnabled else { await doorbell.wait(timeout: .seconds(30)); return }
        await cap.setRate(maxKbps: policy.maxKbps)
        let rows = (try? await store.pendingUploads()) ?? []
        let hold = await progress.value.linkHoldUntilMs
        let now = WallClock.nowMilliseconds()
        switch UploadScheduler.next(queue: rows.map(UploadService.item), order: policy.order, nowMs: now, backoff: backoff, linkHoldUntilMs: hold) {
        case .idle:
            await doorbell.wait(timeout: .seconds(30))
        case .wait(let until):
            await doorbell.wait(timeout: .milliseconds(max(until - now, 10)))
        case .upload(let item):
            guard let row = rows.first(where: { $0.id == item.id }) else { return }
            let outcome = await uploader.upload(row)
            await record(outcome, row: row, policy: policy, linkFailures: &linkFailures, random: &random)
        }
    }

    static func item(_ row: UploadRow) -> UploadScheduler.Item {
        UploadScheduler.Item(id: row.id, camera: row.camera, file: row.file, startMs: row.startMs, bytes: row.bytes, queuedAtMs: row.queuedAtMs,
                             attempts: row.attempts, lastError: row.lastError, lastFailureMs: row.lastFailureMs)
    }
}
