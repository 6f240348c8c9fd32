import Foundation
import Testing
import CamgateCore
import HTTPClient
@testable import MediaMTX
import Platform
import TestSupport

/// The Control API client and the sync against a server that follows
/// MediaMTX's openapi.yaml (Tests/Fixtures/fake_mediamtx.py), errors included.
@Suite(.serialized) struct MediaMTXSyncTests {
    let dir = TemporaryDirectory("mtx-sync")

    func paths(closeAfter: String = "300s", cameras: [String] = ["live", "snap"]) throws -> [MediaMTXPath] {
        var desired = DesiredState()
        for name in cameras {
            desired.cameras[try CameraID(name)] = CameraSpec(source: .test(try TestPattern()), view: name == "live")
        }
        var rendered = try PathRenderer(camgate: "/usr/bin/camgate", dataDirectory: "/var/lib/camgate").render(desired, sizes: [try CameraID("live"): Resolution(width: 640, height: 360)])
        if closeAfter != "300s" {
            rendered = rendered.map { path in
                var p = path
                p.settings = p.settings.map { $0.key == "runOnDemandCloseAfter" && p.name == "live" ? .init(key: $0.key, value: .string(closeAfter)) : $0 }
                return p
            }
        }
        return rendered
    }

    func sync(_ fake: FakeMediaMTX?, port: Int? = nil) throws -> (MediaMTXSync, String) {
        let config = dir.file("mediamtx.yml")
        let apiPort = port ?? fake!.port
        try "logLevel: info\napi: false\napiAddress: :\(apiPort)\nrtspAddress: :8554\npaths:\n  all_others:\n".write(toFile: config, atomically: true, encoding: .utf8)
        return (MediaMTXSync(settings: MediaMTXSettings(config: config), transport: try HTTPTransport()), config)
    }

