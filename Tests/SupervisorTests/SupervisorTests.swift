import Foundation
import Testing
import CamgateCore
import Platform
@testable import Supervisor
import TestSupport

/// Real child processes, real signals.
@Suite(.serialized) struct SupervisorTests {
    let dir = TemporaryDirectory("supervisor")
    let bootID = try! ProcFS.bootID()
    let key = WorkloadKey(camera: try! CameraID("cam"), role: .recorder)

    func spec(_ executable: String, _ args: [String]) -> ProcessSpec {
        ProcessSpec(executable: executable, arguments: args, environment: ["PATH": "/usr/bin:/bin"], logFile: dir.file("child.log"))
    }

    /// A Python child that ignores SIGTERM and has a grandchild `sleep` in its group.
    func stubbornSpec() -> ProcessSpec {
        spec("/usr/bin/python3", ["-c", """
        import signal, subprocess, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen(["/bin/sleep", "300"])
        print("grandchild", child.pid, flush=True)
        time.sleep(300)
        """])
    }

    @Test func startsChildrenInTheirOwnProcessGroupWithOutputInTheLog() async throws {
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        let child = try await supervisor.start(key, spec: spec("/bin/ls", ["/definitely-not-here"]))
        #expect(child.identity.bootID == bootID && child.identity.startTime > 0)
        var exits = supervisor.exits.makeAsyncIterator()
        let exit = try #require(await exits.next())
        #expect(exit.status == .exited(2))
        #expect(!exit.requested)
        #expect(exit.logTail.last?.contains("definitely-not-here") == true, "\(exit.logTail)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("child.log"))[.posixPermissions] as? Int
        #expect(mode == 0o600, "the log may hold camera URLs")
    }

    @Test func childDoesNotInheritTheAgentsEnvironmentOrDescriptors() async throws {
        setenv("CAMGATE_SECRET_FOR_TEST", "hunter2", 1)
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        try await supervisor.start(key, spec: spec("/usr/bin/python3", ["-c", "import os; print(sorted(os.environ)); print(sorted(os.listdir('/proc/self/fd')))"]))
        var exits = supervisor.exits.makeAsyncIterator()
        _ = await exits.next()
        let log = try String(contentsOfFile: dir.file("child.log"), encoding: .utf8)
        #expect(!log.contains("CAMGATE_SECRET_FOR_TEST"))
        #expect(log.contains("['0', '1', '2', '3']"), "only stdio (and the listing's own fd): \(log)")
    }

    @Test func stopEscalatesToSIGKILLForTheWholeGroup() async throws {
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        let child = try await supervisor.start(key, spec: stubbornSpec())
        let logged = await waitUntil(timeout: .seconds(10)) {
            ((try? String(contentsOfFile: dir.file("child.log"), encoding: .utf8)) ?? "").contains("grandchild")
        }
        #expect(logged)
        let log = try String(contentsOfFile: dir.file("child.log"), encoding: .utf8)
        let grandchild = try #require(Int32(log.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(ProcFS.stat(pid: grandchild)?.processGroup == child.identity.pid)

        let started = ContinuousClock.now
        await supervisor.stop(key, grace: .milliseconds(500))
        let took = ContinuousClock.now - started
        #expect(took >= .milliseconds(500) && took < .seconds(4), "SIGTERM ignored, SIGKILL after the grace: \(took)")
        #expect(await waitUntil(timeout: .seconds(3)) { ProcFS.stat(pid: grandchild)?.isAlive != true }, "grandchild killed with the group")
        var exits = supervisor.exits.makeAsyncIterator()
        let exit = try #require(await exits.next())
        #expect(exit.requested)
        #expect(exit.status == .signaled(SIGKILL))
        #expect(await supervisor.running.isEmpty)
    }

    @Test func gracefulStopTakesSIGTERM() async throws {
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        try await supervisor.start(key, spec: spec("/bin/sleep", ["300"]))
        let started = ContinuousClock.now
        await supervisor.stop(key, grace: .seconds(5))
        #expect(ContinuousClock.now - started < .seconds(2))
        var exits = supervisor.exits.makeAsyncIterator()
        #expect(await exits.next()?.status == .signaled(SIGTERM))
    }

