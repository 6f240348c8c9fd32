/// Decides which finished segments to delete: those older than the
/// retention period, then the oldest ones while the recordings file system
/// is below its free-space floor. The segment being written is never a
/// candidate; callers only pass finished segments.
public enum RetentionPlanner {
    public struct Segment: Hashable, Sendable {
        public var id: Int64
        public var camera: CameraID
        public var file: String
        /// Start and end, milliseconds since the Unix epoch.
        public var startMs: Int64
        public var endMs: Int64
        public var bytes: Int64

        public init(id: Int64, camera: CameraID, file: String, startMs: Int64, endMs: Int64, bytes: Int64) {
            self.id = id
            self.camera = camera
            self.file = file
            self.startMs = startMs
            self.endMs = endMs
            self.bytes = bytes
        }
    }

    public enum Reason: String, Hashable, Sendable {
        case age
        case freeSpace = "free-space"
    }

    public struct Deletion: Hashable, Sendable {
        public var segment: Segment
        public var reason: Reason
    }

    public struct Storage: Hashable, Sendable {
        public var totalBytes: Int64
        public var availableBytes: Int64

        public init(totalBytes: Int64, availableBytes: Int64) {
            self.totalBytes = totalBytes
            self.availableBytes = availableBytes
        }

        public var freePercent: Double {
            totalBytes > 0 ? Double(availableBytes) * 100 / Double(totalBytes) : 100
        }
    }

    public static let millisecondsPerDay: Int64 = 86_400_000

    /// - Parameter headroom: bytes to keep free above the floor for what is
    ///   being written (`DiskGuard.headroom`); 0 holds the floor only.
    public static func plan(finished: [Segment], policy: RecordingPolicy, storage: Storage, nowMs: Int64, headroom: Int64 = 0) -> [Deletion] {
        let oldestFirst = finished.sorted { ($0.startMs, $0.id) < ($1.startMs, $1.id) }
        var deletions: [Deletion] = []
        var remaining: [Segment] = []
        if policy.retainDays > 0 {
            let cutoff = nowMs - Int64(policy.retainDays) * millisecondsPerDay
            for segment in oldestFirst {
                if segment.endMs < cutoff { deletions.append(Deletion(segment: segment, reason: .age)) } else { remaining.append(segment) }
            }
        } else {
            remaining = oldestFirst
        }

        var available = storage.availableBytes + deletions.reduce(0) { $0 + $1.segment.bytes }
        let floor = DiskGuard.floorBytes(totalBytes: storage.totalBytes, policy: policy) + max(0, headroom)
        for segment in remaining where available < floor {
            deletions.append(Deletion(segment: segment, reason: .freeSpace))
            available += segment.bytes
        }
        return deletions
    }
}
