/// When the recordings disk needs room now, between retention ticks, and
/// what a recorder's exit on a full disk means. Pure: the caller says what
/// it measured.
///
/// A camera writes one segment at a time; when one finishes, the next is
/// being written and the index sees the rotation up to an index tick late.
/// Keeping `headroom` (two segments' worth) above the floor at every
/// rotation holds the floor within one segment between rotations, however
/// short the retention tick's reach.
public enum DiskGuard {
    /// The bytes `minFreePercent` asks to keep free on a file system of `totalBytes`.
    public static func floorBytes(totalBytes: Int64, policy: RecordingPolicy) -> Int64 {
        (totalBytes * Int64(policy.minFreePercent) + 99) / 100
    }

    /// The room to keep above the floor for what is being written now: two
    /// of each camera's last finished segment (the one being written and the
    /// next, which may open before the index sees the rotation), at most a
    /// quarter of the disk (long segments on a small card must not make
    /// retention delete everything).
    public static func headroom(lastSegmentBytes: some Sequence<Int64>, totalBytes: Int64) -> Int64 {
        min(2 * lastSegmentBytes.reduce(0) { $0 + max(0, $1) }, max(0, totalBytes / 4))
    }

    /// Whether retention must run now (a segment finished, a recorder hit a
    /// write error): the free space is below the floor plus the headroom.
    public static func needsRoom(storage: RetentionPlanner.Storage, policy: RecordingPolicy, headroom: Int64) -> Bool {
        storage.availableBytes < floorBytes(totalBytes: storage.totalBytes, policy: policy) + headroom
    }

    /// The words ffmpeg (and the C library) use for ENOSPC and EDQUOT.
    static let fullDiskMessages = ["No space left on device", "Disk quota exceeded"]

    /// Why a recorder exited, as far as the disk is concerned.
    public enum ExitCause: Hashable, Sendable {
        /// The disk is full (its log says so, or the free space is below
        /// the floor): make room, then restart at once; not a failure of
        /// the recorder, so not counted toward its circuit breaker.
        case diskFull(String)
        /// Anything else: backoff and circuit breaker as usual.
        case failure
    }

    /// A recorder's exit: its log tail says ENOSPC, or the disk is at its
    /// floor (the recorder's own log is on that disk and may have lost the
    /// message). `storage` is nil when it could not be read.
    /// Less than this free counts as full even without a floor: a write of
    /// a few packets would fail.
    public static let nearlyFullBytes: Int64 = 1 << 20

    public static func exitCause(logTail: [String], storage: RetentionPlanner.Storage?, policy: RecordingPolicy) -> ExitCause {
        if let line = logTail.last(where: { line in fullDiskMessages.contains { line.contains($0) } }) {
            return .diskFull(line)
        }
        guard let storage else { return .failure }
        if storage.availableBytes < nearlyFullBytes {
            return .diskFull("\(storage.availableBytes >> 10) KiB free of \(storage.totalBytes >> 10) KiB")
        }
        if storage.availableBytes < floorBytes(totalBytes: storage.totalBytes, policy: policy) {
            return .diskFull("\(storage.availableBytes >> 10) KiB free of \(storage.totalBytes >> 10) KiB, below the \(policy.minFreePercent) % floor")
        }
        return .failure
    }

    /// Whether a recorder may start (or restart after running out of
    /// space): more than `nearlyFullBytes` free on top of the database's
    /// reserve, which a recorder must never eat. When the reserve file is
    /// held, its room is already set aside; once released, that room must
    /// stay free. (Retention makes the rest of the room as it records.)
    public static func roomToRecord(storage: RetentionPlanner.Storage, reserveHeld: Bool, reserveBytes: Int64) -> Bool {
        storage.availableBytes >= nearlyFullBytes + (reserveHeld ? 0 : reserveBytes)
    }

    /// After a recorder's exit on a full disk and the retention run that
    /// followed: restart at once when there is room to record, else retry
    /// after `retry` without counting a failure (the disk may hold only
    /// other data; retention runs again at each exit).
    public enum Restart: Hashable, Sendable {
        case now
        case waitForRoom(Duration)
    }

    public static func restartAfterFullDisk(storage: RetentionPlanner.Storage?, reserveHeld: Bool, reserveBytes: Int64,
                                            retry: Duration = .seconds(5)) -> Restart {
        guard let storage, roomToRecord(storage: storage, reserveHeld: reserveHeld, reserveBytes: reserveBytes) else {
            return .waitForRoom(retry)
        }
        return .now
    }

    /// Whether an error text is the disk being full: ENOSPC, EDQUOT, or
    /// SQLite's SQLITE_FULL ("database or disk is full").
    public static func isFullDiskError(_ text: String) -> Bool {
        fullDiskMessages.contains { text.contains($0) } || text.contains("database or disk is full")
    }

    /// What to do with the database's reserve file (a preallocated file
    /// deleted to give SQLite room when the disk is full).
    public enum ReserveAction: Hashable, Sendable {
        case keep
        /// Delete it: the disk is full and state changes must still be written.
        case release
        /// Make it again: the space is back.
        case create
    }

    /// Released when less than the reserve is free (the disk is full, or
    /// will be within a write or two); made again once the floor, the
    /// reserve and the headroom are all free, so that making it never
    /// pushes the disk below the floor.
    public static func reserveAction(exists: Bool, storage: RetentionPlanner.Storage, reserveBytes: Int64,
                                     policy: RecordingPolicy, headroom: Int64) -> ReserveAction {
        if exists {
            return storage.availableBytes < reserveBytes ? .release : .keep
        }
        let needed = floorBytes(totalBytes: storage.totalBytes, policy: policy) + max(reserveBytes, headroom) + reserveBytes
        return storage.availableBytes >= needed ? .create : .keep
    }
}
