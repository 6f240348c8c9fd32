import Foundation
import Testing
import CamgateCore
import LocalAPI
import Platform
import TestSupport

/// The local API of the real agent binary, over its Unix socket and TCP,
/// with curl, Python clients, promtool, Prometheus and Chromium as peers.
@Suite(.serialized) struct APIAgentTests {
    let dir = TemporaryDirectory("api")
    let port = freePort()
    let token = "t0ken-\(UInt64.random(in: 1...UInt64.max))"
    var data: String { dir.file("data") }
    var socket: String { dir.file("data/api.sock") }

    /// - Parameter motion: the front camera detects motion.
    func writeConfig(cloud: Bool = false, motion: Bool = false) throws -> String {
        let tokenFile = dir.file("api-token")
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        let camera = #"{"source": {"kind": "test", "size": "320x180", "fps": 5}, "record": true}"#
        let cloudSection = cloud ? #", "cloud": {"endpoint": "http://127.0.0.1:9", "device_id": "d1", "token_file": "\#(tokenFile)"}"# : ""
        let config = #"""
            {"revision": 1, "cameras": {"front": \#(motion ? camera.dropLast() + #", "motion": {"enabled": true}}"# : camera), "back": \#(camera)},
             "recording": {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 1},
             "api": {"listen": "127.0.0.1:\#(port)", "token_file": "\#(tokenFile)"}\#(cloudSection)}
            """#
        let path = dir.file("config.json")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func start(cloud: Bool = false, motion: Bool = false, extra: [String] = []) async throws -> AgentProcess {
        let agent = try AgentProcess.camgate(["run", "--config", try writeConfig(cloud: cloud, motion: motion), "--data-dir", data] + extra,
                                             logPath: dir.file("agent.log"))
        let up = await waitUntil(timeout: .seconds(20)) { (try? await get("/api/v1/status"))?.status == 200 }
        #expect(up, "the API did not answer: \(agent.log)")
        return agent
    }

    func get(_ path: String) async throws -> LocalAPIClient.Response {
        try await LocalAPIClient(socketPath: socket, timeout: .seconds(20)).request("GET", path)
    }

    /// curl over the socket (or TCP with `tcp`): status code and body.
    func curl(_ args: [String], tcp: Bool = false) throws -> (code: Int, body: String) {
        let target = tcp ? [] : ["--unix-socket", socket]
        let result = try runProgram("/usr/bin/curl", ["-s", "--path-as-is", "-o", "-", "-w", "\n%{http_code}"] + target + args)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? -1, lines.dropLast().joined(separator: "\n"))
    }

    func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    @Test func servesStatusRecordingsDownloadsAndSnapshotsOverTheSocket() async throws {
        let agent = try await start()
        var info = stat()
        #expect(lstat(socket, &info) == 0 && info.st_mode & 0o777 == 0o660)
        #expect(await waitUntil(timeout: .seconds(30)) {
            let page = json(String(decoding: (try? await get("/api/v1/recordings?camera=front&limit=1000"))?.body ?? [], as: UTF8.self))
            return ((page["recordings"] as? [[String: Any]]) ?? []).filter { $0["status"] as? String == "complete" }.count >= 2
        }, "\(agent.log)")
        let status = json(String(decoding: try await get("/api/v1/status").body, as: UTF8.self))
        #expect(((status["cameras"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }.sorted() == ["back", "front"])

        // Pagination: one per page, each page's last id leads to the next.
        let first = json(try curl(["http://x/api/v1/recordings?camera=front&limit=1"]).body)
        let after = try #require(first["next_after"] as? Int)
        let second = json(try curl(["http://x/api/v1/recordings?camera=front&limit=1&after=\(after)"]).body)
        #expect(((second["recordings"] as? [[String: Any]])?.first?["id"] as? Int ?? 0) > after)

        // A byte range of a finished segment is the file's bytes.
        let rows = (json(try curl(["http://x/api/v1/recordings?camera=front"]).body)["recordings"] as? [[String: Any]]) ?? []
        let done = try #require(rows.first { $0["status"] as? String == "complete" })
        let id = try #require(done["id"] as? Int)
        let file = try #require(done["file"] as? String)
        let out = dir.file("part.ts")
        let ranged = try runProgram("/usr/bin/curl", ["-s", "--unix-socket", socket, "-H", "Range: bytes=100-1099", "-o", out, "-w", "%{http_code}",
                                                      "http://x/api/v1/recordings/\(id)/download"])
        #expect(ranged.output == "206")
        #expect(try FileSystem.read(out) == Array(try FileSystem.read(file)[100..<1100]))
        #expect(try curl(["-H", "Range: bytes=999999999-", "http://x/api/v1/recordings/\(id)/download"]).code == 416)

        let snapshot = try await get("/api/v1/cameras/front/snapshot")
        #expect(snapshot.status == 200 && snapshot.header("content-type") == "image/jpeg" && snapshot.body.starts(with: [0xFF, 0xD8]))
        let timeline = json(String(decoding: try await get("/api/v1/cameras/front/timeline").body, as: UTF8.self))
        #expect(((timeline["spans"] as? [[String: Any]]) ?? []).count >= 1)
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        #expect(!FileSystem.exists(socket), "the socket is removed on a clean stop")
    }

    @Test func refusesBadInputWithJSONErrorsAndLosesNothing() async throws {
        let agent = try await start()
        let cases: [(args: [String], code: Int)] = [
            (["-X", "PUT", "-H", "content-type: application/json", "-d", "{bad", "http://x/api/v1/cameras/new"], 400),
            (["-X", "PUT", "-H", "content-type: text/plain", "-d", "{}", "http://x/api/v1/cameras/new"], 415),
            (["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "test"}, "colour": 1}"#, "http://x/api/v1/cameras/new"], 400),
            (["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "rtsp", "url": "rtsp://h/a b"}}"#, "http://x/api/v1/cameras/new"], 400),
            (["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "rtsp", "url": "file:///etc/passwd"}}"#, "http://x/api/v1/cameras/new"], 400),
            (["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "test"}}"#, "http://x/api/v1/cameras/a%20b"], 400),
            (["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "test"}}"#, "http://x/api/v1/cameras/%24HOME"], 400),
            (["http://x/api/v1/cameras/..%2f..%2fetc"], 400),
            (["http://x/api/v1/recordings/..%2F..%2Fetc%2Fpasswd/download"], 400),
            (["http://x/api/v1/recordings/../../../etc/passwd"], 400),
            (["http://x/api/v1/recordings/424242/download"], 404),
            (["http://x/api/v1/recordings?limit=0"], 400),
            (["http://x/api/v1/recordings?from=2026-02-31T00:00:00Z&to=yesterday"], 400),
            (["-X", "DELETE", "http://x/api/v1/status"], 405),
            (["http://x/api/v9/nothing"], 404),
        ]
        for c in cases {
            let answer = try curl(c.args)
            #expect(answer.code == c.code, "\(c.args): \(answer)")
            #expect((json(answer.body)["error"] as? [String: Any])?["code"] is String, "\(c.args): \(answer.body)")
        }
        let big = dir.file("big.json")
        try Data(repeating: 0x20, count: (1 << 20) + 10).write(to: URL(fileURLWithPath: big))
        #expect(try curl(["-X", "PUT", "-H", "content-type: application/json", "--data-binary", "@\(big)", "http://x/api/v1/cameras/new"]).code == 413)
        let status = json(String(decoding: try await get("/api/v1/status").body, as: UTF8.self))
        #expect(((status["cameras"] as? [[String: Any]]) ?? []).count == 2)
        #expect((status["desired"] as? [String: Any])?["revision"] as? Int == 1, "no bad request made a revision")
        #expect(agent.isRunning)
    }

    @Test func tcpNeedsTheBearerTokenButThePageShellDoesNot() async throws {
        let agent = try await start()
        let base = "http://127.0.0.1:\(port)"
        #expect(try curl(["\(base)/api/v1/status"], tcp: true).code == 401)
        #expect(try curl(["-H", "Authorization: Bearer wrong-token-0000", "\(base)/metrics"], tcp: true).code == 401)
        #expect(try curl(["-H", "Authorization: Bearer \(token)", "\(base)/api/v1/status"], tcp: true).code == 200)
        let page = try curl(["\(base)/"], tcp: true)
        #expect(page.code == 200 && page.body.contains("<html") && page.body.utf8.count <= 150 * 1024)
        #expect(!agent.log.contains(token), "the token never reaches the log")
    }

    @Test func standaloneEditsMakeARevisionKeptAcrossARestart() async throws {
        var agent = try await start()
        let spec = #"{"source": {"kind": "test", "size": "320x180", "fps": 5}, "record": false}"#
        let added = try curl(["-X", "PUT", "-H", "content-type: application/json", "-d", spec, "http://x/api/v1/cameras/side"])
        #expect(added.code == 201, "\(added)")
        #expect(json(added.body)["revision"] as? Int == 2)
        #expect(try curl(["-X", "DELETE", "http://x/api/v1/cameras/back"]).code == 200)
        #expect(try curl(["http://x/api/v1/cameras/back"]).code == 404, "a deleted camera is gone at once, even while its recorder stops")
        #expect(try curl(["http://x/api/v1/cameras/back/timeline"]).code == 404, "and so is everything under it")
        #expect(try curl(["http://x/api/v1/recordings?camera=back"]).code == 200, "its recordings stay listed")
        let config = try String(contentsOfFile: dir.file("config.json"), encoding: .utf8)
        #expect(config.contains("\"side\"") && !config.contains("\"back\"") && config.contains("\"api\""), "\(config)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        agent = try AgentProcess.camgate(["run", "--config", dir.file("config.json"), "--data-dir", data], logPath: dir.file("agent2.log"))
        #expect(await waitUntil(timeout: .seconds(20)) { (try? await get("/api/v1/status"))?.status == 200 }, "\(agent.log)")
        let cameras = (json(String(decoding: try await get("/api/v1/cameras").body, as: UTF8.self))["cameras"] as? [[String: Any]]) ?? []
        #expect(Set(cameras.filter { $0["desired"] as? Bool == true }.compactMap { $0["id"] as? String }) == ["front", "side"])
    }

    @Test func withACloudTheCloudOwnsCamerasAndEditsAnswer409() async throws {
        let agent = try await start(cloud: true)
        defer { withExtendedLifetime(agent) {} }
        let answer = try curl(["-X", "PUT", "-H", "content-type: application/json", "-d", #"{"source": {"kind": "test"}}"#, "http://x/api/v1/cameras/side"])
        #expect(answer.code == 409)
        #expect((json(answer.body)["error"] as? [String: Any])?["code"] as? String == "cloud_managed")
        #expect(try curl(["-X", "POST", "-H", "content-type: application/json", "-d", #"{"stream_id": "front", "rtmp_url": "rtmp://127.0.0.1/live/x"}"#, "http://x/api/stream/start"]).code == 409)
        let reconnect = json(try curl(["-X", "POST", "http://x/api/v1/cloud/reconnect"]).body)
        #expect(reconnect["ok"] as? Bool == true)
    }

    @Test func slowAndIdleClientsAreCutOffWithoutHurtingOthers() async throws {
        let agent = try await start()
        let result = try runProgram("/usr/bin/python3", [Repository.fixture("api_abuse.py"), socket, "500"], timeout: .seconds(90))
        #expect(result.status == 0, "\(result.output)")
        #expect(agent.isRunning)
    }

    @Test func aSocketLeftByADeadAgentIsTakenOverAndALiveOneIsNot() async throws {
        let first = try await start()
        first.signal(SIGKILL)
        _ = await first.waitForExit()
        #expect(FileSystem.exists(socket), "kill -9 leaves the socket file")
        let second = try await start()
        let other = TemporaryDirectory("api-other")
        let third = try AgentProcess.camgate(["run", "--demo", "--data-dir", other.file("data"), "--api-socket", socket], logPath: other.file("agent.log"))
        #expect(await third.waitForExit(timeout: .seconds(20)) == 1)
        #expect(third.log.contains("another agent is serving it"), "\(third.log)")
        let answer = try await get("/api/v1/status")
        #expect(second.isRunning && answer.status == 200)
    }

    @Test func cliStatusAsksTheAgentAndSaysWhenItReadsTheDatabase() async throws {
        let agent = try await start()
        let live = try runProgram(Repository.camgate, ["status", "--data-dir", data])
        #expect(live.status == 0 && live.output.contains("front") && !live.output.contains("not running"), "\(live.output)")
        let spec = #"{"source": {"kind": "test", "size": "160x90", "fps": 5}}"#
        let added = try runProgram(Repository.camgate, ["cameras", "add", "side", spec, "--data-dir", data])
        #expect(added.status == 0 && added.output.contains("side added"), "\(added.output)")
        let again = try runProgram(Repository.camgate, ["cameras", "add", "side", spec, "--data-dir", data])
        #expect(again.status == 2 && again.output.contains("use `camgate cameras set`"), "\(again.output)")
        let changed = try runProgram(Repository.camgate, ["cameras", "set", "side", #"{"source": {"kind": "test"}, "record": false}"#, "--data-dir", data])
        #expect(changed.status == 0 && changed.output.contains("side changed"), "\(changed.output)")
        let bad = try runProgram(Repository.camgate, ["cameras", "set", "side", #"{"source": {"kind": "rtsp", "url": "file:///etc/passwd"}}"#, "--data-dir", data])
        #expect(bad.status == 2, "\(bad.output)")
        let listed = try runProgram(Repository.camgate, ["cameras", "list", "--data-dir", data])
        #expect(listed.output.contains("side") && listed.output.contains("front"), "\(listed.output)")
        #expect(try runProgram(Repository.camgate, ["cameras", "rm", "side", "--data-dir", data]).status == 0)
        let recordings = try runProgram(Repository.camgate, ["recordings", "--data-dir", data, "--json"])
        #expect(recordings.status == 0 && recordings.output.hasPrefix("["), "\(recordings.output)")
        let shot = try runProgram(Repository.camgate, ["snapshot", "front", "-o", dir.file("front.jpg"), "--data-dir", data])
        let jpeg = (try? FileSystem.read(dir.file("front.jpg"), limit: 2)) ?? []
        #expect(shot.status == 0 && jpeg == [0xFF, 0xD8], "\(shot.output)")
        let events = try runProgram(Repository.camgate, ["events", "--data-dir", data, "--json"])
        #expect(events.status == 0 && events.output.contains("agent"), "\(events.output)")
        agent.signal(SIGTERM)
        #expect(await agent.waitForExit() == 0)
        let offline = try runProgram(Repository.camgate, ["status", "--data-dir", data])
        #expect(offline.status == 0 && offline.output.contains("read from the database") && offline.output.contains("front"), "\(offline.output)")
        let edit = try runProgram(Repository.camgate, ["cameras", "rm", "front", "--data-dir", data])
        #expect(edit.status == 1 && edit.output.contains("no agent is running"), "\(edit.output)")
    }

    @Test func metricsPassPromtoolAndARealPrometheusScrapesThem() async throws {
        let agent = try await start()
        defer { withExtendedLifetime(agent) {} }
        let metrics = try curl(["http://x/metrics"])
        #expect(metrics.code == 200 && metrics.body.contains("camgate_build_info{version="))
        let file = dir.file("metrics.txt")
        try metrics.body.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try runProgram("/bin/sh", ["-c", "promtool check metrics < \"$0\"", file])
        #expect(check.status == 0, "promtool: \(check.output)")

        let promPort = freePort()
        let promConfig = dir.file("prometheus.yml")
        try """
            global: {scrape_interval: 1s}
            scrape_configs:
              - job_name: camgate
                authorization: {credentials_file: \(dir.file("api-token"))}
                static_configs: [{targets: ['127.0.0.1:\(port)']}]
            """.write(toFile: promConfig, atomically: true, encoding: .utf8)
        let prometheus = try ChildProcess("/usr/bin/prometheus", ["--config.file=\(promConfig)", "--storage.tsdb.path=\(dir.file("tsdb"))",
                                                                 "--web.listen-address=127.0.0.1:\(promPort)"], logPath: dir.file("prometheus.log"))
        defer { prometheus.signal(SIGTERM) }
        let query = "http://127.0.0.1:\(promPort)/api/v1/query?query=camgate_camera_state%7Bstate%3D%22recording%22%7D"
        let scraped = await waitUntil(timeout: .seconds(40), every: .seconds(1)) {
            let answer = (try? curl([query], tcp: true))?.body ?? ""
            return answer.contains("\"camera\":\"front\"") && answer.contains("\"camera\":\"back\"")
        }
        #expect(scraped, "prometheus: \(prometheus.log.suffix(2000))")
    }

    /// The front camera detects motion: its card says from where ("main":
    /// a test camera has no substream).
    @Test func statusPageShowsEveryCameraTileAndTimelineInChromium() async throws {
        let agent = try await start(motion: true)
        defer { withExtendedLifetime(agent) {} }
        #expect(await waitUntil(timeout: .seconds(20)) {
            let page = json((try? curl(["http://x/api/v1/recordings?camera=back"]))?.body ?? "")
            return !((page["recordings"] as? [Any]) ?? []).isEmpty
        })
        let shot = dir.file("status-page.png")
        let check = try runProgram("/usr/bin/python3", [Repository.fixture("page_check.py"), "http://127.0.0.1:\(port)/#token=\(token)", shot, "front,back"],
                                   environment: Subprocess.defaultEnvironment.merging(["PAGE_CHECK_MOTION": "front=main"]) { $1 }, timeout: .seconds(120))
        #expect(check.status == 0, "\(check.output)")
        #expect(FileSystem.exists(shot))
        if let keep = ProcessInfo.processInfo.environment["CAMGATE_KEEP_SCREENSHOT"] { _ = try? runProgram("/bin/cp", [shot, keep]) }
    }
}
