#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import LocalAPI
import Media
import Platform
import Store

extension APIRoutes {
    // MARK: - Status and cameras

    func statusJSON() async throws -> JSONValue {
        let report = try await StatusReport.build(store: store, layout: layout)
        guard case .object(var root) = report.json else { return report.json }
        if case .object(var agentFields)? = root["agent"] {
            agentFields["running"] = .bool(true)
            agentFields["uptime_s"] = .double(metrics.uptimeSeconds)
            root["agent"] = .object(agentFields)
        }
        root["cameras"] = .array(try await cameraList(report: report))
        root["cloud"] = try await cloudJSON()
        root["encoders"] = .array((await hardware.currentInventory()?.encoders ?? []).map(\.json))
        root["device"] = context.device?().json ?? .null
        root["software"] = context.software?().json ?? .null
        let desired = await agent.desiredState
        let viewing = desired.cameras.values.contains(where: \.view) ? await ViewingReport.build(store: store, desired: desired).filter(\.enabled) : []
        root["viewing"] = .array(viewing.map(\.json))
        root["uploads"] = try await UploadReport.build(store: store, policy: desired.upload, progress: await context.uploadProgress?(),
                                                       segmentsLost: await agent.counters.uploadSegmentsLost).json
        return .object(root)
    }

    func cameraList(report: StatusReport? = nil) async throws -> [JSONValue] {
        let report = if let report { report } else { try await StatusReport.build(store: store, layout: layout) }
        guard case .object(let root) = report.json, case .array(let cameras)? = root["cameras"] else { return [] }
        let desired = await agent.desiredState
        var out: [JSONValue] = []
        for camera in cameras {
            guard case .object(var fields) = camera, let id = fields["id"]?.stringValue.flatMap({ try? CameraID($0) }) else { continue }
            // A removed camera keeps its row (history), but it is gone: a
            // DELETE is followed by 404, not by the row in state "removed".
            if fields["state"] == .string(CameraState.removed.rawValue), desired.cameras[id] == nil { continue }
            fields["encoder"] = await agent.encoderName(id).map(JSONValue.string) ?? .null
            fields["motion_source"] = await agent.motionSource(id).map(JSONValue.string) ?? .null
            fields["desired"] = .bool(desired.cameras[id] != nil)
            out.append(.object(fields))
        }
        return out
    }

    func cloudJSON() async throws -> JSONValue {
        guard let cloud = try await store.cloudState() else { return .null }
        return .object([
            "endpoint": .string(cloud.endpoint), "device_id": .string(cloud.deviceID), "link": .string(cloud.link),
            "since": .string(Timestamp.rfc3339(milliseconds: cloud.sinceMs)),
            "last_error": cloud.lastError.map(JSONValue.string) ?? .null,
            "outbox_depth": .int(Int64(try await store.outboxDepth())),
        ])
    }

    func restart(_ camera: CameraID) async throws -> APIResponse {
        guard await agent.desiredState.cameras[camera] != nil else { throw APIError.notFound("unknown camera \(camera)") }
        await agent.restartCamera(camera)
        return .json(.object(["ok": .bool(true), "message": .string("\(camera) restarted")]))
    }

    func snapshot(_ camera: CameraID) async throws -> APIResponse {
        guard await agent.desiredState.cameras[camera] != nil else { throw APIError.notFound("unknown camera \(camera)") }
        let output = "\(layout.root)/run/api-snapshots/\(camera)-\(metrics.nextSnapshotNumber()).jpg"
        let started = ContinuousClock.now
        let shot: Snapshotter.Snapshot
        do {
            shot = try await agent.snapshot(camera, output: output)
        } catch {
            try? FileSystem.remove(output)
            throw APIError(503, "unavailable", "no snapshot of \(camera): \(error)")
        }
        defer { if shot.file == output { try? FileSystem.remove(output) } }
        let bytes = try FileSystem.read(shot.file, limit: 16 << 20)
        metrics.observeSnapshot(seconds: (ContinuousClock.now - started).seconds)
        return APIResponse(status: 200, headers: [("content-type", "image/jpeg"), ("x-snapshot-method", shot.method),
                                                  ("x-snapshot-taken-at", Timestamp.rfc3339(milliseconds: shot.takenAtMs))],
                           body: .bytes(bytes))
    }

    // MARK: - Recordings

    func recordings(_ r: APIRequest) async throws -> JSONValue {
        let limit = Int(try r.intQuery("limit", in: 1...1000) ?? 100)
        let query = RecordingQuery(camera: try r.cameraQuery(), fromMs: try r.timeQuery("from"), toMs: try r.timeQuery("to"),
                                   afterID: try r.intQuery("after", in: 0...Int64.max), limit: limit)
        let rows = try await store.recordings(query)
        let next: JSONValue = rows.count == limit ? rows.last.map { .int($0.id) } ?? .null : .null
        return .object(["recordings": .array(rows.map(\.apiJSON)), "next_after": next])
    }

    func recordingRow(_ id: Int64) async throws -> RecordingRow {
        guard let row = try await store.recording(id: id) else { throw APIError.notFound("no recording \(id)") }
        return row
    }