    @Test func adoptsAProcessAPreviousAgentLeftRunning() async throws {
        // The "previous agent": starts a child, then goes away without stopping it.
        let previous = Supervisor(bootID: bootID)
        let original = try await previous.start(key, spec: spec("/bin/sleep", ["300"]))
        await previous.shutdown()

        let agent = Supervisor(bootID: bootID)
        let runner = Task { await agent.run() }
        defer { runner.cancel() }
        let adopted = try #require(await agent.adopt(key, identity: original.identity, fingerprint: "fp", startedAtMs: original.startedAtMs, logFile: original.logFile))
        #expect(adopted.adopted && adopted.identity == original.identity)
        // Its exit is noticed although it is not our child any more (pidfd).
        kill(original.identity.pid, SIGKILL)
        var exits = agent.exits.makeAsyncIterator()
        let exit = try #require(await exits.next())
        #expect(exit.child.identity.pid == original.identity.pid)
        #expect(!exit.requested)
    }

    @Test func refusesToAdoptAReusedPidOrAnotherBoot() async throws {
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        let child = try await supervisor.start(key, spec: spec("/bin/sleep", ["300"]))
        let other = WorkloadKey(camera: try CameraID("other"), role: .recorder)
        var wrongStart = child.identity
        wrongStart.startTime += 1
        #expect(await supervisor.adopt(other, identity: wrongStart, fingerprint: "f", startedAtMs: 0, logFile: "/l") == nil)
        var wrongBoot = child.identity
        wrongBoot.bootID = "00000000-0000-0000-0000-000000000000"
        #expect(await supervisor.adopt(other, identity: wrongBoot, fingerprint: "f", startedAtMs: 0, logFile: "/l") == nil)
        #expect(ProcFS.stat(pid: child.identity.pid)?.isAlive == true, "nothing was signalled")
        await supervisor.stopAll()
    }

    @Test func startingAKeyThatStillRunsIsAnErrorNotACrash() async throws {
        let supervisor = Supervisor(bootID: bootID)
        let runner = Task { await supervisor.run() }
        defer { runner.cancel() }
        try await supervisor.start(key, spec: spec("/bin/sleep", ["300"]))
        await #expect { try await supervisor.start(key, spec: spec("/bin/sleep", ["300"])) } throws: { "\($0)".contains("still runs") }
        await supervisor.stopAll()
    }

    @Test func spawnFailureNamesTheProgram() async throws {
        let supervisor = Supervisor(bootID: bootID)
        await #expect {
            try await supervisor.start(key, spec: spec("/nonexistent/ffmpeg", []))
        } throws: { error in
            "\(error)".contains("posix_spawn(/nonexistent/ffmpeg)") && "\(error)".contains("No such file")
        }
        #expect(await supervisor.running.isEmpty)
    }
}

@Suite struct LogFileTests {
    let dir = TemporaryDirectory("logfile")

    @Test func tailKeepsTheLastLinesRedacted() throws {
        let path = dir.file("ffmpeg.log")
        try "one\n\ntwo\r\n[error] rtsp://admin:pw@cam/x: Connection refused\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(LogFile.lastLines(path, count: 2) == ["two", "[error] rtsp://admin:***@cam/x: Connection refused"])
        #expect(LogFile.lastLines(dir.file("missing")) == [])
    }

    @Test func capCutsTheLogBackAndKeepsItsTail() throws {
        let path = dir.file("big.log")
        let text = (0..<5000).map { "line \($0)" }.joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(!LogFile.enforceCap(path, maxBytes: 1 << 20), "under the cap: untouched")
        #expect(LogFile.enforceCap(path, maxBytes: 10_000))
        #expect(try FileSystem.fileSize(path) == 0)
        let kept = try String(contentsOfFile: path + ".1", encoding: .utf8)
        #expect(kept.hasSuffix("line 4999\n") && kept.utf8.count <= 5000)
    }
}

@Suite struct ProcFSTests {
    @Test func parsesStatWithParenthesesInTheName() {
        let line = "1234 (ff (mpeg) x) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 3 0 98765 1000000 4321 18446744073709551615"
        let st = ProcFS.parseStat(line)
        #expect(st?.state == "S")
        #expect(st?.parentPID == 1 && st?.processGroup == 1234)
        #expect(st?.userTicks == 250 && st?.systemTicks == 30)
        #expect(st?.startTime == 98765 && st?.rssPages == 4321)
        #expect(ProcFS.parseStat("garbage") == nil)
    }

    @Test func readsThisProcess() throws {
        let me = getpid()
        #expect(ProcFS.stat(pid: me)?.isAlive == true)
        #expect(try ProcFS.bootID().count == 36)
        #expect(ProcFS.identity(pid: me, bootID: "b")?.pid == me)
    }
}
