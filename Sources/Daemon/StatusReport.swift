import CamgateCore
import Media
import Platform
import Store

/// What `camgate status` shows, read from the store and the file system
/// (the CLI works whether the agent runs or not).
public struct StatusReport: Sendable {
    public struct AgentInfo: Sendable {
        public var running: Bool
        public var pid: Int32
        public var version: String
        public var startedAtMs: Int64
        public var stoppedAtMs: Int64?
    }

    public struct Camera: Sendable {
        public var id: CameraID
        public var state: CameraState
        public var sinceMs: Int64
        public var source: String
        public var record: Bool
        public var view: Bool
        public var pid: Int32?
        public var currentSegment: Segment?
        public var restarts: Int
        public var lastError: String?
    }

    public struct Segment: Sendable {
        public var file: String
        public var startMs: Int64
        public var bytes: Int64
    }

    public struct Storage: Sendable {
        public var recordingsBytes: Int64
        public var segments: Int
        public var totalBytes: Int64
        public var availableBytes: Int64
        public var minFreePercent: Int
    }

    public var agent: AgentInfo?
    public var desiredRevision: Int64?
    public var desiredOrigin: String?
    public var cameras: [Camera]
    public var storage: Storage

    public static func build(store: Store, layout: DataLayout) async throws -> StatusReport {
        let bootID = (try? ProcFS.bootID()) ?? ""
        var agent: AgentInfo?
        if let row = try await store.agent() {
            let alive = row.stoppedAtMs == nil && ProcFS.isRunning(row.identity, currentBootID: bootID)
            agent = AgentInfo(running: alive, pid: row.identity.pid, version: row.version, startedAtMs: row.startedAtMs, stoppedAtMs: row.stoppedAtMs)
        }
        let desired = try await store.desiredState()
        var pids: [CameraID: Int32] = [:]
        for process in try await store.processes() where process.key.role == .recorder && ProcFS.isRunning(process.identity, currentBootID: bootID) {
            pids[process.key.camera] = process.identity.pid
        }
        var current: [CameraID: Segment] = [:]
        for row in try await store.openRecordings() where pids[row.camera] != nil {
            current[row.camera] = Segment(file: row.file, startMs: row.startMs, bytes: (try? FileSystem.fileSize(row.file)) ?? row.bytes)
        }
        let cameras = try await store.cameras().filter { !$0.id.isReserved }.map { row in
            Camera(id: row.id, state: row.state, sinceMs: row.stateSinceMs, source: row.source, record: row.record, view: row.view,
                   pid: pids[row.id], currentSegment: current[row.id], restarts: row.restarts, lastError: row.lastError)
        }
        let recordings = try await store.recordings()
        let capacity = (try? FileSystem.capacity(of: FileSystem.exists(layout.recordingsRoot) ? layout.recordingsRoot : layout.root)) ?? (total: 0, available: 0)
        let storage = Storage(recordingsBytes: recordings.reduce(0) { $0 + $1.bytes }, segments: recordings.count,
                              totalBytes: capacity.total, availableBytes: capacity.available,
                              minFreePercent: desired?.state.recording.minFreePercent ?? RecordingPolicy().minFreePercent)
        return StatusReport(agent: agent, desiredRevision: desired?.state.revision, desiredOrigin: desired?.origin.rawValue,
                            cameras: cameras, storage: storage)
    }

    public var json: JSONValue {
        var root: [String: JSONValue] = [:]
        root["agent"] = agent.map { a in
            .object(["running": .bool(a.running), "pid": .int(Int64(a.pid)), "version": .string(a.version),
                     "started_at": .string(Timestamp.rfc3339(milliseconds: a.startedAtMs)),
                     "stopped_at": a.stoppedAtMs.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null])
        } ?? .null
        root["desired"] = desiredRevision.map { .object(["revision": .int($0), "origin": .string(desiredOrigin ?? "")]) } ?? .null
        root["cameras"] = .array(cameras.map { c in
            .object([
                "id": .string(c.id.rawValue), "state": .string(c.state.rawValue),
                "since": .string(Timestamp.rfc3339(milliseconds: c.sinceMs)), "source": .string(c.source),
                "record": .bool(c.record), "view": .bool(c.view),
                "pid": c.pid.map { .int(Int64($0)) } ?? .null,
                "current_segment": c.currentSegment.map { s in
                    .object(["file": .string(s.file), "start": .string(Timestamp.rfc3339(milliseconds: s.startMs)), "bytes": .int(s.bytes)])
                } ?? .null,
                "restarts": .int(Int64(c.restarts)),
                "last_error": c.lastError.map { .string($0) } ?? .null,
            ])
        })
        root["storage"] = .object([
            "recordings_bytes": .int(storage.recordingsBytes), "segments": .int(Int64(storage.segments)),
            "total_bytes": .int(storage.totalBytes), "free_bytes": .int(storage.availableBytes),
            "min_free_percent": .int(Int64(storage.minFreePercent)),
        ])
        return .object(root)
    }

