import ArgumentParser
import CamgateCore
import Daemon
import LocalAPI
import Media
import Platform
import Store

/// `camgate status`.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the agent, each camera's state, current segment and last error, and storage."
    )

    @OptionGroup var data: DataDirectoryOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        if let answer = try await data.read("/api/v1/status") {
            print(json ? answer.adding("answered_by", .string("agent")).serialized() : StatusReport.text(of: answer))
            return
        }
        if !json { noteOffline(data) }
        let layout = DataLayout(root: FileSystem.absolute(data.dataDir))
        let store: Store
        do { store = try Store.openReadOnly(directory: layout.root) } catch { throw fail("\(error)", code: 1) }
        let report = try await StatusReport.build(store: store, layout: layout)
        var viewing: [ViewingReport] = []
        if let desired = try await store.desiredState()?.state, desired.cameras.values.contains(where: \.view) {
            viewing = await ViewingReport.build(store: store, desired: desired).filter(\.enabled)
        }
        let device = Board.localReport()
        // A database from before the upload queue (read-only: not migrated) has no uploads block.
        let policy = (try? await store.desiredState())?.state.upload ?? UploadPolicy()
        let uploads = (try? await UploadReport.build(store: store, policy: policy))?.json ?? .null
        if json {
            guard case .object(var fields) = report.json else { return }
            fields["device"] = device?.json ?? .null
            fields["viewing"] = .array(viewing.map(\.json))
            fields["uploads"] = uploads
            fields["answered_by"] = .string("database")
            print(JSONValue.object(fields).serialized())
        } else {
            print(report.text)
            if let device { print(DeviceReport.text(of: device.json).joined(separator: "\n")) }
            if uploads != .null { print(UploadReport.text(of: uploads).joined(separator: "\n")) }
            if !viewing.isEmpty { print("\nviewing:\n" + viewing.map(\.text).joined(separator: "\n")) }
        }
    }
}

/// `camgate recordings`.
struct Recordings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List indexed recordings, oldest first."
    )

    @OptionGroup var data: DataDirectoryOptions

    @Option(name: .long, help: "Only this camera.")
    var camera: String?

    @Flag(name: .long, help: "Print a JSON array of {camera, file, start, end, duration, bytes, status}.")
    var json = false

    func validate() throws {
        if let camera, let problem = CameraID.problem(with: camera) { throw ValidationError(problem) }
    }

    func run() async throws {
        let id = try camera.map { try CameraID($0) }
        let rows: [RecordingRow]
        if let answered = try await recordingsFromAgent(camera: id) {
            rows = answered
        } else {
            if !json { noteOffline(data) }
            let store: Store
            do { store = try Store.openReadOnly(directory: FileSystem.absolute(data.dataDir)) } catch { throw fail("\(error)", code: 1) }
            rows = try await store.recordings(camera: id)
        }
        let report = RecordingsReport(rows: rows)
        print(json ? report.json.serialized() : report.text)
    }

    /// Every page of `GET /api/v1/recordings`; nil when no agent answers.
    private func recordingsFromAgent(camera: CameraID?) async throws -> [RecordingRow]? {
        var rows: [RecordingRow] = []
        var after: Int64 = 0
        while true {
            var path = "/api/v1/recordings?limit=1000&after=\(after)"
            if let camera { path += "&camera=\(PercentEncoding.encode(camera.rawValue))" }
            guard let page = try await data.read(path) else { return rows.isEmpty ? nil : rows }
            guard case .array(let items)? = page["recordings"] else { throw fail("the agent's answer has no recordings", code: 1) }
            rows += items.compactMap(RecordingRow.init(apiJSON:))
            guard case .int(let next)? = page["next_after"] else { return rows }
            after = next
        }
    }
}
