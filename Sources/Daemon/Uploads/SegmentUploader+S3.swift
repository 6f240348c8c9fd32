import CamgateCore
import CloudLink
import ObjectStore
import Platform
import Store

/// The S3 side: presigned PUTs streamed from disk through the bandwidth
/// cap, each with the `Content-MD5` of its bytes (S3 refuses other bytes)
/// and its ETag checked against that MD5, Complete.
extension SegmentUploader {
    /// ETag mismatches tolerated on one part in one attempt.
    static let maximumResends = 3

    func send(_ target: UploadTarget, _ row: inout UploadRow, digests: SegmentDigests?) async -> SendStep {
        do {
            switch target.method {
            case .put(let url):
                try await store.startUpload(id: row.id, objectKey: target.key, uploadID: nil, partSize: nil)
                (row.objectKey, row.uploadID, row.partSize) = (target.key, nil, nil)
                let whole = MultipartPlan.Part(number: 1, offset: 0, length: row.bytes)
                guard let md5 = Self.md5s(of: [whole], file: row.file, digests: digests)[1] else {
                    return .retry("cannot read \(row.file)", linkDown: false)
                }
                return await sendRange(url: url, row: row, offset: 0, length: row.bytes, md5: md5)
            case .multipart(let multipart):
                try await store.startUpload(id: row.id, objectKey: target.key, uploadID: multipart.uploadID, partSize: multipart.partSize)
                (row.objectKey, row.uploadID, row.partSize) = (target.key, multipart.uploadID, multipart.partSize)
                return await sendParts(multipart, row: row, digests: digests)
            }
        } catch {
            return .retry("cannot record the upload's progress: \(error)", linkDown: false)
        }
    }

    private func sendParts(_ target: MultipartTarget, row: UploadRow, digests: SegmentDigests?) async -> SendStep {
        do {
            let plan = try MultipartPlan(size: row.bytes, partSize: target.partSize)
            let toSend = plan.resume(stored: try await store.storedParts(upload: row.id)).toSend
            var stored = row.bytes - toSend.reduce(Int64(0)) { $0 + $1.length }
            let md5s = Self.md5s(of: toSend, file: row.file, digests: digests)
            for part in toSend {
                guard let url = target.partURLs[part.number] else { return .refreshURLs("no URL for part \(part.number)") }
                guard let md5 = md5s[part.number] else { return .retry("cannot read part \(part.number) of \(row.file)", linkDown: false) }
                let step = await sendRange(url: url, row: row, offset: part.offset, length: part.length, stored: stored, md5: md5)
                guard case .done(let etag?) = step else { return step == .done(etag: nil) ? .retry("part \(part.number): S3 sent no ETag", linkDown: false) : step }
                // Stored before the next part starts: a kill now loses nothing S3 has.
                try await store.storePart(upload: row.id, number: part.number, etag: etag, bytes: part.length)
                stored += part.length
            }
            return await complete(target, row: row)
        } catch {
            return .retry("part bookkeeping failed: \(error)", linkDown: false)
        }
    }

    /// The MD5 of each part about to go, before the first goes: from the
    /// digest pass when it took them, else read now, once the target is
    /// there (a resume, an attempt after a failed one, another part size).
    /// A part that cannot be read has none.
    static func md5s(of parts: [MultipartPlan.Part], file: String, digests: SegmentDigests?) -> [Int: [UInt8]] {
        var out: [Int: [UInt8]] = [:]
        for part in parts {
            out[part.number] = digests?.md5(offset: part.offset, length: part.length)
                ?? (try? FileDigest.md5(of: file, offset: part.offset, length: part.length))
        }
        return out
    }

