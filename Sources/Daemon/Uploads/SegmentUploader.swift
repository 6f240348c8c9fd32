import CamgateCore
import CloudLink
import Logging
import ObjectStore
import Platform
import Store

/// Uploads one queued segment: asks for a target, sends the file (one PUT,
/// or the parts S3 does not have yet, each ETag stored as it comes),
/// completes, and says how it ended. Everything it learns is stored
/// before the next request, so a kill at any point resumes where S3 is.
struct SegmentUploader: Sendable {
    let store: Store
    let targets: any UploadTargetSource
    let transport: HTTPTransport
    let cap: BandwidthCap
    let progress: UploadProgressBox
    let logger: Logger

    /// New targets asked after a 404 or a refused Complete, per attempt.
    static let maximumRestarts = 2

    func upload(_ queued: UploadRow) async -> UploadOutcome {
        guard FileSystem.exists(queued.file) else { return .failed("\(queued.file) is no longer on disk") }
        var row: UploadRow, digests: SegmentDigests?
        do { (row, digests) = try await digest(queued) } catch { return .failed("cannot read \(queued.file): \(error)") }
        await progress.update { [row] in
            $0.current = .init(camera: row.camera, file: FileSystem.basename(row.file), bytes: row.bytes, sentBytes: 0)
        }
        let outcome = await attempt(&row, digests: digests)
        await progress.update { $0.current = nil }
        return outcome
    }

    private func attempt(_ row: inout UploadRow, digests: SegmentDigests?) async -> UploadOutcome {
        var refreshed = false, restarts = 0
        while true {
            let answer: UploadTargetAnswer
            do {
                answer = try await targets.target(for: try await targetRequest(row))
            } catch let error as UploadError {
                return .retry("the upload target breaks the protocol: \(error)", linkDown: true)
            } catch {
                return .retry("no upload target: \(HTTPTransport.describe(error))", linkDown: true)
            }
            let step: SendStep
            switch answer {
            case .alreadyUploaded: return .uploaded(key: row.objectKey ?? "", etag: nil)
            case .refused(let reason): return .failed("upload refused: \(reason)")
            case .credentialRejected(let reason): return .retry(reason, linkDown: true)
            case .unknownUpload(let reason): step = row.uploadID == nil ? .retry("HTTP 404: \(reason)", linkDown: false) : .startOver(reason)
            case .target(let target): step = await send(target, &row, digests: digests)
            }
            switch step {
            case .done(let etag): return .uploaded(key: row.objectKey ?? "", etag: etag)
            case .retry(let reason, let linkDown): return .retry(reason, linkDown: linkDown)
            case .refreshURLs(let reason):
                guard !refreshed else { return .retry("\(reason) (fresh URLs refused too)", linkDown: false) }
                refreshed = true
                logger.info("upload: S3 refused a URL (\(reason)); asking for fresh URLs", metadata: ["file": "\(row.file)"])
            case .startOver(let reason):
                guard restarts < SegmentUploader.maximumRestarts else { return .retry("\(reason) (after \(restarts) new uploads)", linkDown: false) }
                restarts += 1
                logger.warning("upload: starting \(FileSystem.basename(row.file)) over (\(reason))")
                try? await store.forgetMultipart(upload: row.id)
                row.uploadID = nil
                row.partSize = nil
            }
        }
    }

    /// The request for the next target: on a resume, the upload id and the
    /// parts S3 has no stored ETag for.
    func targetRequest(_ row: UploadRow) async throws -> UploadTargetRequest {
        var request = UploadTargetRequest(camera: row.camera, file: FileSystem.basename(row.file), startMs: row.startMs,
                                          size: row.bytes, sha256: row.sha256 ?? "")
        if let id = row.uploadID, let partSize = row.partSize {
            let plan = try MultipartPlan(size: row.bytes, partSize: partSize)
            request.uploadID = id
            request.parts = plan.resume(stored: try await store.storedParts(upload: row.id)).toSend.map(\.number)
        }
        return request
    }

    /// The file's size and sha256, stored, and the MD5 of each part of the
    /// plan the cloud will most likely answer (`UploadPlan.forFile`, as
    /// the simulator and the standalone presigner plan), all in one read.
    /// When the sha256 is stored already and the size unchanged (a resume,
    /// an attempt after a failed one) nothing is read here: the parts still
    /// to send are hashed once the target is there, before the first goes
    /// (`md5s(of:)`), not at every attempt while the link is down.
    func digest(_ row: UploadRow) async throws -> (UploadRow, SegmentDigests?) {
        let size = try FileSystem.fileSize(row.file)
        if row.sha256 != nil, size == row.bytes { return (row, nil) }
        let partSize: Int64 = switch try? UploadPlan.forFile(size: size) {
        case .multipart(let plan)?: plan.partSize
        default: max(size, 1)
        }
        let digests = try FileDigest.digests(of: row.file, partSize: partSize)
        try await store.setUploadDigest(id: row.id, bytes: digests.bytes, sha256: digests.sha256)
        var updated = row
        if digests.bytes != row.bytes { try? await store.forgetMultipart(upload: row.id); updated.uploadID = nil; updated.partSize = nil }
        updated.bytes = digests.bytes
        updated.sha256 = digests.sha256
        return (updated, digests)
    }
}
