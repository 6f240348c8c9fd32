/// Retention with an upload queue (issue 12): a segment waiting for its
/// upload is never deleted for its age, and only for free space when
/// deleting every segment not waiting still leaves the disk below its
/// floor. Each one deleted then is reported (`recording_lost`), never
/// dropped silently.
extension RetentionPlanner {
    /// A queued segment deleted before it was uploaded.
    public struct LostRecording: Hashable, Sendable {
        public var segment: Segment
        /// Why, in words for the report item.
        public var reason: String

        public var camera: CameraID { segment.camera }
        public var file: String { segment.file }
    }

    public struct UploadAwarePlan: Hashable, Sendable {
        /// Segments not waiting for an upload (reason `age` or `free-space`).
        public var deletions: [Deletion]
        /// Queued segments the floor forced out, oldest first.
        public var lost: [LostRecording]
    }

    /// - Parameter queued: ids of finished segments still waiting for their upload.
    public static func plan(finished: [Segment], queued: Set<Int64>, policy: RecordingPolicy, storage: Storage,
                            nowMs: Int64, headroom: Int64 = 0) -> UploadAwarePlan {
        let waiting = finished.filter { queued.contains($0.id) }
        let others = finished.filter { !queued.contains($0.id) }
        let deletions = plan(finished: others, policy: policy, storage: storage, nowMs: nowMs, headroom: headroom)
        let freed = deletions.reduce(Int64(0)) { $0 + $1.segment.bytes }
        let after = Storage(totalBytes: storage.totalBytes, availableBytes: storage.availableBytes + freed)
        return UploadAwarePlan(deletions: deletions,
                               lost: queuedToDelete(queued: waiting, policy: policy, storage: after, headroom: headroom))
    }

    /// Which queued segments must go, oldest first, when `storage` (measured
    /// after every other deletion) is still below the floor plus `headroom`.
    public static func queuedToDelete(queued: [Segment], policy: RecordingPolicy, storage: Storage, headroom: Int64 = 0) -> [LostRecording] {
        let floor = DiskGuard.floorBytes(totalBytes: storage.totalBytes, policy: policy) + max(0, headroom)
        var available = storage.availableBytes
        guard available < floor else { return [] }
        let reason = "deleted before upload: the disk was below its \(policy.minFreePercent) % free-space floor"
            + " (\(storage.availableBytes >> 20) MiB free of \(storage.totalBytes >> 20) MiB) with nothing else left to delete"
        var lost: [LostRecording] = []
        for segment in queued.sorted(by: { ($0.startMs, $0.id) < ($1.startMs, $1.id) }) where available < floor {
            lost.append(LostRecording(segment: segment, reason: reason))
            available += segment.bytes
        }
        return lost
    }
}
