import CamgateCore
import Store

extension StatusReport {
    /// A report read back from its JSON (what the CLI gets from the API).
    public init?(json: JSONValue) {
        guard case .array(let cameraValues)? = json["cameras"], let storage = json["storage"] else { return nil }
        func ms(_ value: JSONValue?) -> Int64? { value?.stringValue.flatMap(Timestamp.parseRFC3339) }
        func int(_ value: JSONValue?) -> Int64? { if case .int(let n)? = value { n } else { nil } }
        if let a = json["agent"], a != .null {
            agent = AgentInfo(running: a["running"] == .bool(true), pid: Int32(int(a["pid"]) ?? 0), version: a["version"]?.stringValue ?? "",
                              startedAtMs: ms(a["started_at"]) ?? 0, stoppedAtMs: ms(a["stopped_at"]))
        }
        desiredRevision = int(json["desired"]?["revision"])
        desiredOrigin = json["desired"]?["origin"]?.stringValue
        cameras = cameraValues.compactMap { c in
            guard let id = c["id"]?.stringValue.flatMap({ try? CameraID($0) }),
                  let state = c["state"]?.stringValue.flatMap(CameraState.init(rawValue:)) else { return nil }
            let segment = c["current_segment"].flatMap { s -> Segment? in
                guard let file = s["file"]?.stringValue else { return nil }
                return Segment(file: file, startMs: ms(s["start"]) ?? 0, bytes: int(s["bytes"]) ?? 0)
            }
            return Camera(id: id, state: state, sinceMs: ms(c["since"]) ?? 0, source: c["source"]?.stringValue ?? "",
                          record: c["record"] == .bool(true), view: c["view"] == .bool(true), pid: int(c["pid"]).map { Int32($0) },
                          currentSegment: segment, restarts: Int(int(c["restarts"]) ?? 0), lastError: c["last_error"]?.stringValue)
        }
        self.storage = Storage(recordingsBytes: int(storage["recordings_bytes"]) ?? 0, segments: Int(int(storage["segments"]) ?? 0),
                               totalBytes: int(storage["total_bytes"]) ?? 0, availableBytes: int(storage["free_bytes"]) ?? 0,
                               minFreePercent: Int(int(storage["min_free_percent"]) ?? 0))
    }
}

extension StatusReport {
    /// `camgate status`'s text for the API's status answer: the report,
    /// then the cloud link and the encoders.
    public static func text(of json: JSONValue) -> String {
        var lines = [StatusReport(json: json)?.text ?? json.serialized()]
        if let cloud = json["cloud"], cloud != .null {
            let error = cloud["last_error"]?.stringValue.map { ", last error: \($0)" } ?? ""
            lines.append("cloud: \(cloud["endpoint"]?.stringValue ?? "") as \(cloud["device_id"]?.stringValue ?? ""): \(cloud["link"]?.stringValue ?? "")\(error); outbox \(cloud["outbox_depth"]?.serialized() ?? "0")")
        }
        if case .array(let encoders)? = json["encoders"], !encoders.isEmpty {
            let usable = encoders.filter { $0["usable"] == .bool(true) }.compactMap { $0["backend"]?.stringValue }
            lines.append("encoders: \(usable.isEmpty ? "none usable" : usable.joined(separator: ", ")) (of \(encoders.count) probed)")
        }
        if let device = json["device"], device != .null { lines += DeviceReport.text(of: device) }
        if let software = json["software"], software != .null { lines += SoftwareReport.text(of: software) }
        if let uploads = json["uploads"], uploads != .null { lines += UploadReport.text(of: uploads) }
        if case .array(let items)? = json["viewing"] {
            let viewing = items.compactMap(ViewingReport.init(json:))
            if !viewing.isEmpty { lines.append("\nviewing:\n" + viewing.map(\.text).joined(separator: "\n")) }
        }
        return lines.joined(separator: "\n")
    }
}

extension ViewingReport {
    /// A report read back from its JSON.
    public init?(json: JSONValue) {
        guard let camera = json["camera"]?.stringValue.flatMap({ try? CameraID($0) }), case .array(let paths)? = json["paths"] else { return nil }
        self.camera = camera
        enabled = json["view"] == .bool(true)
        unavailable = json["unavailable"]?.stringValue
        self.paths = paths.map { p in
            let viewers: Int? = if case .int(let n)? = p["viewers"] { Int(n) } else { nil }
            let ready: Bool? = if case .bool(let b)? = p["ready"] { b } else { nil }
            return Path(name: p["name"]?.stringValue ?? "", rtsp: p["rtsp"]?.stringValue ?? "", hls: p["hls"]?.stringValue ?? "",
                        webrtc: p["webrtc"]?.stringValue ?? "", viewers: viewers, ready: ready)
        }
    }
}
