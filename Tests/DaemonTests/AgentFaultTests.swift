import Foundation
import Testing
import CamgateCore
@testable import Daemon
import Media
import Platform
import Store
import TestSupport

/// Faults with real processes: a crash loop, a camera that vanishes, a disk
/// that fills up, old recordings.
@Suite(.serialized) struct AgentFaultTests {
    let dir = TemporaryDirectory("agent-faults")
    let fastPolicy = RestartPolicy(backoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(400)),
                                   failureThreshold: 4, failureWindow: .seconds(30), cooldown: .seconds(3600), healthyRun: .seconds(30))

    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    @Test func crashLoopBacksOffThenOpensTheCircuitWithoutSpinning() async throws {
        let cam = try CameraID("broken")
        // Nothing listens on this port: ffmpeg exits at once.
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .rtsp(url: "rtsp://127.0.0.1:\(freePort())/none"), record: true)])
        let cpuBefore = cpuSeconds()
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        let failed = try await waitUntil(timeout: .seconds(30)) { try await harness.camera("broken")?.state == .failed }
        let row = try #require(try await harness.camera("broken"))
        #expect(failed, "state: \(row.state)")
        #expect(row.restarts == 4, "4 failures open the circuit")
        #expect(row.lastError?.contains("Connection refused") == true, "the tail of ffmpeg's stderr: \(row.lastError ?? "nil")")
        // Parked: no further attempts while the circuit is open.
        try await Task.sleep(for: .seconds(1))
        #expect(try await harness.camera("broken")?.restarts == 4)
        #expect(await harness.supervisor.running.isEmpty)
        #expect(cpuSeconds() - cpuBefore < 2.0, "the agent does not spin: \(cpuSeconds() - cpuBefore) s CPU")
        let events = try await harness.store.events(limit: 20, camera: cam).map(\.message)
        #expect(events.contains { $0.contains("circuit open") }, "\(events)")
        try await harness.stop()
    }

    /// Deleting camgate.db-wal under the running agent made every CLI read
    /// fail ("disk I/O error") while the agent said nothing: the health tick
    /// says so plainly (log and event) and rebuilds the log, losing nothing.
    @Test func aDeletedWriteAheadLogIsReportedAndRebuiltOnTheHealthTick() async throws {
        let cam = try CameraID("wal")
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 10)), record: true)],
                                   recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let data = dir.file("data")
        let harness = try await AgentHarness(dataDirectory: data, desired: desired, policy: fastPolicy)
        #expect(try await waitUntil(timeout: .seconds(30)) { try await harness.camera("wal")?.state == .recording })
        try await harness.store.logEvent(.info, "test", "written before the log was deleted")
        let wal = "\(data)/camgate.db-wal"
        #expect(unlink(wal) == 0)
        let before = try runProgram(Repository.camgate, ["status", "--data-dir", data, "--json"])
        print("the CLI with the log deleted: exit \(before.status): \(before.output.prefix(300))")

        await harness.agent.healthTick()
        let events = try await harness.store.events(limit: 50).map(\.message)
        #expect(events.contains { $0.contains("write-ahead log \(wal) was deleted") && $0.contains("Rebuilt") }, "\(events)")
        #expect(!ProcFS.openFileTargets().contains("\(wal) (deleted)"), "the agent writes to a log others see")
        try await harness.store.logEvent(.info, "test", "written after the rebuild")
        let after = try runProgram(Repository.camgate, ["status", "--data-dir", data, "--json"])
        #expect(after.status == 0 && !after.output.contains("disk I/O error"), "\(after.output)")
        let reader = try Store.openReadOnly(directory: data)
        let seen = try await reader.events(limit: 50).map(\.message)
        #expect(seen.contains("written before the log was deleted") && seen.contains("written after the rebuild"), "\(seen)")
        await reader.close()
        await harness.agent.healthTick()
        let all = try await harness.store.events(limit: 50).map(\.message)
        #expect(all.filter { $0.contains("write-ahead log") }.count == 1, "said once: \(all)")
        try await harness.stop()
    }

    /// Segments are named after their first second: a recorder restarted
    /// within the second its predecessor opened a segment must not reopen
    /// (truncate) that indexed file.
    @Test func aRestartWithinTheSecondASegmentOpenedDoesNotOverwriteIt() async throws {
        let cam = try CameraID("quick")
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 10)), record: true)],
                                   recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        let day = harness.layout.recordings(cam)
        // Restart the moment a segment file appears, three times.
        var restarts = 0
        var seen = Set<String>()
        let deadline = ContinuousClock.now + .seconds(30)
        while restarts < 3, ContinuousClock.now < deadline {
            let files = Set(((try? FileSystem.list(day)) ?? []).flatMap { d in ((try? FileSystem.list("\(day)/\(d)")) ?? []).map { "\(day)/\(d)/\($0)" } })
            if !files.subtracting(seen).isEmpty {
                seen = files
                await harness.agent.restartCamera(cam)
                restarts += 1
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(restarts == 3)
        #expect(try await waitUntil(timeout: .seconds(20)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= 4
        })
        let rows = try await harness.store.recordings(camera: cam)
        try await harness.stop()
        #expect(Set(rows.map(\.file)).count == rows.count, "one row per file")
        for row in rows where row.status == .complete {
            #expect(try FileSystem.fileSize(row.file) == row.bytes, "\(row.file): the indexed size is the file's")
        }
    }

    /// A copied camera stream can only be cut at its keyframes: with a 5 s
    /// GOP, 2 s segments come out late, and the agent says what to change.
    @Test func aCopiedCameraWithALongGOPIsToldOnce() async throws {
        let server = try await RTSPTestServer(logDirectory: dir.path, keyframeInterval: 75)
        let cam = try CameraID("slowgop")
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .rtsp(url: server.url), record: true)],
                                   recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        #expect(try await waitUntil(timeout: .seconds(40)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= 3
        })
        let complete = try await harness.store.recordings(camera: cam).filter { $0.status == .complete }
        #expect(complete.dropFirst().allSatisfy { ($0.duration ?? 0) > 4 }, "cut at the 5 s keyframes: \(complete.map(\.duration))")
        let warnings = try await harness.store.events(limit: 100, camera: cam).map(\.message).filter { $0.contains("keyframe interval is long") }
        #expect(warnings.count == 1, "\(warnings)")
        try await harness.stop()
        server.stop()
    }

    @Test func cameraThatVanishesClosesItsSegmentAndIsReconnected() async throws {
        var server: RTSPTestServer? = try await RTSPTestServer(logDirectory: dir.path)
        let port = server!.port
        let cam = try CameraID("gate")
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .rtsp(url: "rtsp://127.0.0.1:\(port)/cam"), record: true)],
                                   recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        #expect(try await waitUntil(timeout: .seconds(30)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= 2
        })
        #expect(try await harness.camera("gate")?.state == .recording)

        server?.stop()
        server = nil
        #expect(try await waitUntil(timeout: .seconds(20)) {
            let open = try await harness.store.openRecordings()
            let running = await harness.supervisor.running
            return open.isEmpty && running.isEmpty
        },
                "the recorder ended and its segment was closed")
        let rows = try await harness.store.recordings(camera: cam)
        #expect(rows.allSatisfy { $0.status == .complete })
        let last = try #require(rows.last)
        #expect(last.bytes > 0 && (last.duration ?? 0) > 0)
        let problem = try Probe.playabilityProblem(last.file, lastFrameMayBeCut: true)
        #expect(problem == nil, "the segment cut by the camera's disappearance is playable: \(problem ?? "")")
        #expect(try await waitUntil(timeout: .seconds(10)) { (try await harness.camera("gate")?.restarts ?? 0) >= 2 }, "reconnect attempts follow")
        let row = try #require(try await harness.camera("gate"))
        #expect([.backoff, .failed, .starting].contains(row.state))
        #expect(row.lastError != nil)

        // The camera comes back: once the circuit lets it, recording resumes.
        await harness.agent.reconcile(reason: "test")
        server = try await RTSPTestServer(port: port, logDirectory: dir.path)
        let countBefore = rows.count
        // The fast policy parks a camera after 4 failures; an operator restart clears it.
        await harness.agent.resetRestarts(for: cam)
        #expect(try await waitUntil(timeout: .seconds(30)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= countBefore + 1
        }, "recording resumed")
        #expect(try await harness.camera("gate")?.state == .recording)
        try await harness.stop()
        server?.stop()
    }

    @Test func freeSpaceBelowTheFloorDeletesOldestFinishedSegmentsButNeverTheCurrentOne() async throws {
        let cam = try CameraID("cam")
        let spec = CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 15)), record: true)
        let desired = DesiredState(cameras: [cam: spec], recording: RecordingPolicy(segmentSeconds: 2, retainDays: 30, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        #expect(try await waitUntil(timeout: .seconds(30)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= 3
        })
        // Raise the floor above what this disk has free: everything finished must go.
        let capacity = try FileSystem.capacity(of: harness.layout.recordingsRoot)
        let freePercent = Int(capacity.available * 100 / capacity.total)
        try #require(freePercent < 95, "this test needs a disk less than 95 % free")
        var higher = desired
        higher.recording.minFreePercent = 95
        await harness.agent.apply(higher, reason: "test")
        let before = try await harness.store.recordings(camera: cam)
        await harness.agent.enforceRetention()
        let after = try await harness.store.recordings(camera: cam)
        #expect(after.allSatisfy { $0.status == .recording }, "only the segment being written is left: \(after)")
        #expect(after.count <= 1)
        for row in before where row.status == .complete {
            #expect(!FileSystem.exists(row.file), "\(row.file) deleted with its row")
        }
        for row in after { #expect(FileSystem.exists(row.file)) }
        let events = try await harness.store.events(limit: 10).map(\.message)
        #expect(events.contains { $0.contains("by free-space") }, "\(events)")
        try await harness.stop()
    }

    @Test func recordingsOlderThanRetentionAreDeletedWithTheirDayDirectory() async throws {
        let data = dir.file("data")
        let cam = try CameraID("cam")
        // Segments on disk from 30 days ago and from an hour ago.
        let now = WallClock.nowMilliseconds()
        var files: [String: Int64] = [:]
        for age in [30 * 86_400_000, 3_600_000] as [Int64] {
            let start = now - age
            let dayDir = "\(data)/recordings/cam/\(Timestamp.utcDate(milliseconds: start))"
            try FileSystem.createDirectories(dayDir)
            let file = "\(dayDir)/\(SegmentName.name(startMilliseconds: start))"
            let made = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=15", "-t", "1",
                                                         "-c:v", "libx264", "-f", "mpegts", file])
            #expect(made.status == 0)
            files[file] = age
        }
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .test(try TestPattern()), record: false)],
                                   recording: RecordingPolicy(segmentSeconds: 1800, retainDays: 14, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: data, desired: desired, policy: fastPolicy, retentionInterval: .milliseconds(200))
        let old = files.first { $0.value > 86_400_000 }!.key
        let recent = files.first { $0.value < 86_400_000 }!.key
        #expect(await waitUntil(timeout: .seconds(15)) { !FileSystem.exists(old) }, "the 30-day-old segment is deleted")
        #expect(try await harness.store.recording(file: old) == nil)
        #expect(!FileSystem.exists(FileSystem.parent(of: old)), "its empty day directory too")
        #expect(FileSystem.exists(recent))
        // Indexed by the recovery after boot, which runs alongside retention.
        #expect(try await waitUntil(timeout: .seconds(10)) { try await harness.store.recording(file: recent)?.status == .complete })
        try await harness.stop()
    }

    /// Retention ran only on its 60 s tick, so a camera writing faster than
    /// the floor's headroom per tick filled the disk. A segment that
    /// finishes on a disk below the floor is answered at once: with the
    /// tick an hour away, finished segments are deleted as they finish.
    @Test func aSegmentFinishingBelowTheFloorIsAnsweredAtOnceNotOnTheRetentionTick() async throws {
        let cam = try CameraID("cam")
        let spec = CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 15)), record: true)
        let capacity = try FileSystem.capacity(of: "/tmp")
        let freePercent = Int(capacity.available * 100 / capacity.total)
        try #require(freePercent < 95, "this test needs a disk less than 95 % free")
        let desired = DesiredState(cameras: [cam: spec], recording: RecordingPolicy(segmentSeconds: 2, retainDays: 30, minFreePercent: 95))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy, retentionInterval: .seconds(3600))
        await harness.agent.waitUntilBooted()
        var finished = 0
        #expect(try await waitUntil(timeout: .seconds(30)) {
            let events = try await harness.store.events(limit: 50).map(\.message)
            finished = events.filter { $0.contains("by free-space") }.count
            return finished >= 2
        }, "segments deleted at rotations: \(finished)")
        let rows = try await harness.store.recordings(camera: cam)
        #expect(rows.filter { $0.status == .complete }.count <= 1, "\(rows)")
        for row in rows { #expect(FileSystem.exists(row.file), "no row outlives its file") }
        #expect(try await harness.camera("cam")?.state == .recording)
        try await harness.stop()
    }

    /// A recorder was left running without its process row when the
    /// database refused the write (a full disk: "cannot start recorder"
    /// then "1 started"); such a recorder cannot be adopted after an agent
    /// restart. It is stopped at once, and started again, with its row,
    /// once the database can be written. (A write lock held by another
    /// connection makes `saveProcess` fail the way a full disk does.)
    @Test func aRecorderWhoseProcessRowCannotBeWrittenIsStoppedAtOnce() async throws {
        let cam = try CameraID("cam")
        var spec = CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 15)), record: false)
        let desired = DesiredState(cameras: [cam: spec], recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: fastPolicy)
        await harness.agent.waitUntilBooted()
        let locker = try ChildProcess("/usr/bin/python3", ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
            c.execute('BEGIN IMMEDIATE')
            print('locked', flush=True)
            time.sleep(8)
            """, harness.layout.database], logPath: dir.file("locker.log"))
        #expect(await waitUntil(timeout: .seconds(10)) { locker.log.contains("locked") }, "\(locker.log)")
        spec.record = true
        var recording = desired
        recording.cameras[cam] = spec
        await harness.agent.apply(recording, reason: "test")
        #expect(await harness.supervisor.running.isEmpty, "a recorder without its process row is running")
        #expect(processes(matching: "\(harness.layout.runRoot)/").isEmpty)
        _ = await locker.waitForExit(timeout: .seconds(20))
        #expect(try await waitUntil(timeout: .seconds(30)) {
            let rows = try await harness.store.processes()
            guard let child = await harness.supervisor.running.values.first else { return false }
            return rows.contains { $0.identity == child.identity }
        }, "started again with its process row")
        try await harness.stop()
    }
}
