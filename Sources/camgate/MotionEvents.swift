import CamgateCore
import Daemon
import LocalAPI
import Store

/// `camgate events --motion`: the agent's answer (`/api/v1/motion`), or the
/// database when no agent runs.
enum MotionEvents {
    static func print(_ data: DataDirectoryOptions, camera: String?, since: String?, limit: Int, json: Bool) async throws {
        var path = "/api/v1/motion?limit=\(limit)"
        if let camera { path += "&camera=\(PercentEncoding.encode(camera))" }
        if let since { path += "&since=\(PercentEncoding.encode(since))" }
        let events: JSONValue
        if let answer = try await data.read(path), let list = answer["events"] {
            events = list
        } else {
            if !json { noteOffline(data) }
            let rows = try await openStore(data).motionEvents(camera: try camera.map { try CameraID($0) },
                                                             sinceMs: since.flatMap(Timestamp.parseRFC3339), limit: limit)
            events = .array(rows.map(\.apiJSON))
        }
        if json { Swift.print(events.serialized()); return }
        guard case .array(let list) = events else { return }
        if list.isEmpty { Swift.print("no motion events"); return }
        for e in list { Swift.print(line(e)) }
    }

    /// `2026-11-30T01:02:03.500Z  front  4.5 s  peak 6.2 %  2 segments` (`open` while it lasts).
    static func line(_ e: JSONValue) -> String {
        let end = e["end"]?.stringValue == nil ? "  (open)" : ""
        let duration: String = switch e["duration"] {
        case .double(let d)?: "\((d * 10).rounded() / 10) s"
        case .int(let n)?: "\(n) s"
        default: "?"
        }
        let peak: String = switch e["peak"] {
        case .double(let d)?: "\(d)"
        case .int(let n)?: "\(n)"
        default: "?"
        }
        let segments = if case .array(let s)? = e["segments"] { s.count } else { 0 }
        return "\(e["start"]?.stringValue ?? "")  \(e["camera"]?.stringValue ?? "")  \(duration)  peak \(peak) %  \(segments) segment\(segments == 1 ? "" : "s")\(end)"
    }
}
