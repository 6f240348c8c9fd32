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
        var events = readSegmentList()
        if let newest = newestSegmentName(nowMs: nowMs), newest > (lastFinished ?? ""),
           let path = layout.segmentPath(camera, name: newest), path != current,
           let startMs = SegmentName.startMilliseconds(newest) {
            current = path
            events.append(.started(file: path, startMs: startMs))
        }
        return events
    }

    private mutating func readSegmentList() -> [SegmentEvent] {
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
        for entry in parser.feed(bytes) {
            guard let path = layout.segmentPath(camera, name: entry.name), let startMs = SegmentName.startMilliseconds(entry.name) else { continue }
            let bytes = (try? FileSystem.fileSize(path)) ?? 0
            events.append(.finished(file: path, startMs: startMs, duration: entry.duration, bytes: bytes))
            if entry.name > (lastFinished ?? "") { lastFinished = entry.name }
            if current == path { current = nil }
        }
        return events
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
