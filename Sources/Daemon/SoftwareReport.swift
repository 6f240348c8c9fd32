import CamgateCore
import OTA
import Updater

/// The agent's software for `status`, the API, the page and metrics: the
/// version running, the install's links (current, committed, previous), the
/// anti-rollback floor and the last update with its outcome — read from the
/// OTA layout and state file on each request (two readlinks and a small file).
public struct SoftwareReport: Sendable {
    public var running: String
    public var current: SoftwareVersion?
    public var committed: SoftwareVersion?
    public var previous: SoftwareVersion?
    public var floor: SoftwareVersion?
    public var lastUpdate: UpdateRecord?
    /// The state file exists but does not parse (why).
    public var stateError: String?

    public static func read(installRoot: String, running: String = CamgateCore.version) -> SoftwareReport {
        let layout = InstallLayout(root: installRoot)
        var report = SoftwareReport(running: running, current: layout.version(.current), committed: layout.version(.committed),
                                    previous: layout.version(.previous))
        switch try? StateFile(layout: layout).read() {
        case .state(let state)?:
            report.floor = state.floor
            report.lastUpdate = state.update
        case .unreadable(let refused)?:
            report.stateError = refused.description
        case nil:
            report.stateError = "cannot read \(layout.stateFile)"
        }
        return report
    }

    public var json: JSONValue {
        func v(_ version: SoftwareVersion?) -> JSONValue { version.map { .string($0.description) } ?? .null }
        var out: [String: JSONValue] = ["version": .string(running), "current": v(current), "committed": v(committed),
                                        "previous": v(previous), "floor": v(floor)]
        out["state_error"] = stateError.map(JSONValue.string) ?? .null
        out["last_update"] = lastUpdate.map { u in
            let outcome: JSONValue = switch u.outcome {
            case .succeeded?: .string("succeeded")
            case .failed?: .string("failed")
            case nil: .null
            }
            return .object(["version": .string(u.candidate.description), "from": .string(u.previous.description),
                            "phase": .string(u.phase.rawValue), "outcome": outcome,
                            "reason": u.rollbackReason.map { .string($0.rawValue) } ?? .null,
                            "staged_at": .string(Timestamp.rfc3339(milliseconds: u.stagedAt)),
                            "finished_at": u.finishedAt.map { .string(Timestamp.rfc3339(milliseconds: $0)) } ?? .null,
                            "command_id": u.commandID.map(JSONValue.string) ?? .null])
        } ?? .null
        return .object(out)
    }

    /// `camgate status`'s lines.
    public static func text(of json: JSONValue) -> [String] {
        func s(_ key: String) -> String? { json[key]?.stringValue }
        var line = "software: \(s("version") ?? "?")"
        if let committed = s("committed") { line += ", committed \(committed)" }
        if let previous = s("previous") { line += ", previous \(previous)" }
        var lines = [line]
        if let u = json["last_update"], u != .null {
            var last = "last update: \(u["from"]?.stringValue ?? "?") -> \(u["version"]?.stringValue ?? "?") \(u["phase"]?.stringValue ?? "?")"
            if let reason = u["reason"]?.stringValue { last += " (\(reason))" }
            if let at = u["finished_at"]?.stringValue { last += " at \(at)" }
            lines.append(last)
        }
        if let error = s("state_error") { lines.append("update state: \(error)") }
        return lines
    }
}
