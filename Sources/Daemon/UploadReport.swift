import CamgateCore
import Platform
import Store

/// The upload queue and its progress for `status`, the API's `uploads`
/// block and the status page: counts and pending bytes from the store;
/// bytes sent, the segment under way and the last error from the running
/// uploader (`UploadProgress`), or, when the answer comes from the
/// database, the `uploading` row and the newest stored error. Errors are
/// redacted again here: no presigned query string leaves through it.
public struct UploadReport: Sendable {
    public struct Current: Sendable, Equatable {
        public var camera: CameraID
        public var file: String
        public var bytes: Int64
        public var sentBytes: Int64
    }

    public var policy: UploadPolicy
    public var summary: UploadQueueSummary
    /// Since the agent started; nil when no uploader answered (database).
    public var bytesSent: Int64?
    public var segmentsLost: Int?
    public var current: Current?
    public var lastError: String?
    public var linkHoldUntilMs: Int64?

    /// From the store alone (the CLI with no agent running).
    public static func build(store: Store, policy: UploadPolicy) async throws -> UploadReport {
        let summary = try await store.uploadSummary()
        let activity = try await store.uploadActivity()
        let current = activity.current.map { item in
            Current(camera: item.row.camera, file: FileSystem.basename(item.row.file), bytes: item.row.bytes, sentBytes: item.storedBytes)
        }
        return UploadReport(policy: policy, summary: summary, current: current, lastError: activity.lastError)
    }

    /// From the store and the running uploader.
    public static func build(store: Store, policy: UploadPolicy, progress: UploadProgress?, segmentsLost: Int) async throws -> UploadReport {
        var report = try await build(store: store, policy: policy)
        guard let progress else { return report }
        report.bytesSent = progress.bytesSent
        report.segmentsLost = segmentsLost
        report.current = progress.current.map { Current(camera: $0.camera, file: $0.file, bytes: $0.bytes, sentBytes: $0.sentBytes) }
        report.lastError = progress.lastError
        report.linkHoldUntilMs = progress.linkHoldUntilMs.flatMap { $0 > WallClock.nowMilliseconds() ? $0 : nil }
        return report
    }

    /// Fraction of the current segment S3 has or that is on its way (0…1).
    static func fraction(sent: Int64, of bytes: Int64) -> Double {
        guard bytes > 0 else { return 0 }
        return Double(min(max(sent, 0), bytes)) / Double(bytes)
    }

    public var json: JSONValue {
        let current: JSONValue = self.current.map { c in
            .object(["camera": .string(c.camera.rawValue), "file": .string(c.file), "bytes": .int(c.bytes),
                     "sent_bytes": .int(min(c.sentBytes, c.bytes)), "progress": .double(UploadReport.fraction(sent: c.sentBytes, of: c.bytes))])
        } ?? .null
        return .object([
            "mode": .string(policy.mode.rawValue), "max_kbps": .int(Int64(policy.maxKbps)), "order": .string(policy.order.rawValue),
            "queued": .int(Int64(summary.queued)), "uploading": .int(Int64(summary.uploading)),
            "done": .int(Int64(summary.done)), "failed": .int(Int64(summary.failed)),
            "pending_bytes": .int(summary.pendingBytes),
            "bytes_sent": bytesSent.map(JSONValue.int) ?? .null,
            "lost": segmentsLost.map { .int(Int64($0)) } ?? .null,
            "current": current,
            "last_error": lastError.map { .string(Redactor.redact($0)) } ?? .null,
            "held_until": linkHoldUntilMs.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
        ])
    }

    /// `camgate status`'s lines for the `uploads` block.
    public static func text(of json: JSONValue) -> [String] {
        func int(_ key: String) -> Int64 { if case .int(let n)? = json[key] { n } else { 0 } }
        let mode = json["mode"]?.stringValue ?? "none"
        let counts = ["queued", "uploading", "done", "failed"].map(int)
        if mode == "none", counts.allSatisfy({ $0 == 0 }) { return ["uploads: none"] }
        var line = "uploads: \(mode)"
        if case .int(let kbps)? = json["max_kbps"], kbps > 0 { line += ", cap \(kbps) kbit/s" }
        line += "; \(int("queued")) queued, \(int("uploading")) uploading, \(int("done")) done, \(int("failed")) failed"
        line += "; \(ByteCount.format(int("pending_bytes"))) to send"
        if case .int(let sent)? = json["bytes_sent"] { line += ", \(ByteCount.format(sent)) sent since start" }
        var lines = [line]
        if let c = json["current"], c != .null {
            let fraction: Double = switch c["progress"] {
            case .double(let d)?: d
            case .int(let n)?: Double(n)
            default: 0
            }
            let percent = Int((fraction * 100).rounded(.down))
            let bytes: Int64 = if case .int(let n)? = c["bytes"] { n } else { 0 }
            lines.append("uploading: \(c["camera"]?.stringValue ?? "?")/\(c["file"]?.stringValue ?? "?") \(percent)% of \(ByteCount.format(bytes))")
        }
        if let held = json["held_until"]?.stringValue { lines.append("upload endpoint held off until \(held)") }
        if let error = json["last_error"]?.stringValue { lines.append("upload last error: \(String(error.prefix(200)))") }
        return lines
    }
}