    func timeline(_ camera: CameraID, _ r: APIRequest) async throws -> JSONValue {
        // Like every resource under /cameras/{id}: a camera that is not in
        // the desired state (never was, or was deleted) has none. Its
        // recordings stay listed under /api/v1/recordings until retention.
        guard await agent.desiredState.cameras[camera] != nil else {
            throw APIError.notFound("no camera \(camera) (recordings of a removed camera: /api/v1/recordings?camera=\(camera))")
        }
        let now = WallClock.nowMilliseconds()
        let to = try r.timeQuery("to") ?? now
        let from = try r.timeQuery("from") ?? to - RetentionPlanner.millisecondsPerDay
        guard from < to else { throw APIError.badRequest("from must be before to") }
        guard to - from <= 31 * RetentionPlanner.millisecondsPerDay else { throw APIError.badRequest("a timeline covers 31 days at most") }
        let rows = try await store.recordings(RecordingQuery(camera: camera, fromMs: from, toMs: to, limit: 1_000_000))
        let spans = Timeline.spans(rows.map { ($0.startMs, $0.endMs ?? now) }, from: from, to: to)
        return .object([
            "camera": .string(camera.rawValue),
            "from": .string(Timestamp.rfc3339(milliseconds: from)), "to": .string(Timestamp.rfc3339(milliseconds: to)),
            "spans": .array(spans.map { .object(["start": .string(Timestamp.rfc3339(milliseconds: $0.start)),
                                                 "end": .string(Timestamp.rfc3339(milliseconds: $0.end))]) }),
        ])
    }

    /// A recording's file, whole or one byte range (RFC 9110 §14).
    func download(_ id: Int64, _ r: APIRequest) async throws -> APIResponse {
        let row = try await recordingRow(id)
        guard row.file.hasPrefix(layout.recordingsRoot + "/"), !row.file.contains("/../") else {
            throw APIError.notFound("recording \(id) is not under the recordings directory")
        }
        let size: Int64
        do { size = try FileReader(row.file).size } catch { throw APIError.notFound("the file of recording \(id) is gone: \(error)") }
        var headers: [(name: String, value: String)] = [
            ("content-type", "video/mp2t"), ("accept-ranges", "bytes"),
            ("content-disposition", "attachment; filename=\"\(row.camera)-\(FileSystem.basename(row.file))\""),
        ]
        switch ByteRange.parse(r.header("range"), size: size) {
        case .whole:
            return APIResponse(status: 200, headers: headers, body: .file(path: row.file, offset: 0, length: size))
        case .range(let first, let last):
            headers.append(("content-range", "bytes \(first)-\(last)/\(size)"))
            return APIResponse(status: 206, headers: headers, body: .file(path: row.file, offset: first, length: last - first + 1))
        case .unsatisfiable:
            var error = APIError(416, "range_not_satisfiable", "the file has \(size) bytes")
            error.headers = [("content-range", "bytes */\(size)")]
            throw error
        }
    }

    // MARK: - Events

    func events(_ r: APIRequest) async throws -> JSONValue {
        let limit = Int(try r.intQuery("limit", in: 1...1000) ?? 50)
        let rows = try await store.events(limit: limit, camera: try r.cameraQuery(), beforeID: try r.intQuery("before", in: 1...Int64.max))
        return .object(["events": .array(rows.map(\.apiJSON))])
    }
}

extension EventRow {
    /// An event as the API and `camgate events` show it.
    public var apiJSON: JSONValue {
        .object(["id": .int(id), "time": .string(Timestamp.rfc3339(milliseconds: atMs)), "level": .string(level.rawValue),
                 "kind": .string(kind), "camera": camera.map { .string($0.rawValue) } ?? .null, "message": .string(message)])
    }
}

extension RecordingRow {
    var apiJSON: JSONValue {
        let now = WallClock.nowMilliseconds()
        let open = status == .recording
        return .object([
            "id": .int(id), "camera": .string(camera.rawValue), "file": .string(file),
            "start": .string(Timestamp.rfc3339(milliseconds: startMs)),
            "end": endMs.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
            "duration": .double(open ? Double(max(0, now - startMs)) / 1000 : duration ?? 0),
            "bytes": .int(open ? (try? FileSystem.fileSize(file)) ?? bytes : bytes),
            "status": .string(status.rawValue),
            "download": .string("/api/v1/recordings/\(id)/download"),
        ])
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

extension RecordingRow {
    /// A row read back from the API's `recording` object.
    public init?(apiJSON json: JSONValue) {
        guard case .int(let id)? = json["id"], let camera = json["camera"]?.stringValue.flatMap({ try? CameraID($0) }),
              let file = json["file"]?.stringValue, let startMs = json["start"]?.stringValue.flatMap(Timestamp.parseRFC3339),
              let status = json["status"]?.stringValue.flatMap(RecordingStatus.init(rawValue:)) else { return nil }
        let bytes: Int64 = if case .int(let n)? = json["bytes"] { n } else { 0 }
        let duration: Double? = switch json["duration"] {
        case .double(let d)?: d
        case .int(let n)?: Double(n)
        default: nil
        }
        self.init(id: id, camera: camera, file: file, startMs: startMs, endMs: json["end"]?.stringValue.flatMap(Timestamp.parseRFC3339),
                  duration: duration, bytes: bytes, status: status)
    }
}
