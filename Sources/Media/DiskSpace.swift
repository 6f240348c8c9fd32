#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// The space the agent keeps for itself on the data disk: the database's
/// reserve file, and the last resort of a start on a full disk (deleting
/// the oldest segment files before the database can be opened).
public enum DiskSpace {
    /// The reserve file's size: room for SQLite to write state changes
    /// (a camera's state, the event that says "disk full", row deletions)
    /// when everything else is full.
    public static let reserveBytes: Int64 = 4 << 20

    /// The data disk's size and free space.
    public static func storage(_ layout: DataLayout) throws(SystemError) -> RetentionPlanner.Storage {
        let capacity = try FileSystem.capacity(of: layout.root)
        return .init(totalBytes: capacity.total, availableBytes: capacity.available)
    }

    /// Applies `DiskGuard.reserveAction`: releases the reserve on a full
    /// disk, makes it again when the space is back. Returns what it did
    /// (`.keep` when nothing, or when making it failed).
    @discardableResult
    public static func maintainReserve(_ layout: DataLayout, policy: RecordingPolicy, headroom: Int64) throws(SystemError) -> DiskGuard.ReserveAction {
        let exists = FileSystem.exists(layout.reserveFile)
        let action = DiskGuard.reserveAction(exists: exists, storage: try storage(layout), reserveBytes: reserveBytes, policy: policy, headroom: headroom)
        switch action {
        case .keep: break
        case .release: try FileSystem.remove(layout.reserveFile)
        case .create: try FileSystem.preallocate(layout.reserveFile, bytes: reserveBytes)
        }
        return action
    }

    /// Deletes the reserve (the disk is full); says whether there was one.
    @discardableResult
    public static func releaseReserve(_ layout: DataLayout) -> Bool {
        guard FileSystem.exists(layout.reserveFile) else { return false }
        return (try? FileSystem.remove(layout.reserveFile)) != nil
    }

    /// What a start on a full disk freed.
    public struct Rescue: Sendable {
        public var deletedFiles: [String] = []
        public var bytes: Int64 = 0
        public var releasedReserve = false
        public var before: RetentionPlanner.Storage
        public var after: RetentionPlanner.Storage

        /// This rescue, then `next`, as one.
        public func followed(by next: Rescue) -> Rescue {
            var both = next
            both.before = before
            both.deletedFiles = deletedFiles + next.deletedFiles
            both.bytes += bytes
            both.releasedReserve = releasedReserve || next.releasedReserve
            return both
        }

        /// "disk full: 2 MiB free of 24 MiB; deleted 12 oldest segments (9 MiB) …", for the log and the event.
        public var summary: String {
            var text = "disk full: \(before.availableBytes >> 10) KiB free of \(before.totalBytes >> 10) KiB at start"
            if releasedReserve { text += "; released the database reserve" }
            text += "; deleted the \(deletedFiles.count) oldest segment files (\(bytes >> 10) KiB) before opening the database"
            text += "; now \(after.availableBytes >> 10) KiB free"
            return text
        }
    }

    /// Before the database is opened on a disk below `floor` bytes free (or
    /// that SQLite could not write): releases the reserve, then deletes the
    /// oldest segment files found on disk (`RetentionPlanner`, free-space
    /// rule) until `floor` is free. Each camera's newest file is kept (an
    /// adopted recorder may be writing it); the database is never touched.
    /// Nil when the disk has room.
    public static func rescue(_ layout: DataLayout, floor: Int64) throws(SystemError) -> Rescue? {
        let before = try storage(layout)
        guard before.availableBytes < floor else { return nil }
        var rescue = Rescue(before: before, after: before)
        rescue.releasedReserve = releaseReserve(layout)
        let candidates = segmentFilesOnDisk(layout)
        let percent = before.totalBytes > 0 ? Int((floor * 100 + before.totalBytes - 1) / before.totalBytes) : 0
        let policy = RecordingPolicy(retainDays: 0, minFreePercent: min(100, percent))
        for deletion in RetentionPlanner.plan(finished: candidates, policy: policy, storage: try storage(layout), nowMs: WallClock.nowMilliseconds()) {
            guard (try? FileSystem.remove(deletion.segment.file)) != nil else { continue }
            rescue.deletedFiles.append(deletion.segment.file)
            rescue.bytes += deletion.segment.bytes
        }
        rescue.after = try storage(layout)
        return rescue
    }

    /// Every camera's segment files but its newest, as retention candidates.
    static func segmentFilesOnDisk(_ layout: DataLayout) -> [RetentionPlanner.Segment] {
        var segments: [RetentionPlanner.Segment] = []
        for name in ((try? FileSystem.list(layout.recordingsRoot)) ?? []).sorted() {
            guard let camera = try? CameraID(name) else { continue }
            var files: [(path: String, startMs: Int64)] = []
            for day in ((try? FileSystem.list(layout.recordings(camera))) ?? []) {
                let dir = layout.day(camera, date: day)
                for file in (try? FileSystem.list(dir)) ?? [] {
                    if let start = SegmentName.startMilliseconds(file) { files.append(("\(dir)/\(file)", start)) }
                }
            }
            files.sort { $0.startMs < $1.startMs }
            for file in files.dropLast() {
                let bytes = (try? FileSystem.fileSize(file.path)) ?? 0
                segments.append(.init(id: Int64(segments.count), camera: camera, file: file.path, startMs: file.startMs,
                                      endMs: file.startMs, bytes: bytes))
            }
        }
        return segments
    }
}
