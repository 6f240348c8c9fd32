import CamgateCore
import Platform

/// What the indexer saw happen to a camera's segments.
public enum SegmentEvent: Hashable, Sendable {
    /// ffmpeg opened a new segment (it is being written).
    case started(file: String, startMs: Int64)
    /// ffmpeg closed a segment and listed it: real duration, final size.
    case finished(file: String, startMs: Int64, duration: Double, bytes: Int64)
}

/// Follows one camera's recorder from the outside, through the files it
/// writes, so that it works the same for a recorder this agent started and
/// for one it adopted after a restart:
/// - new lines of `segments.csv` are finished segments;
/// - the newest segment file not yet listed is the one being written.
///
/// Polling costs a stat or two per camera; directories are listed only when
/// their modification time changed.
public struct SegmentIndexer: Sendable {
    public let camera: CameraID
    public let layout: DataLayout
    private var parser = SegmentListParser()
    private var offset: Int64 = 0
    private var lastFinished: String?
    private var current: String?
    private var directoryMTimes: [String: Int64] = [:]

    public init(camera: CameraID, layout: DataLayout) {
        self.camera = camera
        self.layout = layout
    }

    /// The segment being written, as last seen.
    public var currentFile: String? { current }

    /// Reads what changed since the last poll. `nowMs` picks the day
    /// directories to look at (today's, and yesterday's around midnight).
    public mutating func poll(nowMs: Int64) -> [SegmentEvent] {
        let newest = newestSegmentName(nowMs: nowMs)
        var events = readSegmentList(newest: newest)
        if let newest, newest > (lastFinished ?? ""),
           let path = layout.segmentPath(camera, name: newest), path != current,
           let startMs = SegmentName.startMilliseconds(newest) {
            current = path
            events.append(.started(file: path, startMs: startMs))
        }
        return events
    }

    /// `newest`: the newest segment file on disk, whose start bounds the
    /// end of the last listed one.
    private mutating func readSegmentList(newest: String?) -> [SegmentEvent] {
        let list = layout.segmentList(camera)
        guard let size = try? FileSystem.fileSize(list) else { return [] }
        if size < offset {
            // A new recorder truncated the list.
            offset = 0
            parser = SegmentListParser()
        }
        guard size > offset, let bytes = try? FileSystem.read(list, from: offset, limit: Int(size - offset)) else { return [] }
        offset += Int64(bytes.count)
        var events: [SegmentEvent] = []
        let entries = parser.feed(bytes)
        for (index, entry) in entries.enumerated() {
            guard let path = layout.segmentPath(camera, name: entry.name), let startMs = SegmentName.startMilliseconds(entry.name) else { continue }
            let bytes = (try? FileSystem.fileSize(path)) ?? 0
            let next = index + 1 < entries.count ? entries[index + 1].name : newest.flatMap { $0 > entry.name ? $0 : nil }
            let duration = SegmentIndexer.indexedDuration(listed: entry.duration, startMs: startMs, lastWriteMs: try? FileSystem.modificationTime(path),
                                                          nextStartMs: next.flatMap(SegmentName.startMilliseconds))
            events.append(.finished(file: path, startMs: startMs, duration: duration, bytes: bytes))
            if entry.name > (lastFinished ?? "") { lastFinished = entry.name }
            if current == path { current = nil }
        }
        return events
    }

    /// The duration indexed for a finished segment: ffmpeg's own, but its
    /// end never later than the file's last write nor than the next
    /// segment's start. A recorder frozen (SIGSTOP, a dead RTSP peer) lists,
    /// once it runs again, a segment spanning the whole freeze and
    /// overlapping the segments after it. Names have one-second resolution:
    /// the next segment began before the end of its named second; the last
    /// write is allowed the last frame's display time (up to 0.5 s).
    public static func indexedDuration(listed: Double, startMs: Int64, lastWriteMs: Int64?, nextStartMs: Int64?) -> Double {
        var duration = listed
        // A last write before the start means the clock was stepped back: no bound.
        if let lastWriteMs, lastWriteMs >= startMs { duration = min(duration, Double(lastWriteMs + 500 - startMs) / 1000) }
        if let nextStartMs { duration = min(duration, Double(max(0, nextStartMs + 999 - startMs)) / 1000) }
        return duration
    }

    private mutating func newestSegmentName(nowMs: Int64) -> String? {
        var newest: String?
        for dayMs in [nowMs - 3_600_000, nowMs] {
            let dir = layout.day(camera, date: Timestamp.utcDate(milliseconds: dayMs))
            guard let mtime = try? FileSystem.modificationTime(dir) else { continue }
            if directoryMTimes[dir] == mtime, let known = current.map(FileSystem.basename) {
                newest = max(newest ?? "", known)
                continue
            }
            directoryMTimes[dir] = mtime
            let names = ((try? FileSystem.list(dir)) ?? []).filter { SegmentName.startMilliseconds($0) != nil }
            if let max = names.max() { newest = Swift.max(newest ?? "", max) }
        }
        return newest
    }
}

/// Asks ffprobe how long a media file is (for segments that ffmpeg could
/// not list: the recorder was killed or the power was cut).
public enum MediaProbe {
    public static func duration(of file: String, tools: FFmpegTools) async -> Double? {
        let result = try? await Subprocess.run(tools.ffprobe, ["-v", "error", "-show_entries", "format=duration",
                                                               "-of", "default=noprint_wrappers=1:nokey=1", file],
                                               environment: FFmpegTools.environment, timeout: .seconds(15), outputLimit: 4096)
        guard let result, result.succeeded else { return nil }
        return Double(result.text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "")
    }
}
