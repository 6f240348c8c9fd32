import CamgateCore
import Hardware

/// The board and its health, for `status`, the API, the page and metrics.
/// Read fresh on each request: a few small sysfs files.
public struct DeviceReport: Sendable {
    public var choice: BoardChoice
    public var health: DeviceHealth

    public init(choice: BoardChoice, health: DeviceHealth) {
        self.choice = choice
        self.health = health
    }

    public static func read(_ system: BoardSystem, choice: BoardChoice) -> DeviceReport {
        DeviceReport(choice: choice, health: system.health(choice))
    }

    public var json: JSONValue {
        var board: [String: JSONValue] = ["id": choice.id.map(JSONValue.string) ?? .null,
                                          "name": choice.profile.map { .string($0.name) } ?? .null,
                                          "variant": choice.variant.map { .string($0.id) } ?? .null]
        board["advised_cameras"] = choice.advisedCameras.map { .int(Int64($0)) } ?? .null
        var out: [String: JSONValue] = ["board": .object(board)]
        out["temperature_celsius"] = health.temperatureCelsius.map(JSONValue.double) ?? .null
        out["thermal_zone"] = health.thermalZone.map(JSONValue.string) ?? .null
        out["temperature_level"] = health.temperatureLevel.map(JSONValue.string) ?? .null
        out["uptime_s"] = health.uptimeSeconds.map(JSONValue.double) ?? .null
        out["throttling"] = health.throttling.map { t in
            .object(["under_voltage_now": t.underVoltageNow.map(JSONValue.bool) ?? .null,
                     "under_voltage_occurred": t.underVoltageOccurred.map(JSONValue.bool) ?? .null,
                     "throttled_now": t.throttledNow.map(JSONValue.bool) ?? .null,
                     "throttled_occurred": t.throttledOccurred.map(JSONValue.bool) ?? .null,
                     "raw": .string(t.raw)])
        } ?? .null
        out["storage_wear"] = .array(health.storageWear.map { w in
            .object(["device": .string(w.device), "life_used_percent": w.percentUsed.map(JSONValue.string) ?? .null,
                     "pre_eol": w.preEOLText.map(JSONValue.string) ?? .null])
        })
        return .object(out)
    }

    /// One or two lines for `camgate status`, from the JSON (the API's answer or a local read).
    public static func text(of json: JSONValue) -> [String] {
        var parts: [String] = []
        if let id = json["board"]?["id"]?.stringValue {
            parts.append("board \(id)" + (json["board"]?["variant"]?.stringValue.map { " (\($0))" } ?? ""))
        } else {
            parts.append("board: no profile")
        }
        if case .double(let t)? = json["temperature_celsius"] {
            parts.append("\(Int(t.rounded())) °C" + (json["temperature_level"]?.stringValue.map { $0 == "ok" ? "" : " (\($0))" } ?? ""))
        }
        if json["throttling"]?["under_voltage_now"] == .bool(true) { parts.append("UNDER-VOLTAGE now") }
        else if json["throttling"]?["under_voltage_occurred"] == .bool(true) { parts.append("under-voltage since boot") }
        if json["throttling"]?["throttled_now"] == .bool(true) { parts.append("throttled now") }
        if case .double(let up)? = json["uptime_s"] { parts.append("up \(formatUptime(up))") }
        var lines = ["device: " + parts.joined(separator: ", ")]
        if case .array(let wear)? = json["storage_wear"] {
            for w in wear {
                guard let device = w["device"]?.stringValue else { continue }
                let used = w["life_used_percent"]?.stringValue.map { "\($0) % of rated life used" } ?? "life unknown"
                lines.append("  storage \(device): \(used)" + (w["pre_eol"]?.stringValue.map { ", reserve \($0)" } ?? ""))
            }
        }
        return lines
    }

    static func formatUptime(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s >= 86_400 { return "\(s / 86_400)d \(s % 86_400 / 3600)h" }
        if s >= 3600 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 60)m"
    }
}
