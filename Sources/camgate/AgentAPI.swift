import ArgumentParser
import CamgateCore
import Daemon
import LocalAPI
import Platform

/// How the CLI asks the running agent (its local API).
extension DataDirectoryOptions {
    var api: LocalAPIClient { LocalAPIClient(socketPath: socketPath) }

    /// The agent's answer to a read, or nil when no agent answers (the
    /// caller then reads the database and says so). An error status fails.
    func read(_ path: String) async throws -> JSONValue? {
        let response: LocalAPIClient.Response
        do {
            response = try await api.request("GET", path)
        } catch is LocalAPIClient.Unreachable {
            return nil
        }
        guard (200..<300).contains(response.status), let json = response.json else {
            throw fail("the agent answered \(response.status): \(response.errorMessage)", code: 1)
        }
        return json
    }

    /// A request that needs the running agent: fails clearly without one.
    func call(_ method: String, _ path: String, json body: JSONValue? = nil) async throws -> LocalAPIClient.Response {
        do {
            let response = try await api.request(method, path, json: body)
            guard (200..<300).contains(response.status) else {
                throw fail("the agent answered \(response.status): \(response.errorMessage)", code: response.status == 409 || response.status == 400 ? 2 : 1)
            }
            return response
        } catch let error as LocalAPIClient.Unreachable {
            throw fail("no agent is running (\(error)); start it with `camgate run`", code: 1)
        }
    }
}

/// Says, on stderr, that an answer comes from the database.
func noteOffline(_ data: DataDirectoryOptions) {
    printError("camgate: the agent is not running (no answer at \(data.socketPath)): read from the database")
}

/// `camgate cameras …`: the cameras of the running agent.
struct Cameras: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add, change and remove cameras (standalone mode; with a cloud, the cloud owns them).",
        subcommands: [CamerasList.self, CamerasAdd.self, CamerasSet.self, CamerasRemove.self],
        defaultSubcommand: CamerasList.self
    )
}

struct CamerasList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The cameras, their state and last error.")
    @OptionGroup var data: DataDirectoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let answer = try await data.call("GET", "/api/v1/cameras")
        guard let cameras = answer.json?["cameras"], case .array(let list) = cameras else { throw fail("the agent's answer is not a camera list", code: 1) }
        if json { print(cameras.serialized()); return }
        for c in list {
            let error = c["last_error"]?.stringValue.map { "  error: \($0)" } ?? ""
            print("\(c["id"]?.stringValue ?? "?")  \(c["state"]?.stringValue ?? "?")  \(c["source"]?.stringValue ?? "")\(error)")
        }
        print("\(list.count) cameras")
    }
}

/// A camera id and its JSON spec (`cameras add` and `cameras set`).
struct CameraSpecArguments: ParsableArguments {
    @Argument(help: "The camera id.") var camera: String
    @Argument(help: "The camera's spec, as in the config file's cameras object.") var spec: String

    func validate() throws {
        if let problem = CameraID.problem(with: camera) { throw ValidationError(problem) }
    }
}

struct CamerasSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Add or replace a camera from its JSON spec.",
        discussion: #"Example: camgate cameras set gate '{"source": {"kind": "rtsp", "url": "rtsp://192.0.2.10/stream1"}, "record": true}'"#
    )
    @OptionGroup var target: CameraSpecArguments
    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        try await CamerasSet.put(target.camera, target.spec, data)
    }

    static func put(_ camera: String, _ spec: String, _ data: DataDirectoryOptions) async throws {
        let body: JSONValue
        do { body = try JSONValue.parse(spec) } catch { throw fail("the spec is not valid JSON: \(error)", code: 2) }
        let answer = try await data.call("PUT", "/api/v1/cameras/\(PercentEncoding.encode(camera))", json: body)
        let revision = answer.json?["revision"].map { $0.serialized() } ?? "?"
        print("\(camera) \(answer.status == 201 ? "added" : "changed"): desired revision \(revision)")
    }
}

struct CamerasAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a camera from its JSON spec (refused when the id is taken: use set).")
    @OptionGroup var target: CameraSpecArguments
    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        let existing: LocalAPIClient.Response
        do {
            existing = try await data.api.request("GET", "/api/v1/cameras/\(PercentEncoding.encode(target.camera))")
        } catch let error as LocalAPIClient.Unreachable {
            throw fail("no agent is running (\(error)); start it with `camgate run`", code: 1)
        }
        if existing.status == 200, existing.json?["desired"] == .bool(true) {
            throw fail("camera \(target.camera) exists; use `camgate cameras set` to change it", code: 2)
        }
        try await CamerasSet.put(target.camera, target.spec, data)
    }
}

struct CamerasRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a camera (its recordings stay).")
    @Argument(help: "The camera id.") var camera: String
    @OptionGroup var data: DataDirectoryOptions

    func validate() throws {
        if let problem = CameraID.problem(with: camera) { throw ValidationError(problem) }
    }

    func run() async throws {
        let answer = try await data.call("DELETE", "/api/v1/cameras/\(PercentEncoding.encode(camera))")
        print("\(camera) removed: desired revision \(answer.json?["revision"].map { $0.serialized() } ?? "?")")
    }
}

/// `camgate events`: the agent's event log, newest first; `--motion`: the motion events.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The agent's event log (starts, exits, retention, cloud), newest first; with --motion, the motion events.")
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .long, help: "Only this camera.") var camera: String?
    @Option(name: .long, help: "At most this many (1-1000).") var limit: Int = 50
    @Flag(name: .long, help: "The motion events (start, end, peak, segments) instead of the log.") var motion = false
    @Option(name: .long, help: "With --motion: only events open or ended since this RFC 3339 time.") var since: String?
    @Flag(name: .long, help: "Print JSON.") var json = false

    func validate() throws {
        if let camera, let problem = CameraID.problem(with: camera) { throw ValidationError(problem) }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be from 1 to 1000") }
        if let since {
            guard motion else { throw ValidationError("--since goes with --motion") }
            guard Timestamp.parseRFC3339(since) != nil else { throw ValidationError("--since must be an RFC 3339 time, e.g. 2026-11-29T10:00:00Z") }
        }
    }

    func run() async throws {
        if motion { return try await MotionEvents.print(data, camera: camera, since: since, limit: limit, json: json) }
        var path = "/api/v1/events?limit=\(limit)"
        if let camera { path += "&camera=\(PercentEncoding.encode(camera))" }
        let events: JSONValue
        if let answer = try await data.read(path), let list = answer["events"] {
            events = list
        } else {
            if !json { noteOffline(data) }
            events = try await OfflineReads.events(data, camera: camera, limit: limit)
        }
        if json { print(events.serialized()); return }
        guard case .array(let list) = events else { return }
        for e in list {
            let camera = e["camera"]?.stringValue.map { " [\($0)]" } ?? ""
            print("\(e["time"]?.stringValue ?? "")  \(e["level"]?.stringValue ?? "")  \(e["kind"]?.stringValue ?? "")\(camera)  \(e["message"]?.stringValue ?? "")")
        }
    }
}

/// Reads straight from the database, for when no agent runs.
enum OfflineReads {
    static func events(_ data: DataDirectoryOptions, camera: String?, limit: Int) async throws -> JSONValue {
        let store = try openStore(data)
        let rows = try await store.events(limit: limit, camera: try camera.map { try CameraID($0) }, beforeID: nil)
        return .array(rows.map(\.apiJSON))
    }
}

extension JSONValue {
    /// This object with one more field (other values unchanged).
    func adding(_ key: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var fields) = self else { return self }
        fields[key] = value
        return .object(fields)
    }
}
