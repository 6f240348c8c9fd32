import Foundation
import Testing
import CamgateCore
import Platform
import Store
import TestSupport

/// The camgate binary driven by the real cloud simulator over loopback:
/// desired state, commands, url_update, reports, and the faults of the
/// cloud-link issue.
@Suite(.serialized) struct CloudAgentTests {
    let dir = TemporaryDirectory("cloud-agent")
    var data: String { dir.file("data") }
    static let camera = #"{"cam1": {"source": {"kind": "test", "size": "160x90", "fps": 10}, "record": true}}"#
    static let recording = #""recording": {"segment_seconds": 2, "retain_days": 1, "min_free_percent": 1}"#

    func startAgent(_ sim: CloudSimulatorProcess, fault: String? = nil, log: String = "agent.log") throws -> AgentProcess {
        let config = dir.file("config.json")
        try #"{"cloud": \#(sim.cloudSection())}"#.write(toFile: config, atomically: true, encoding: .utf8)
        var env = ChildProcess.inheritedEnvironment
        env["CAMGATE_FAULT"] = fault
        return try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file(log), environment: env)
    }

    func postDesired(_ sim: CloudSimulatorProcess, cameras: String = CloudAgentTests.camera, extra: String = "") async throws {
        try await sim.control("POST", "desired", #"{"cameras": \#(cameras), \#(CloudAgentTests.recording)\#(extra)}"#)
    }

    func cli(_ args: [String]) throws -> JSONValue {
        let result = try runProgram(Repository.camgate, args + ["--data-dir", data])
        return (try? JSONValue.parse(result.output)) ?? .null
    }

    func events() throws -> [JSONValue] {
        guard case .array(let items) = try cli(["cloud", "events", "--json"]) else { return [] }
        return items
    }

    func outcome(ofEventType type: String, containing text: String? = nil) throws -> String? {
        try events().last { event in
            event["type"]?.stringValue == type && (text.map { event["data"]?.stringValue?.contains($0) == true } ?? true)
        }?["outcome"]?.stringValue
    }

    func recorderPIDs() -> [Int32] { processes(matching: "\(data)/run/cam1/segments.csv") }

    func acks(_ sim: CloudSimulatorProcess, _ id: String) async throws -> [JSONValue] {
        try await sim.acks().filter { $0["command_id"]?.stringValue == id }
    }

    func executions(of id: String) async throws -> Int {
        let store = try Store.openReadOnly(directory: data)
        return try await store.events(limit: 10_000).filter { $0.kind == "command" && $0.message.contains("command \(id) ") }.count
    }

    @Test func followsTheDesiredStateAndStoresEveryEventAsDispatched() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim)
        let agent = try startAgent(sim)
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 }, "\(agent.log)")
        let recorder = recorderPIDs()[0]

        // A revision going backwards, malformed JSON, wrong field types, an unknown type.
        try await sim.control("POST", "desired", #"{"revision": 0, "force_revision": true, "cameras": {}}"#)
        try await sim.control("POST", "event", #"{"type": "desired", "data": "{not json"}"#)
        try await sim.control("POST", "event", #"{"type": "desired", "data": "{\"revision\": 99, \"cameras\": {\"x\": {\"source\": {\"kind\": 3}}}}"}"#)
        try await sim.control("POST", "event", #"{"type": "horoscope", "data": "line one\nline two"}"#)
        #expect(try await waitUntil(timeout: .seconds(10)) { try events().count == 5 })
        let stored = try events()
        #expect(stored.map { $0["type"]?.stringValue ?? "" } == ["desired", "desired", "desired", "desired", "horoscope"])
        #expect(stored.map { $0["id"]?.stringValue ?? "" } == ["1", "2", "3", "4", "5"])
        #expect(stored[1]["outcome"]?.stringValue?.hasPrefix("ignored: stale revision 0") == true, "\(stored[1])")
        #expect(stored[2]["outcome"]?.stringValue?.contains("not valid JSON") == true)
        #expect(stored[2]["data"]?.stringValue == "{not json", "stored exactly as dispatched")
        #expect(stored[3]["outcome"]?.stringValue?.contains("cameras.x.source.kind: expected a string") == true, "\(stored[3])")
        #expect(stored[4]["outcome"]?.stringValue == "ignored: unknown event type")
        #expect(stored[4]["data"]?.stringValue == "line one\nline two")
        #expect(recorderPIDs() == [recorder], "nothing invalid or stale was applied")

        // A newer revision that stops recording is applied.
        try await postDesired(sim, cameras: #"{"cam1": {"source": {"kind": "test", "size": "160x90", "fps": 10}, "record": false}}"#)
        #expect(await waitUntil(timeout: .seconds(15)) { recorderPIDs().isEmpty })
        #expect(try await waitUntil(timeout: .seconds(10)) {
            try await sim.reports().contains { $0["kind"]?.stringValue == "state" && $0["applied_revision"]?.int64Value == 2 }
        })
        let status = try cli(["cloud", "status", "--json"])
        #expect(status["connected"] == .bool(true) && status["last_event_id"]?.stringValue == "6", "\(status)")

        // A reconnect re-sends the current desired state with its old id: a
        // duplicate event id, stored again and applied once.
        try await sim.control("POST", "drop")
        #expect(try await waitUntil(timeout: .seconds(15)) { try events().count == 7 })
        let replay = try events()[6]
        #expect(replay["id"]?.stringValue == "6" && replay["outcome"]?.stringValue?.hasPrefix("ignored: stale revision 2") == true, "\(replay)")
        #expect(try cli(["cloud", "status", "--json"])["last_event_id"]?.stringValue == "6")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        await sim.stop()
    }

    @Test func commandsRunAtMostOnceAndAreAcknowledged() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim)
        let agent = try startAgent(sim)
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 })
        let before = recorderPIDs()[0]
        try await sim.control("POST", "command", #"{"id": "c-restart", "type": "restart_camera", "camera": "cam1"}"#)
        #expect(try await waitUntil(timeout: .seconds(15)) { try await acks(sim, "c-restart").count == 1 })
        #expect(await waitUntil(timeout: .seconds(10)) { recorderPIDs().count == 1 && recorderPIDs()[0] != before })
        let after = recorderPIDs()[0]
        // The same id again (a replay): not run again, not acknowledged again.
        try await sim.control("POST", "command", #"{"id": "c-restart", "type": "restart_camera", "camera": "cam1"}"#)
        let past = Timestamp.rfc3339(milliseconds: WallClock.nowMilliseconds() - 60_000)
        try await sim.control("POST", "command", #"{"id": "c-old", "type": "restart_camera", "camera": "cam1", "expires_at": "\#(past)"}"#)
        try await sim.control("POST", "command", #"{"id": "c-odd", "type": "make_coffee"}"#)
        try await sim.control("POST", "command", #"{"id": "c-ota", "type": "ota_update", "args": {}}"#)
        try await sim.control("POST", "command", #"{"id": "c-up", "type": "upload_recording", "camera": "cam1"}"#)
        // Wrong field types with a usable id: acknowledged `rejected` with the field, once.
        try await sim.control("POST", "command", #"{"id": "c-bad1", "type": "snapshot", "camera": 5}"#)
        try await sim.control("POST", "command", #"{"id": "c-bad2", "type": "restart_camera", "expires_at": "tomorrow"}"#)
        try await sim.control("POST", "command", #"{"id": "c-bad3", "type": "snapshot", "args": []}"#)
        try await sim.control("POST", "command", #"{"id": "c-bad3", "type": "snapshot", "args": []}"#)
        try await sim.control("POST", "command", #"{"id": "c-snap", "type": "snapshot", "camera": "cam1", "args": {"upload_url": "\#(sim.base)/uploads/snap.jpg"}}"#)
        #expect(try await waitUntil(timeout: .seconds(20)) { try await acks(sim, "c-snap").count == 1 })
        try await Task.sleep(for: .seconds(1))
        let statuses = Dictionary(uniqueKeysWithValues: try await sim.acks().map { ($0["command_id"]!.stringValue!, $0["status"]!.stringValue!) })
        #expect(statuses == ["c-restart": "succeeded", "c-old": "expired", "c-odd": "rejected", "c-ota": "rejected", "c-up": "rejected", "c-snap": "succeeded",
                             "c-bad1": "rejected", "c-bad2": "rejected", "c-bad3": "rejected"])
        #expect(try await sim.acks().count == 9, "one ack per command")
        #expect(try await acks(sim, "c-bad1").first?["detail"]?.stringValue?.contains("camera") == true)
        #expect(try await acks(sim, "c-bad2").first?["detail"]?.stringValue?.contains("expires_at") == true)
        #expect(try await acks(sim, "c-bad3").first?["detail"]?.stringValue?.contains("args: expected an object") == true)
        // Without args.url and args.version (CloudUpdateTests run a real one).
        #expect(try await acks(sim, "c-ota").first?["detail"]?.stringValue?.hasPrefix("ota_update needs args.url") == true)
        #expect(recorderPIDs() == [after], "the duplicate and the expired restart did not run")
        #expect(try await executions(of: "c-restart") == 1)
        let snap = try #require(try await acks(sim, "c-snap").first)
        #expect(snap["result"]?["uploaded"] == .bool(true))
        #expect((try await sim.stats()["uploads"]?["snap.jpg"]?.int64Value ?? 0) > 1000)
        #expect(try outcome(ofEventType: "command", containing: "c-restart") == "ignored: duplicate command c-restart (not run again)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        await sim.stop()
    }

    @Test(arguments: ["event-stored:command", "command-stored", "command-finished"])
    func killedBetweenReceivingAndAcknowledgingRunsOnceAndAcksOnce(_ faultPoint: String) async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim)
        // Hold acks back so the crash lands before the cloud has the ack.
        try await sim.control("POST", "faults", #"{"reports_status": 503}"#)
        let first = try startAgent(sim, fault: faultPoint, log: "agent1.log")
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 })
        try await sim.control("POST", "command", #"{"id": "c-once", "type": "restart_camera", "camera": "cam1"}"#)
        #expect(await first.waitForExit(timeout: .seconds(15)) == 128 + SIGKILL, "the agent died at \(faultPoint)")

        try await sim.control("POST", "faults", #"{"clear": true}"#)
        let second = try startAgent(sim, log: "agent2.log")
        #expect(try await waitUntil(timeout: .seconds(20)) { try await acks(sim, "c-once").count == 1 }, "\(second.log)")
        try await Task.sleep(for: .seconds(2))
        #expect(try await acks(sim, "c-once").count == 1, "exactly one ack")
        #expect(try await acks(sim, "c-once").first?["status"]?.stringValue == "succeeded")
        #expect(try await executions(of: "c-once") == 1, "exactly one execution")
        #expect(recorderPIDs().count == 1)
        second.signal(SIGTERM)
        #expect(await second.waitForExit() == 0)
        await sim.stop()
    }

    @Test func recordsFromTheStoredStateWhileTheCloudIsUnreachable() async throws {
        var sim = try await CloudSimulatorProcess(directory: dir.path)
        let port = sim.port
        try await postDesired(sim)
        let first = try startAgent(sim, log: "agent1.log")
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 })
        first.signal(SIGTERM)
        #expect(await first.waitForExit() == 0)
        await sim.stop()

        // Boot with the cloud down: recording resumes from the stored desired state.
        let agent = try startAgent(sim, log: "agent2.log")
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 }, "\(agent.log)")
        #expect(try await waitUntil(timeout: .seconds(10)) { try cli(["cloud", "status", "--json"])["link"]?.stringValue == "waiting" })
        // The cloud comes back (same port, same state): the link reconnects.
        sim = try await CloudSimulatorProcess(directory: dir.path, port: port)
        _ = try runProgram(Repository.camgate, ["cloud", "reconnect", "--data-dir", data])
        #expect(try await waitUntil(timeout: .seconds(20)) { try cli(["cloud", "status", "--json"])["connected"] == .bool(true) })
        #expect(recorderPIDs().count == 1)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        await sim.stop()
    }

    @Test func aRevokedTokenStopsTheLinkButNotTheRecording() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim)
        let agent = try startAgent(sim)
        #expect(await waitUntil(timeout: .seconds(20)) { recorderPIDs().count == 1 })
        let recorder = recorderPIDs()[0]
        try await sim.control("POST", "revoke")
        #expect(try await waitUntil(timeout: .seconds(15)) { try cli(["cloud", "status", "--json"])["credential_rejected"] == .bool(true) })
        let status = try cli(["cloud", "status", "--json"])
        #expect(status["link"]?.stringValue == "stopped" && status["connected"] == .bool(false))
        let segments = try runProgram(Repository.camgate, ["recordings", "--data-dir", data, "--json"]).output
        try await Task.sleep(for: .seconds(3))
        #expect(recorderPIDs() == [recorder], "recording goes on offline")
        #expect(try runProgram(Repository.camgate, ["recordings", "--data-dir", data, "--json"]).output.count > segments.count)
        // Re-provisioned token + a local reconnect.
        try "new-token".write(toFile: sim.tokenFile, atomically: true, encoding: .utf8)
        try await sim.control("POST", "token", #"{"token": "new-token"}"#)
        _ = try runProgram(Repository.camgate, ["cloud", "reconnect", "--data-dir", data])
        #expect(try await waitUntil(timeout: .seconds(15)) { try cli(["cloud", "status", "--json"])["connected"] == .bool(true) })
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        await sim.stop()
    }

    @Test func reportsSurviveAnOutageInOrderAndStateReportsAreReplaced() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim)
        let agent = try startAgent(sim)
        #expect(try await waitUntil(timeout: .seconds(20)) { try await !sim.reports().isEmpty })
        try await sim.control("POST", "faults", #"{"reports_status": 500}"#)
        for i in 1...5 { try await sim.control("POST", "command", #"{"id": "r-\#(i)", "type": "rescan_hardware"}"#) }
        for revision in 0..<3 { _ = revision; try await postDesired(sim) }
        #expect(try await waitUntil(timeout: .seconds(15)) { (try cli(["cloud", "status", "--json"])["outbox_depth"]?.int64Value ?? 0) >= 6 })
        let store = try Store.openReadOnly(directory: data)
        let pending = try await store.pendingReports(limit: 1000).compactMap { try? JSONValue.parse($0.payload) }
        #expect(pending.filter { $0["kind"]?.stringValue == "state" }.count == 1, "a newer state report replaced the unsent older ones")
        #expect(pending.filter { $0["kind"]?.stringValue == "ack" }.count == 5, "acks are never dropped")

        try await sim.control("POST", "faults", #"{"clear": true}"#)
        _ = try runProgram(Repository.camgate, ["cloud", "reconnect", "--data-dir", data])
        #expect(try await waitUntil(timeout: .seconds(20)) { try await sim.acks().count == 5 })
        let delivered = try await sim.reports()
        let seqs = delivered.compactMap { $0["seq"]?.int64Value }
        #expect(seqs == seqs.sorted())
        #expect(try await sim.control("GET", "reports")["duplicates"]?.int64Value == 0)
        #expect(try await sim.acks().compactMap { $0["command_id"]?.stringValue } == ["r-1", "r-2", "r-3", "r-4", "r-5"])
        #expect(try await waitUntil(timeout: .seconds(10)) { try cli(["cloud", "status", "--json"])["outbox_depth"]?.int64Value == 0 })
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        await sim.stop()
    }

    @Test func urlUpdateRestreamsToRTMPAndRestartsOnlyWhenRequired() async throws {
        let camera = try await RTSPTestServer(logDirectory: dir.path)
        let rtmp = try await RTMPTestServer(directory: dir.path)
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        try await postDesired(sim, cameras: #"{"gate": {"source": {"kind": "rtsp", "url": "\#(camera.url)"}, "record": false, "restream": {"url": "\#(rtmp.url("a"))"}}, "usb": {"source": {"kind": "v4l2", "device": "/dev/video-camgate-absent"}, "record": true}}"#)
        let agent = try startAgent(sim)
        #expect(await waitUntil(timeout: .seconds(20)) { processes(matching: rtmp.url("a")).count == 1 }, "\(agent.log)")
        #expect(await waitUntil(timeout: .seconds(20), every: .seconds(1)) { rtmp.isPublishing("a") }, "the restream reaches the RTMP server")
        let first = processes(matching: rtmp.url("a"))[0]

        try await sim.control("POST", "event", #"{"type": "url_update", "data": "{\"camera\": \"gate\", \"rtsp_url\": \"\#(camera.url)\", \"rtmp_url\": \"\#(rtmp.url("b"))\", \"timestamp\": \"2026-01-01T00:00:00Z\", \"restart_required\": true}"}"#)
        #expect(await waitUntil(timeout: .seconds(20)) { processes(matching: rtmp.url("b")).count == 1 && ProcFS.stat(pid: first)?.isAlive != true })
        #expect(await waitUntil(timeout: .seconds(20), every: .seconds(1)) { rtmp.isPublishing("b") })
        let second = processes(matching: rtmp.url("b"))[0]

        // Not required: the new URL is stored, the running restream is left alone.
        try await sim.control("POST", "event", #"{"type": "url_update", "data": "{\"camera\": \"gate\", \"rtmp_url\": \"\#(rtmp.url("c"))\", \"timestamp\": \"2026-01-01T00:01:00Z\", \"restart_required\": false}"}"#)
        // A restream for a V4L2 camera is refused (its recorder holds the device).
        try await sim.control("POST", "event", #"{"type": "url_update", "data": "{\"camera\": \"usb\", \"rtmp_url\": \"\#(rtmp.url("u"))\"}"}"#)
        // An older timestamp is stale.
        try await sim.control("POST", "event", #"{"type": "url_update", "data": "{\"camera\": \"gate\", \"rtmp_url\": \"\#(rtmp.url("d"))\", \"timestamp\": \"2025-01-01T00:00:00Z\"}"}"#)
        #expect(try await waitUntil(timeout: .seconds(10)) { try outcome(ofEventType: "url_update", containing: "2025-01-01") != nil })
        #expect(try outcome(ofEventType: "url_update", containing: "/live/c")?.contains("next restart") == true)
        #expect(try outcome(ofEventType: "url_update", containing: "2025-01-01")?.hasPrefix("ignored: stale url_update") == true)
        let usbOutcome = try outcome(ofEventType: "url_update", containing: "usb")
        #expect(usbOutcome?.contains("cameras.usb.restream: a V4L2 camera cannot be restreamed") == true, "\(usbOutcome ?? "nil")")
        #expect(processes(matching: rtmp.url("b")) == [second], "not restarted")
        let store = try Store.openReadOnly(directory: data)
        #expect(try await store.desiredState()?.state.cameras[try CameraID("gate")]?.restream?.url == rtmp.url("c"))
        #expect(try await store.urlHistoryCount(camera: try CameraID("gate")) == 2)

        // A desired state that moves the camera's source is a URL change too, with its origin.
        try await postDesired(sim, cameras: #"{"gate": {"source": {"kind": "rtsp", "url": "\#(camera.url)?moved=1"}, "record": false}, "usb": {"source": {"kind": "v4l2", "device": "/dev/video-camgate-absent"}, "record": true}}"#)
        #expect(try await waitUntil(timeout: .seconds(10)) { try await store.urlHistoryCount(camera: try CameraID("gate")) == 3 })
        #expect(try await store.urlHistoryCount(camera: try CameraID("usb")) == 0)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        #expect(processes(matching: "rtmp://127.0.0.1:\(rtmp.port)").isEmpty)
        await sim.stop()
        rtmp.stop()
        camera.stop()
    }
}