    @Test func appliesThroughTheAPIAndMirrorsToTheFile() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        let status = await sync.apply(try paths())
        #expect(status == MediaMTXStatus(apiUp: true, synced: true, reason: nil))
        let confs = try fake.call("GET", "/fake/confs")
        #expect(confs["live"]?["runOnDemandCloseAfter"]?.stringValue == "5m0s", "MediaMTX answers in Go's duration format")
        #expect(confs["snap"]?["runOnDemandRestart"] == .bool(false))
        let file = try String(contentsOfFile: config, encoding: .utf8)
        #expect(MediaMTXConfigFile.managedNames(in: file) == ["live", "snap"])
        #expect(file.contains("logLevel: info") && file.contains("apiAddress: 127.0.0.1:\(fake.port)") && file.contains("api: true"))
    }

    @Test func onlyChangedPathsAreTouched() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, _) = try sync(fake)
        await sync.apply(try paths())
        let before = try fake.calls().count
        // The same paths again: "5m0s" is "300s", nothing changes.
        await sync.apply(try paths())
        let writes = try fake.calls().dropFirst(before).filter { $0.0 != "GET" }
        #expect(writes.isEmpty, "\(writes)")
        // One path changes, one goes: exactly a replace and a delete.
        await sync.apply(try paths(closeAfter: "120s", cameras: ["live"]))
        let after = try fake.calls().dropFirst(before).filter { $0.0 != "GET" }.map { "\($0.0) \($0.1)" }
        #expect(after == ["PATCH /v3/config/paths/patch/live", "DELETE /v3/config/paths/delete/snap"], "\(after)")
        #expect(try fake.call("GET", "/fake/confs")["live"]?["runOnDemandCloseAfter"]?.stringValue == "2m0s")
    }

    @Test func aPathThatChangesLifecycleIsReplacedSoNoOldCommandSurvives() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, _) = try sync(fake)
        await sync.apply(try paths(cameras: ["live"]))
        #expect(try fake.call("GET", "/fake/confs")["live"]?["runOnDemand"]?.stringValue?.contains("capture live") == true)
        let before = try fake.calls().count
        // "live" now records: its publisher pushes, MediaMTX must not run the on-demand capture any more.
        var desired = DesiredState()
        desired.cameras[try CameraID("live")] = CameraSpec(source: .test(try TestPattern()), record: true, view: true)
        let recording = try PathRenderer(camgate: "/usr/bin/camgate", dataDirectory: "/var/lib/camgate")
            .render(desired, sizes: [try CameraID("live"): Resolution(width: 640, height: 360)])
        await sync.apply(recording)
        let after = try fake.calls().dropFirst(before).filter { $0.0 != "GET" }.map { "\($0.0) \($0.1)" }
        #expect(after == ["POST /v3/config/paths/replace/live"], "\(after)")
        let live = try fake.call("GET", "/fake/confs")["live"]
        #expect(live?["runOnDemand"]?.stringValue == "" && live?["source"]?.stringValue == "publisher", "\(String(describing: live))")
    }

    @Test func updateDecisionTable() throws {
        let path = try paths(cameras: ["live"])[0]
        let present = JSONValue.object(Dictionary(uniqueKeysWithValues: path.settings.map { ($0.key, MediaMTXPath.json($0.value)) }))
        #expect(MediaMTXSync.update(path, present) == .none)
        var slower = present
        if case .object(var o) = slower { o["runOnDemandCloseAfter"] = .string("5m0s"); slower = .object(o) }
        #expect(MediaMTXSync.update(path, slower) == .none, "5m0s is 300s")
        if case .object(var o) = slower { o["runOnDemandStartTimeout"] = .string("1s"); slower = .object(o) }
        #expect(MediaMTXSync.update(path, slower) == .patch(.object(["runOnDemandStartTimeout": .string("10s")])))
        if case .object(var o) = slower { o["runOnInit"] = .string("/bin/true"); slower = .object(o) }
        #expect(MediaMTXSync.update(path, slower) == .replace, "a command the agent does not set must go")
    }

    @Test func theFileKeepsItsPermissionsAndAnUnpairedMarkerStopsTheWrite() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        // The operator made the file readable to MediaMTX's own user.
        #expect(chmod(config, 0o644) == 0)
        #expect(await sync.apply(try paths()).synced)
        var st = stat()
        #expect(stat(config, &st) == 0 && st.st_mode & 0o777 == 0o644, "mode \(String(st.st_mode & 0o777, radix: 8))")
        // A hand edit deletes the END marker: nothing is written, the reason is reported.
        let edited = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: MediaMTXConfigFile.endMarker + "\n", with: "")
        try edited.write(toFile: config, atomically: true, encoding: .utf8)
        let status = await sync.apply(try paths(cameras: ["live"]))
        #expect(!status.synced && status.reason?.contains("do not pair up") == true, "\(status)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == edited)
    }

    @Test func aHandEditMadeWhileTheAPIIsSlowIsKept() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        try fake.call("POST", "/fake/fault", #"{"delay_s": 1}"#)
        let applying = Task { await sync.apply(try paths()) }
        try await Task.sleep(for: .milliseconds(500))
        let edited = try String(contentsOfFile: config, encoding: .utf8) + "# a hand edit\n"
        try edited.write(toFile: config, atomically: true, encoding: .utf8)
        let status = try await applying.value
        #expect(status.synced, "\(status)")
        let after = try String(contentsOfFile: config, encoding: .utf8)
        #expect(after.contains("# a hand edit") && MediaMTXConfigFile.managedNames(in: after) == ["live", "snap"])
    }

    @Test func aFileTooLargeOrUnreadableIsNeverReplaced() async throws {
        let (sync, config) = try sync(nil, port: Int(freePort()))
        let big = "logLevel: info\npaths:\n" + String(repeating: "# filler line of an operator's long file\n", count: 110_000) + "  op_tail:\n"
        try big.write(toFile: config, atomically: true, encoding: .utf8)
        let status = await sync.apply(try paths())
        #expect(!status.synced && status.reason?.contains("not changed") == true, "\(status)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == big)
    }

    @Test func aSymlinkedConfigurationIsWrittenWhereItPoints() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        let real = dir.file("real.yml")
        try FileManager.default.moveItem(atPath: config, toPath: real)
        try FileManager.default.createSymbolicLink(atPath: config, withDestinationPath: real)
        #expect(await sync.apply(try paths()).synced)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: config) == real, "still a link")
        #expect(MediaMTXConfigFile.managedNames(in: try String(contentsOfFile: real, encoding: .utf8)) == ["live", "snap"])
    }

    @Test func aRejectedPathIsNotWrittenToTheFile() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        await sync.apply(try paths())
        let good = try String(contentsOfFile: config, encoding: .utf8)
        // MediaMTX answers 400 to the change (as it does for an unknown field): the file stays as it was.
        try fake.call("POST", "/fake/fault", #"{"status": 400, "methods": ["POST", "PATCH"]}"#)
        let status = await sync.apply(try paths(closeAfter: "30s"))
        #expect(!status.synced && status.reason?.contains("rejected") == true, "\(status)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == good)
    }

    /// A 401/403 (an API with authentication) or a 404 says nothing about the
    /// paths: the file carries the change, as when the API is down.
    @Test(arguments: [401, 403, 404])
    func anAPIAnswerThatIsNotARejectionFallsBackToTheFile(_ code: Int) async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, config) = try sync(fake)
        try fake.call("POST", "/fake/fault", #"{"status": \#(code)}"#)
        let status = await sync.apply(try paths())
        #expect(status.synced && !status.apiUp && status.reason?.contains("\(code)") == true, "\(status)")
        #expect(MediaMTXConfigFile.managedNames(in: try String(contentsOfFile: config, encoding: .utf8)) == ["live", "snap"])
    }

    @Test func whenMediaMTXIsDownTheFileCarriesTheChangeAndTheBreakerOpens() async throws {
        let (sync, config) = try sync(nil, port: Int(freePort()))
        for _ in 0..<3 {
            let status = await sync.apply(try paths())
            #expect(status.synced && !status.apiUp && status.reason?.contains("not answering") == true, "\(status)")
        }
        #expect(MediaMTXConfigFile.managedNames(in: try String(contentsOfFile: config, encoding: .utf8)) == ["live", "snap"])
        let fourth = await sync.apply(try paths())
        #expect(fourth.reason?.contains("circuit open") == true, "\(fourth)")
    }

    @Test func errorShapesAndASlowServer() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        var api = try MediaMTXAPI(transport: try HTTPTransport(), address: fake.address)
        await #expect { try await api.delete("missing") } throws: { ($0 as? MediaMTXAPIError) == MediaMTXAPIError(status: 404, message: "path configuration not found") }
        try await api.add("a", .object(["source": .string("publisher")]))
        await #expect { try await api.add("a", .object([:])) } throws: { ($0 as? MediaMTXAPIError)?.message == "path already exists" }
        await #expect { try await api.add("b", .object(["bogus": .bool(true)])) } throws: { ($0 as? MediaMTXAPIError)?.message.contains("unknown field") == true }
        try fake.call("POST", "/fake/fault", #"{"status": 500}"#)
        await #expect { try await api.ping() } throws: { ($0 as? MediaMTXAPIError)?.isUnreachable == true }
        try fake.call("POST", "/fake/fault", #"{"status": null, "delay_s": 3}"#)
        api.timeout = .milliseconds(500)
        let started = ContinuousClock.now
        await #expect { try await api.ping() } throws: { ($0 as? MediaMTXAPIError)?.status == nil }
        #expect(ContinuousClock.now - started < .seconds(2))
    }

    @Test func runtimeStateGivesViewers() async throws {
        let fake = try await FakeMediaMTX(directory: dir.path)
        let (sync, _) = try sync(fake)
        await sync.apply(try paths())
        try fake.call("POST", "/fake/readers", #"{"path": "live", "readers": 2, "ready": true}"#)
        let runtime = try #require(await sync.runtime())
        #expect(runtime.first { $0.name == "live" } == MediaMTXPathState(name: "live", ready: true, readers: 2, source: nil))
    }
}
