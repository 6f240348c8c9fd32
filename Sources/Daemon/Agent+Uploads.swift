import CamgateCore
import Logging
import Platform
import Store

/// The agent's side of uploads: it owns the desired state and the
/// recordings, so it answers the upload service (`UploadOwner`), deletes
/// uploaded segments when asked, and says when retention had to drop a
/// queued one.
extension Agent: UploadOwner {
    public func uploadPolicy() async -> UploadPolicy {
        desired.upload
    }

    /// `upload.mode: motion` with somewhere to upload to: the window whose
    /// segments are queued around each motion event.
    var motionUploadWindow: MotionUploadWindow? {
        options.uploadsConfigured ? desired.upload.motionWindow : nil
    }

    public func deleteUploadedSegment(recordingID: Int64, file: String) async {
        do {
            try FileSystem.remove(file)
            try await store.deleteRecordings(ids: [recordingID])
        } catch {
            logger.error("upload: cannot delete the uploaded segment \(file): \(error)")
        }
    }

    /// The `recording_lost` report item (docs/protocol.md).
    static func lostItem(_ lost: RetentionPlanner.LostRecording, nowMs: Int64) -> JSONValue {
        .object([
            "kind": .string("recording_lost"), "camera": .string(lost.camera.rawValue), "file": .string(FileSystem.basename(lost.file)),
            "start": .string(Timestamp.rfc3339(milliseconds: lost.segment.startMs)), "bytes": .int(lost.segment.bytes),
            "reason": .string(lost.reason), "at": .string(Timestamp.rfc3339(milliseconds: nowMs)),
        ])
    }

    /// Queued segments retention deleted: an error in the log and the
    /// events, never silence; the report items went with the deletion.
    func noteLost(_ lost: [RetentionPlanner.LostRecording]) async {
        counters.uploadSegmentsLost += lost.count
        let files = lost.prefix(5).map { FileSystem.basename($0.file) }.joined(separator: ", ") + (lost.count > 5 ? ", …" : "")
        let message = "deleted \(lost.count) segments still waiting for their upload (\(files)): \(lost.first?.reason ?? "")"
        logger.error("retention: \(message)")
        try? await store.logEvent(.error, "recording-lost", message)
        if options.reportRecordings { reportsQueued() }
    }

    /// Segments `upload_recording` names: finished segments of `camera`
    /// overlapping [fromMs, toMs) still on disk, queued; the rest counted.
    public func queueRecordings(camera: CameraID, fromMs: Int64, toMs: Int64) async throws -> (queued: Int, alreadyUploaded: Int, missing: Int) {
        let rows = try await store.recordings(camera: camera).filter { row in
            row.status == .complete && row.startMs < toMs && (row.endMs ?? row.startMs) > fromMs
        }
        let present = rows.filter { FileSystem.exists($0.file) }
        let result = try await store.queueUploads(recordingIDs: present.map(\.id))
        // Slots of the segment length no present segment covers: deleted or never recorded.
        let length = Int64(max(desired.recording.segmentSeconds, 1)) * 1000
        let covered = present.reduce(Int64(0)) { $0 + min($1.endMs ?? $1.startMs, toMs) - max($1.startMs, fromMs) }
        let missing = Int(max(0, (toMs - fromMs - covered) / length))
        if result.queued > 0 { uploadsQueued() }
        return (result.queued, result.alreadyUploaded, missing)
    }
}