    /// One PUT of a byte range with its `Content-MD5`, sent again while S3
    /// refuses the bytes as not those hashed (`BadDigest`) or answers an
    /// MD5 ETag that is not theirs; `stored`: the segment's bytes S3
    /// already has (progress).
    func sendRange(url: String, row: UploadRow, offset: Int64, length: Int64, stored: Int64 = 0, md5: [UInt8]) async -> SendStep {
        for _ in 0..<SegmentUploader.maximumResends {
            await progress.startRequest(stored: stored)
            let answer: S3Answer, etagIsMD5: Bool
            do { (answer, etagIsMD5) = try await put(url: url, file: row.file, offset: offset, length: length, md5: md5) } catch let short as HTTPRequest.FileBodyShort {
                return .retry("cannot read \(row.file): \(short)", linkDown: false)
            } catch {
                return .retry("PUT to S3 failed: \(HTTPTransport.describe(error))", linkDown: true)
            }
            switch answer {
            case .stored(let etag):
                if PartETag.verdict(etag: etag ?? "", md5Hex: etagIsMD5 ? Hex.encode(md5) : nil) != .mismatch { return .done(etag: etag) }
                await progress.update { $0.etagMismatches += 1 }
                logger.warning("upload: S3 answered ETag \(etag ?? "(none)") for bytes whose MD5 is \(Hex.encode(md5)); sending them again",
                               metadata: ["file": "\(row.file)", "offset": "\(offset)"])
            case .resend(let reason):
                await progress.update { $0.etagMismatches += 1 }
                logger.warning("upload: S3 refused the bytes (\(reason)); sending them again", metadata: ["file": "\(row.file)", "offset": "\(offset)"])
            case .urlRefused(let reason): return .refreshURLs(reason)
            case .uploadGone(let reason), .startOver(let reason): return .startOver(reason)
            case .retry(let reason): return .retry("S3: \(reason)", linkDown: true)
            }
        }
        return .retry("S3 refused the bytes or answered a wrong ETag \(SegmentUploader.maximumResends) times", linkDown: false)
    }

    /// The PUT of a byte range with its `Content-MD5`, and whether S3's
    /// answer says its ETag is an MD5 (not under SSE-KMS or SSE-C).
    func put(url: String, file: String, offset: Int64, length: Int64, md5: [UInt8]) async throws -> (S3Answer, etagIsMD5: Bool) {
        var request = HTTPRequest(method: .PUT, endpoint: try Endpoint(parsing: url),
                                  headers: [("Content-Type", "application/octet-stream"), ("Content-MD5", FileDigest.contentMD5(md5))])
        let cap = cap, progress = progress
        request.fileBody = .init(path: file, offset: offset, length: length, pace: { bytes in
            try await cap.pace(bytes)
            await progress.noteSent(bytes)
        })
        // Nothing is read while a capped part goes out: the idle limit covers the slowest send.
        let idle = Duration.seconds(60 + length / (await cap.floorBytesPerSecond))
        return try await transport.execute(request, idleTimeout: idle) { start, reader in
            var body: [UInt8] = []
            while let chunk = try await reader.next() { if body.count < 64 << 10 { body += chunk } }
            return (S3Answer.classify(status: start.status, etagHeader: start.header("ETag"), body: body, completing: false),
                    PartETag.isMD5(serverSideEncryption: start.header("x-amz-server-side-encryption"),
                                   customerKeyAlgorithm: start.header("x-amz-server-side-encryption-customer-algorithm")))
        }
    }

    /// CompleteMultipartUpload with every stored ETag, parts in order.
    func complete(_ target: MultipartTarget, row: UploadRow) async -> SendStep {
        do {
            let parts = try await store.storedParts(upload: row.id)
            let body = S3XML.completeBody(parts.map { (number: $0.key, etag: $0.value) })
            let request = HTTPRequest(method: .POST, endpoint: try Endpoint(parsing: target.completeURL),
                                      headers: [("Content-Type", "application/xml")], body: Array(body.utf8))
            let answer = try await transport.execute(request, idleTimeout: .seconds(120)) { start, reader in
                var bytes: [UInt8] = []
                while let chunk = try await reader.next() { if bytes.count < 64 << 10 { bytes += chunk } }
                return S3Answer.classify(status: start.status, etagHeader: start.header("ETag"), body: bytes, completing: true)
            }
            switch answer {
            case .stored(let etag): return .done(etag: etag)
            case .urlRefused(let reason): return .refreshURLs("Complete: \(reason)")
            case .uploadGone(let reason), .startOver(let reason): return .startOver("Complete: \(reason)")
            case .retry(let reason), .resend(let reason): return .retry("Complete: \(reason)", linkDown: true)
            }
        } catch {
            return .retry("Complete failed: \(HTTPTransport.describe(error))", linkDown: true)
        }
    }
}
