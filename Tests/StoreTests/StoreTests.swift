import Foundation
import Testing
import CamgateCore
@testable import Store
import TestSupport

@Suite struct StoreTests {
    let dir = TemporaryDirectory("store")

    static func camera(_ id: String, record: Bool = true) throws -> (CameraID, CameraSpec) {
        (try CameraID(id), CameraSpec(source: .rtsp(url: "rtsp://u:secret@10.0.0.1/s"), record: record))
    }

    @Test func createsTheSchemaOnceWithWALAndForeignKeys() async throws {
        let store = try Store.open(directory: dir.path)
        #expect(store.appliedMigrations == Schema.migrations.map(\.name))
        let journal = try await store.scalar("PRAGMA journal_mode")
        #expect(journal == .text("wal"))
        let fk = try await store.scalar("PRAGMA foreign_keys")
        #expect(fk == .integer(1))
        await store.close()
        let again = try Store.open(directory: dir.path)
        #expect(again.appliedMigrations.isEmpty)
    }

    /// WHATWG: the resume point is the last event id, whatever the server
    /// last sent — an older id, non-ASCII, control characters — and an
    /// empty id clears it. Only what no id can hold (NUL, CR, LF) is refused.
    @Test func theResumePointIsTheLastEventIDTheServerSentAndAnEmptyIDClearsIt() async throws {
        let store = try Store.open(directory: dir.path)
        try await store.configureCloud(endpoint: "https://cloud.example", deviceID: "d1")
        _ = try await store.storeEvent(id: "7", type: "x", data: "")
        #expect(try await store.resumeID() == "7")
        _ = try await store.storeEvent(id: "5", type: "x", data: "")
        #expect(try await store.resumeID() == "5", "an older id too")
        for valid in ["ünï-📷", "a\u{1}\tb", String(repeating: "9", count: 200), "9 9"] {
            _ = try await store.storeEvent(id: valid, type: "x", data: "")
            #expect(try await store.resumeID() == valid)
        }
        _ = try await store.storeEvent(id: "", type: "x", data: "")
        #expect(try await store.resumeID() == nil, "an empty id resets it: no Last-Event-ID")
        try await store.commitResumeID("60")
        #expect(try await store.resumeID() == "60")
        try await store.commitResumeID("")
        #expect(try await store.resumeID() == nil, "an empty id without data resets it too")
        try await store.commitResumeID("61")
        for impossible in ["6\u{0}2", "100\r\nX-Evil: 1", "6\n3"] {
            _ = try await store.storeEvent(id: impossible, type: "x", data: "")
            try await store.commitResumeID(impossible)
            #expect(try await store.resumeID() == "61", "\(impossible.debugDescription)")
        }
        _ = try await store.storeEvent(id: "", type: "(dropped)", data: "", movesResumePoint: false)
        #expect(try await store.resumeID() == "61", "a dropped event with no id leaves it")
        #expect(try await store.storedEvents().count == 11, "every event is stored, whatever its id")
    }

