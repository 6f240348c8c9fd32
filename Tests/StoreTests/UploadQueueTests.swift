import Testing
import CamgateCore
@testable import Store
import TestSupport

/// The persistent upload queue (issue 12) on a real SQLite file.
@Suite struct UploadQueueTests {
    let dir = TemporaryDirectory("store-uploads")

    func storeWithSegments(_ count: Int, camera: String = "front") async throws -> (Store, CameraID, [Int64]) {
        let store = try Store.open(directory: dir.path)
        let (id, spec) = (try CameraID(camera), CameraSpec(source: .rtsp(url: "rtsp://10.0.0.1/s"), record: true))
        try await store.saveDesiredState(DesiredState(cameras: [id: spec]), origin: .config)
        var ids: [Int64] = []
        for n in 0..<count {
            let file = "/r/\(camera)/\(n).ts"
            try await store.noteRecordingFinished(camera: id, file: file, startMs: 1_000_000 + Int64(n) * 5000, duration: 5, bytes: 1000 + Int64(n))
            ids.append(try #require(try await store.recording(file: file)).id)
        }
        return (store, id, ids)
    }

    @Test func queuesFinishedSegmentsOnceAndCountsThoseAlreadyUploaded() async throws {
        let (store, _, ids) = try await storeWithSegments(3)
        #expect(try await store.queueUploads(recordingIDs: ids) == QueuedUploads(queued: 3, alreadyUploaded: 0))
        #expect(try await store.queueUploads(recordingIDs: ids) == QueuedUploads(queued: 0, alreadyUploaded: 0), "queued ones stay as they are")
        let first = try #require(try await store.pendingUploads().first)
        #expect(first.state == .queued && first.file == "/r/front/0.ts" && first.bytes == 1000 && first.camera.rawValue == "front")
        #expect(try await store.finishUpload(id: first.id, objectKey: "k/0.ts", etag: "\"e\"", report: nil))
        #expect(try await store.queueUploads(recordingIDs: ids) == QueuedUploads(queued: 0, alreadyUploaded: 1))
        #expect(try await store.queuedRecordingIDs() == Set(ids.dropFirst()))
    }

    @Test func segmentsOfAnUploadingCameraAreQueuedInTheTransactionThatIndexesThem() async throws {
        let (store, camera, _) = try await storeWithSegments(0)
        try await store.record([.started(camera: camera, file: "/r/x.ts", startMs: 5)], upload: [camera])
        #expect(try await store.pendingUploads().isEmpty, "a segment being written is not queued")
        try await store.record([.finished(camera: camera, file: "/r/x.ts", startMs: 5, duration: 5, bytes: 77)], upload: [camera])
        #expect(try await store.pendingUploads().map(\.file) == ["/r/x.ts"])
        try await store.record([.finished(camera: camera, file: "/r/y.ts", startMs: 9, duration: 5, bytes: 77)], upload: [])
        #expect(try await store.pendingUploads().count == 1, "a camera not uploading is not queued")
    }

    @Test func partETagsSurviveAReopenAndANewUploadIDDropsThem() async throws {
        let (store, _, ids) = try await storeWithSegments(1)
        _ = try await store.queueUploads(recordingIDs: ids)
        let row = try #require(try await store.pendingUploads().first)
        try await store.setUploadDigest(id: row.id, bytes: 17 << 20, sha256: String(repeating: "a", count: 64))
        try await store.startUpload(id: row.id, objectKey: "p/front/0.ts", uploadID: "up-1", partSize: 8 << 20)
        try await store.storePart(upload: row.id, number: 1, etag: "\"11\"", bytes: 8 << 20)
        try await store.storePart(upload: row.id, number: 2, etag: "\"22\"", bytes: 8 << 20)
        await store.close()

        let reopened = try Store.open(directory: dir.path)
        let again = try #require(try await reopened.upload(id: row.id))
        #expect(again.state == .uploading && again.uploadID == "up-1" && again.partSize == 8 << 20 && again.bytes == 17 << 20)
        #expect(try await reopened.storedParts(upload: row.id) == [1: "\"11\"", 2: "\"22\""])
        try await reopened.startUpload(id: row.id, objectKey: "p/front/0.ts", uploadID: "up-1", partSize: 8 << 20)
        #expect(try await reopened.storedParts(upload: row.id).count == 2, "the same upload id keeps its parts")
        try await reopened.startUpload(id: row.id, objectKey: "p/front/0.ts", uploadID: "up-2", partSize: 8 << 20)
        #expect(try await reopened.storedParts(upload: row.id).isEmpty, "parts of another upload id are not sent to Complete")
        try await reopened.storePart(upload: row.id, number: 1, etag: "\"33\"", bytes: 8 << 20)
        try await reopened.forgetMultipart(upload: row.id)
        #expect(try await reopened.storedParts(upload: row.id).isEmpty)
        #expect(try await reopened.upload(id: row.id)?.uploadID == nil)
    }

    @Test func finishingQueuesOneUploadedItemAndOnlyOnce() async throws {
        let (store, _, ids) = try await storeWithSegments(1)
        _ = try await store.queueUploads(recordingIDs: ids)
        let row = try #require(try await store.pendingUploads().first)
        let item = JSONValue.object(["kind": .string("uploaded"), "key": .string("k")])
        #expect(try await store.finishUpload(id: row.id, objectKey: "k", etag: "\"x-2\"", report: item))
        #expect(try await store.finishUpload(id: row.id, objectKey: "k", etag: "\"x-2\"", report: item) == false)
        let reports = try await store.pendingReports(limit: 10)
        #expect(reports.count == 1 && reports[0].payload.contains("uploaded"))
        let done = try #require(try await store.upload(id: row.id))
        #expect(done.state == .done && done.etag == "\"x-2\"" && done.uploadedAtMs != nil)
        #expect(try await store.pendingUploads().isEmpty)
    }

    @Test func failuresCountAttemptsAndAFailedSegmentIsQueuedAgainByACommand() async throws {
        let (store, _, ids) = try await storeWithSegments(1)
        _ = try await store.queueUploads(recordingIDs: ids)
        let row = try #require(try await store.pendingUploads().first)
        try await store.noteUploadFailure(id: row.id, error: "HTTP 503 from https://s3.example/b/k?X-Amz-Signature=abcdef", nextAttemptMs: 99, nowMs: 50)
        try await store.noteUploadFailure(id: row.id, error: "HTTP 503", nextAttemptMs: 120, nowMs: 60)
        let failed = try #require(try await store.upload(id: row.id))
        #expect(failed.attempts == 2 && failed.lastFailureMs == 60 && failed.nextAttemptMs == 120)
        try await store.failUpload(id: row.id, reason: "400: camera unknown")
        #expect(try await store.pendingUploads().isEmpty)
        #expect(try await store.queueUploads(recordingIDs: ids).queued == 1)
        let requeued = try #require(try await store.upload(id: row.id))
        #expect(requeued.state == .queued && requeued.attempts == 0 && requeued.lastError == nil)
    }

    @Test func aFailureMessageKeepsNoPresignedSignature() async throws {
        let (store, _, ids) = try await storeWithSegments(1)
        _ = try await store.queueUploads(recordingIDs: ids)
        let row = try #require(try await store.pendingUploads().first)
        try await store.noteUploadFailure(id: row.id, error: "PUT http://127.0.0.1:9/b/k?X-Amz-Credential=AKIA&X-Amz-Signature=0123abcd failed",
                                          nextAttemptMs: nil)
        let stored = try #require(try await store.upload(id: row.id)?.lastError)
        #expect(!stored.contains("0123abcd") && !stored.contains("AKIA"), "\(stored)")
    }

    @Test func deletingAQueuedRecordingReportsItLostInTheSameTransaction() async throws {
        let (store, _, ids) = try await storeWithSegments(2)
        _ = try await store.queueUploads(recordingIDs: ids)
        let lost = JSONValue.object(["kind": .string("recording_lost"), "file": .string("0.ts")])
        try await store.deleteRecordings(ids: ids, lost: [ids[0]: lost], report: true)
        #expect(try await store.pendingUploads().isEmpty, "the queue rows went with their recordings")
        #expect(try await store.recordings().isEmpty)
        let reports = try await store.pendingReports(limit: 10)
        #expect(reports.count == 1 && reports[0].payload.contains("recording_lost"))
    }

    @Test func theSummaryCountsStatesAndPendingBytes() async throws {
        let (store, _, ids) = try await storeWithSegments(3)
        _ = try await store.queueUploads(recordingIDs: ids)
        let rows = try await store.pendingUploads()
        try await store.startUpload(id: rows[1].id, objectKey: "k1", uploadID: "u", partSize: 5 << 20)
        try await store.storePart(upload: rows[1].id, number: 1, etag: "\"p\"", bytes: 500)
        _ = try await store.finishUpload(id: rows[0].id, objectKey: "k0", etag: nil, report: nil)
        let summary = try await store.uploadSummary()
        #expect(summary.queued == 1 && summary.uploading == 1 && summary.done == 1 && summary.failed == 0)
        #expect(summary.pendingBytes == 1001 + 1002 && summary.partBytes == 500)
    }

    @Test func theQueueListsInPagesByStateAndCameraWithTheBytesS3Has() async throws {
        let (store, _, ids) = try await storeWithSegments(5)
        _ = try await store.queueUploads(recordingIDs: ids)
        let rows = try await store.pendingUploads()
        try await store.startUpload(id: rows[2].id, objectKey: "k2", uploadID: "u2", partSize: 5 << 20)
        try await store.storePart(upload: rows[2].id, number: 1, etag: "\"p1\"", bytes: 600)
        try await store.storePart(upload: rows[2].id, number: 2, etag: "\"p2\"", bytes: 400)
        try await store.noteUploadFailure(id: rows[3].id, error: "PUT https://s3.example/b/k?X-Amz-Signature=abc: HTTP 503", nextAttemptMs: 9)
        _ = try await store.finishUpload(id: rows[0].id, objectKey: "k0", etag: "\"e\"", report: nil)

        let first = try await store.uploads(UploadQuery(limit: 2))
        let second = try await store.uploads(UploadQuery(afterID: first.last?.row.id, limit: 2))
        let third = try await store.uploads(UploadQuery(afterID: second.last?.row.id, limit: 2))
        #expect((first + second + third).map(\.row.id) == rows.map(\.id), "every row once, in the order queued")
        #expect(try await store.uploads(UploadQuery(state: .done)).map(\.row.objectKey) == ["k0"])
        #expect(try await store.uploads(UploadQuery(camera: try CameraID("back"))).isEmpty)
        let uploading = try await store.uploads(UploadQuery(state: .uploading))
        #expect(uploading.map(\.storedBytes) == [1000], "the stored parts' bytes")

        let activity = try await store.uploadActivity()
        #expect(activity.current?.row.id == rows[2].id && activity.current?.storedBytes == 1000)
        let error = try #require(activity.lastError)
        #expect(error.contains("HTTP 503") && !error.contains("abc"), "the newest error, stored redacted: \(error)")
    }
}

extension UploadQueueTests {
    /// The outbox was rebuilt by the uploads migration (its kinds are a
    /// CHECK): `seq` must never repeat, even when every item was acknowledged.
    @Test func theOutboxSequenceGoesOnAfterTheMigrationThatRebuiltIt() async throws {
        let store = try Store.open(directory: dir.path)
        try await store.execute("DELETE FROM schema_migrations WHERE name = '0005_uploads'; DROP TABLE upload_parts; DROP TABLE uploads;")
        try await store.execute("""
            CREATE TABLE outbox_old (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL, created_at INTEGER NOT NULL);
            DROP TABLE outbox; ALTER TABLE outbox_old RENAME TO outbox;
            """)
        for _ in 0..<5 { try await store.enqueueReport(kind: "ack", payload: .object([:])) }
        try await store.acknowledgeReports(upTo: 5)
        await store.close()
        let migrated = try Store.open(directory: dir.path)
        #expect(migrated.appliedMigrations == ["0005_uploads"])
        try await migrated.enqueueReport(kind: "uploaded", payload: .object([:]))
        #expect(try await migrated.pendingReports(limit: 1).first?.seq == 6)
    }
}
