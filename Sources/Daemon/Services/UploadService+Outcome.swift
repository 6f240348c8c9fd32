import CamgateCore
import CloudLink
import Platform
import Store

extension UploadService {
    /// Stores what an attempt came to: done (with its report item, in one
    /// transaction), a retry (the segment's backoff, or a hold on the whole
    /// endpoint when it did not answer), or a failure for good.
    func record(_ outcome: UploadOutcome, row: UploadRow, policy: UploadPolicy, linkFailures: inout Int,
                random: inout SystemRandomNumberGenerator) async {
        let now = WallClock.nowMilliseconds()
        switch outcome {
        case .uploaded(let key, let etag):
            linkFailures = 0
            await uploaded(row, key: key, etag: etag, policy: policy, nowMs: now)
        case .retry(let reason, let linkDown):
            let message = Redactor.redact(reason)
            var holdUntil: Int64?
            if linkDown {
                let delay = linkBackoff.delay(attempt: linkFailures, random: Double.random(in: 0..<1, using: &random))
                linkFailures += 1
                holdUntil = now + delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            }
            do {
                try await store.noteUploadFailure(id: row.id, error: message, nextAttemptMs: holdUntil, countAttempt: !linkDown, nowMs: now)
            } catch {
                logger.error("upload: cannot record a failure: \(error)")
            }
            await progress.update { [holdUntil] in
                $0.retries += 1
                $0.lastError = message
                $0.linkHoldUntilMs = holdUntil
            }
            let held = holdUntil.map { "; the endpoint is held off for \(($0 - now) / 1000) s" } ?? ""
            logger.warning("upload: \(FileSystem.basename(row.file)) not uploaded yet: \(message)\(held)")
        case .failed(let reason):
            let message = Redactor.redact(reason)
            try? await store.failUpload(id: row.id, reason: message, nowMs: now)
            try? await store.logEvent(.error, "upload", camera: row.camera, "\(FileSystem.basename(row.file)) will not be uploaded: \(message)")
            await progress.update { $0.segmentsFailed += 1; $0.lastError = message }
            logger.error("upload: \(FileSystem.basename(row.file)) failed for good: \(message)")
        }
    }

    private func uploaded(_ queued: UploadRow, key: String, etag: String?, policy: UploadPolicy, nowMs: Int64) async {
        // As stored by the uploader: with the size and sha256 it computed.
        let row = ((try? await store.upload(id: queued.id)) ?? nil) ?? queued
        let item = reports ? UploadService.uploadedItem(row, key: key, etag: etag, nowMs: nowMs) : nil
        do {
            guard try await store.finishUpload(id: row.id, objectKey: key, etag: etag, report: item, nowMs: nowMs) else { return }
        } catch {
            logger.error("upload: \(key) is uploaded but cannot be marked so: \(error)")
            return
        }
        if item != nil { reportsQueued() }
        await progress.update { $0.segmentsUploaded += 1; $0.linkHoldUntilMs = nil; $0.lastError = nil }
        logger.info("upload: \(FileSystem.basename(row.file)) → \(key) (\(row.bytes) bytes, ETag \(etag ?? "-"))")
        if policy.deleteAfterUpload { await owner.deleteUploadedSegment(recordingID: row.recordingID, file: row.file) }
    }

    /// The `uploaded` report item (docs/protocol.md).
    static func uploadedItem(_ row: UploadRow, key: String, etag: String?, nowMs: Int64) -> JSONValue {
        .object([
            "kind": .string("uploaded"), "camera": .string(row.camera.rawValue), "file": .string(FileSystem.basename(row.file)),
            "start": .string(Timestamp.rfc3339(milliseconds: row.startMs)), "bytes": .int(row.bytes), "key": .string(key),
            "etag": etag.map { .string($0) } ?? .null, "sha256": row.sha256.map { .string($0) } ?? .null,
            "at": .string(Timestamp.rfc3339(milliseconds: nowMs)),
        ])
    }
}