    /// Outside text may hold NUL: it is bound and read by length, so
    /// nothing is cut at the first NUL (a C string would be).
    @Test func textWithNULIsStoredAndReadWhole() async throws {
        let store = try Store.open(directory: dir.path)
        try await store.configureCloud(endpoint: "https://cloud.example", deviceID: "d1")
        let data = "a\u{0}b\u{0}\u{0}ünï\u{0}"
        let command = NewCommand(id: "c\u{0}1", type: "snapshot", camera: nil, args: #"{"x": "\#u{0}"}"#, expiresAtMs: nil)
        let stored = try await store.storeEvent(id: "i\u{0}d", type: "t\u{0}", data: data, command: command)
        #expect(stored.commandIsNew)
        let event = try #require(try await store.storedEvents().last)
        #expect(event.data == data && event.type == "t\u{0}" && event.id == "i\u{0}d")
        #expect(try await store.unhandledEvents().map(\.data) == [data])
        let row = try #require(try await store.command("c\u{0}1"))
        #expect(row.args == command.args)
        #expect(try await store.command("c") == nil, "the key is not cut either")
        _ = try await store.storeEvent(id: "", type: "", data: "")
        let empty = try #require(try await store.storedEvents().last)
        #expect(empty.id == "" && empty.data == "", "an empty text stays text, not NULL")
    }

    @Test func aDesiredStateThatMovesACameraIsAURLChange() async throws {
        let store = try Store.open(directory: dir.path)
        let gate = try CameraID("gate")
        func state(_ url: String, restream: String? = nil) throws -> DesiredState {
            DesiredState(cameras: [gate: CameraSpec(source: .rtsp(url: url), record: true, restream: try restream.map { try Restream(url: $0) })])
        }
        try await store.saveDesiredState(try state("rtsp://u:pw@10.0.0.1/a"), origin: .config)
        #expect(try await store.urlHistoryCount(camera: gate) == 0, "a new camera is not a change")
        try await store.saveDesiredState(try state("rtsp://u:pw@10.0.0.1/a"), origin: .cloud)
        #expect(try await store.urlHistoryCount(camera: gate) == 0, "unchanged")
        try await store.saveDesiredState(try state("rtsp://u:pw@10.0.0.1/b", restream: "rtmp://10.0.0.9/live/k"), origin: .cloud)
        try await store.saveDesiredState(try state("rtsp://u:pw@10.0.0.1/c"), origin: .config)
        #expect(try await store.urlHistoryCount(camera: gate) == 2)
        let rows = try await store.rows("SELECT origin, old_rtsp_url, new_rtsp_url, new_rtmp_url FROM url_history ORDER BY rowid")
        #expect(rows.map { $0[0] } == [.text("sse"), .text("config")])
        #expect(rows.allSatisfy { row in row.allSatisfy { if case .text(let t) = $0 { !t.contains("pw") } else { true } } }, "redacted")
        try await store.saveDesiredState(try state("rtsp://u:pw@10.0.0.1/d"), origin: .cloud, recordingURLChanges: false)
        #expect(try await store.urlHistoryCount(camera: gate) == 2, "a url_update records its own row")
    }

    @Test func storesTheDesiredStateAndSyncsCameras() async throws {
        let store = try Store.open(directory: dir.path)
        #expect(try await store.desiredState() == nil)
        let (a, spec) = try Self.camera("a")
        let (b, specB) = try Self.camera("b", record: false)
        try await store.saveDesiredState(DesiredState(revision: 7, cameras: [a: spec, b: specB]), origin: .cloud)
        let stored = try #require(try await store.desiredState())
        #expect(stored.state.revision == 7 && stored.origin == .cloud)
        #expect(stored.state.cameras[a] == spec)
        var cameras = try await store.cameras()
        #expect(cameras.map(\.id) == [a, b])
        #expect(cameras[0].source == "rtsp rtsp://u:***@10.0.0.1/s", "no password in the cameras table")

        try await store.saveDesiredState(DesiredState(revision: 8, cameras: [a: spec]), origin: .cloud)
        cameras = try await store.cameras()
        #expect(cameras.first { $0.id == b }?.state == .removed)
        try await store.saveDesiredState(DesiredState(revision: 9, cameras: [a: spec, b: specB]), origin: .cloud)
        #expect(try await store.cameras().first { $0.id == b }?.state == .idle)
    }

    @Test func cameraStateIsWrittenOnlyWhenItChanges() async throws {
        let store = try Store.open(directory: dir.path)
        let (a, spec) = try Self.camera("a")
        try await store.saveDesiredState(DesiredState(cameras: [a: spec]), origin: .config)
        try await store.setCameraState(a, .recording, nowMs: 1000)
        let before = try await store.scalar("SELECT total_changes()")
        try await store.setCameraState(a, .recording, nowMs: 2000)
        try await store.setCameraState(a, .recording, lastError: .some(nil), nowMs: 3000)
        let after = try await store.scalar("SELECT total_changes()")
        #expect(after == before, "an unchanged state must not write")
        #expect(try await store.cameras()[0].stateSinceMs == 1000)
        try await store.setCameraState(a, .backoff, lastError: .some("exit 1"), countRestart: true, nowMs: 4000)
        let row = try await store.cameras()[0]
        #expect(row.state == .backoff && row.lastError == "exit 1" && row.restarts == 1 && row.stateSinceMs == 4000)
    }

    @Test func indexesSegmentsFromRecordingToComplete() async throws {
        let store = try Store.open(directory: dir.path)
        let (a, spec) = try Self.camera("a")
        try await store.saveDesiredState(DesiredState(cameras: [a: spec]), origin: .config)
        try await store.noteRecordingStarted(camera: a, file: "/r/1.ts", startMs: 10_000)
        try await store.noteRecordingStarted(camera: a, file: "/r/1.ts", startMs: 10_000)
        #expect(try await store.openRecordings().count == 1)
        try await store.noteRecordingFinished(camera: a, file: "/r/1.ts", startMs: 10_000, duration: 1800.25, bytes: 42)
        let row = try #require(try await store.recording(file: "/r/1.ts"))
        #expect(row.status == .complete && row.endMs == 1_810_250 && row.duration == 1800.25 && row.bytes == 42)
        // A complete segment is not rewritten by a late duplicate.
        try await store.noteRecordingFinished(camera: a, file: "/r/1.ts", startMs: 10_000, duration: 1.0, bytes: 1)
        #expect(try await store.recording(file: "/r/1.ts")?.bytes == 42)
        #expect(try await store.finishedRecordings().map(\.file) == ["/r/1.ts"])
        try await store.deleteRecordings(ids: [row.id])
        #expect(try await store.recordings().isEmpty)
    }

    @Test func schemaRejectsInconsistentRows() async throws {
        let store = try Store.open(directory: dir.path)
        await #expect(throws: SQLiteError.self) {
            try await store.execute("INSERT INTO recordings (camera, file, start_ms, status) VALUES ('ghost', '/x', 0, 'recording')")
        }
        let (a, spec) = try Self.camera("a")
        try await store.saveDesiredState(DesiredState(cameras: [a: spec]), origin: .config)
        await #expect(throws: SQLiteError.self) {
            try await store.execute("INSERT INTO recordings (camera, file, start_ms, status) VALUES ('a', '/x', 0, 'complete')")
        }
        await #expect(throws: SQLiteError.self) {
            try await store.execute("UPDATE cameras SET state = 'dancing'")
        }
    }

    @Test func remembersProcessesAndTheAgent() async throws {
        let store = try Store.open(directory: dir.path)
        let (a, spec) = try Self.camera("a")
        try await store.saveDesiredState(DesiredState(cameras: [a: spec]), origin: .config)
        let row = ProcessRow(key: WorkloadKey(camera: a, role: .recorder), identity: ProcessIdentity(bootID: "b", pid: 123, startTime: 456),
                             fingerprint: "f", startedAtMs: 1, logFile: "/l")
        try await store.saveProcess(row)
        #expect(try await store.processes() == [row])
        try await store.deleteProcess(row.key)
        #expect(try await store.processes().isEmpty)
        try await store.registerAgent(ProcessIdentity(bootID: "b", pid: 9, startTime: 1), version: "v", nowMs: 5)
        try await store.markAgentStopped(nowMs: 6)
        #expect(try await store.agent()?.stoppedAtMs == 6)
    }

    @Test func eventLogIsRedactedAndBounded() async throws {
        let store = try Store.open(directory: dir.path)
        for i in 0..<30 { try await store.logEvent(.info, "t", "event \(i) rtsp://u:pw@h/x") }
        try await store.pruneEvents(keep: 10)
        let events = try await store.events(limit: 100)
        #expect(events.count == 10)
        #expect(events.last?.message == "event 29 rtsp://u:***@h/x")
    }

    @Test func movesAGarbageFileAsideInsteadOfDroppingIt() throws {
        let path = dir.file(Store.fileName)
        let garbage = Data(repeating: 0x41, count: 8192)
        _ = FileManager.default.createFile(atPath: path, contents: garbage)
        do {
            _ = try Store.open(directory: dir.path)
            Issue.record("opened a garbage file")
        } catch {
            guard case .corrupt(let movedTo) = error.kind else { Issue.record("\(error)"); return }
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(FileManager.default.contents(atPath: movedTo) == garbage, "the bytes are kept")
            #expect(error.description.contains("moved to"))
        }
        // The next start gets a new database.
        #expect(try Store.open(directory: dir.path).appliedMigrations == Schema.migrations.map(\.name))
    }

    @Test func detectsDamagedPagesWithIntegrityCheck() async throws {
        let store = try Store.open(directory: dir.path)
        let (a, spec) = try Self.camera("a")
        try await store.saveDesiredState(DesiredState(cameras: [a: spec]), origin: .config)
        for i in 0..<500 { try await store.noteRecordingStarted(camera: a, file: "/r/\(i).ts", startMs: Int64(i)) }
        await store.close()
        // Scribble over the middle of the file (past the header page).
        let path = dir.file(Store.fileName)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        handle.write(Data(repeating: 0xFF, count: 4096))
        try handle.close()
        #expect {
            _ = try Store.open(directory: dir.path)
        } throws: { error in
            guard let error = error as? StoreOpenError, case .corrupt = error.kind else { return false }
            return true
        }
    }

    @Test func readOnlyOpenOfAMissingDatabaseSaysSo() {
        #expect {
            _ = try Store.openReadOnly(directory: dir.path)
        } throws: { error in
            (error as? StoreOpenError)?.kind == .missing
        }
    }

    @Test func cannotOpenInsideAFile() throws {
        _ = FileManager.default.createFile(atPath: dir.file("plain"), contents: Data())
        #expect {
            _ = try Store.open(directory: dir.file("plain"))
        } throws: { error in
            (error as? StoreOpenError)?.kind == .unusable
        }
    }
}