    public var text: String {
        var lines: [String] = []
        if let agent {
            let since = Timestamp.rfc3339(milliseconds: agent.startedAtMs)
            if agent.running {
                lines.append("agent: running, pid \(agent.pid), version \(agent.version), since \(since)")
            } else {
                let stopped = agent.stoppedAtMs.map { "stopped \(Timestamp.rfc3339(milliseconds: $0))" } ?? "not running (it did not stop cleanly)"
                lines.append("agent: \(stopped)")
            }
        } else {
            lines.append("agent: never started with this data directory")
        }
        if let desiredRevision { lines.append("desired state: revision \(desiredRevision) (\(desiredOrigin ?? ""))") }
        lines.append("")
        var table = [["CAMERA", "STATE", "SINCE", "PID", "SOURCE", "CURRENT SEGMENT", "RESTARTS", "LAST ERROR"]]
        for c in cameras {
            let segment = c.currentSegment.map { "\(FileSystem.basename($0.file)) (\(ByteCount.format($0.bytes)))" } ?? "-"
            table.append([c.id.rawValue, c.state.rawValue, Timestamp.rfc3339(milliseconds: c.sinceMs), c.pid.map(String.init) ?? "-",
                          c.source, segment, String(c.restarts), c.lastError.map { String($0.prefix(120)) } ?? "-"])
        }
        lines += TextTable.render(table)
        lines.append("")
        let freePercent = storage.totalBytes > 0 ? Double(storage.availableBytes) * 100 / Double(storage.totalBytes) : 0
        lines.append("storage: \(storage.segments) segments, \(ByteCount.format(storage.recordingsBytes)); file system \(ByteCount.format(storage.availableBytes)) free of \(ByteCount.format(storage.totalBytes)) (\(Int(freePercent))% free, floor \(storage.minFreePercent)%)")
        return lines.joined(separator: "\n")
    }
}

/// `camgate recordings`: the index, oldest first.
public struct RecordingsReport: Sendable {
    public var rows: [RecordingRow]
    public var nowMs: Int64

    public init(rows: [RecordingRow], nowMs: Int64 = WallClock.nowMilliseconds()) {
        self.rows = rows
        self.nowMs = nowMs
    }

    /// The segment being written reports its duration and size so far.
    private func measured(_ row: RecordingRow) -> (duration: Double, bytes: Int64, endMs: Int64?) {
        switch row.status {
        case .complete: return (row.duration ?? 0, row.bytes, row.endMs)
        case .recording: return (Double(max(0, nowMs - row.startMs)) / 1000, (try? FileSystem.fileSize(row.file)) ?? row.bytes, nil)
        }
    }

    public var json: JSONValue {
        .array(rows.map { row in
            let m = measured(row)
            return .object([
                "camera": .string(row.camera.rawValue), "file": .string(row.file),
                "start": .string(Timestamp.rfc3339(milliseconds: row.startMs)),
                "end": m.endMs.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
                "duration": .double(m.duration), "bytes": .int(m.bytes), "status": .string(row.status.rawValue),
            ])
        })
    }

    public var text: String {
        var table = [["CAMERA", "START", "DURATION", "SIZE", "STATUS", "FILE"]]
        for row in rows {
            let m = measured(row)
            table.append([row.camera.rawValue, Timestamp.rfc3339(milliseconds: row.startMs), String(format3: m.duration) + " s",
                          ByteCount.format(m.bytes), row.status.rawValue, row.file])
        }
        return (TextTable.render(table) + ["", "\(rows.count) recordings"]).joined(separator: "\n")
    }
}

enum TextTable {
    static func render(_ rows: [[String]]) -> [String] {
        guard let header = rows.first else { return [] }
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count) }
                .joined(separator: "  ")
        }
    }
}

enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : "\(String(format1: value)) \(units[unit])"
    }
}

extension String {
    public init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }

    public init(format3 value: Double) {
        let thousandths = Int64((value * 1000).rounded())
        let frac = String(thousandths % 1000)
        self = "\(thousandths / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
    }
}
