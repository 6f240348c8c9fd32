import CamgateCore
import OTA
import Platform

/// How the service is restarted: `systemctl --no-block restart UNIT`
/// (argv, no shell). `--no-block`: the check runs from a timer and must
/// not wait for the agent's stop (up to TimeoutStopSec).
public struct ServiceRestarter: Sendable {
    public var systemctl: String
    public var unit: String
    /// The agent's data directory: a restart marks a hand-over there first,
    /// so that the stopping agent leaves its recorders running.
    public var handover: UpdateSpool?

    public init(systemctl: String = "/usr/bin/systemctl", unit: String = "camgate.service", handover: UpdateSpool? = nil) {
        self.systemctl = systemctl
        self.unit = unit
        self.handover = handover
    }

    public func restart() throws(UpdateError) {
        handover?.markHandover(now: WallClock.nowMilliseconds())
        let result: Subprocess.Result
        do {
            result = try Subprocess.runBlocking(systemctl, ["--no-block", "restart", unit], timeout: .seconds(30), outputLimit: 4096)
        } catch {
            throw UpdateError(error, "restarting \(unit)")
        }
        guard result.succeeded else {
            let how = result.exitCode.map { "exited \($0)" } ?? "did not finish"
            throw UpdateError(UpdateRefusal(.ioError, "\(systemctl) --no-block restart \(unit) \(how): \(result.text.suffix(300))"))
        }
    }
}

/// Performs the judge's actions, in order, after the new state is on disk.
/// Every action is idempotent; one that fails is reported and the others
/// still run (the next start or check asks for the links again).
public struct ActionPerformer: Sendable {
    public let layout: InstallLayout
    /// nil: a restart is only reported (a tree that is not the running
    /// system, or `--no-restart`).
    public let restarter: ServiceRestarter?

    public init(layout: InstallLayout, restarter: ServiceRestarter?) {
        self.layout = layout
        self.restarter = restarter
    }

    public struct Report: Sendable {
        /// One line per action: what was done.
        public var lines: [String] = []
        public var failures: [UpdateError] = []
    }

    public func perform(_ actions: [TrialAction]) -> Report {
        var report = Report()
        for action in actions {
            do throws(UpdateError) {
                if let line = try perform(action) { report.lines.append(line) }
            } catch {
                report.failures.append(error)
                report.lines.append("failed: \(error)")
            }
        }
        return report
    }

    func perform(_ action: TrialAction) throws(UpdateError) -> String? {
        switch action {
        case .switchCurrent(let v):
            if layout.version(.current) == v { return nil }
            do { try layout.point(.current, at: v) } catch { throw UpdateError(error, "switching current to \(v)") }
            return "current -> \(v)"
        case .switchCommitted(let v):
            let old = layout.version(.committed)
            if old == v { return nil }
            do {
                // `previous` is the version committed before this one.
                if let old, FileSystem.exists(layout.binary(old)) { try layout.point(.previous, at: old) }
                try layout.point(.committed, at: v)
            } catch {
                throw UpdateError(error, "switching committed to \(v)")
            }
            return "committed -> \(v)" + (old.map { " (previous -> \($0))" } ?? "")
        case .markBad(let v):
            return "\(v) marked bad: never installed again"
        case .ack(let outcome):
            return "outcome kept for the cloud: \(UpdateText.outcome(outcome))"
        case .restartService:
            guard let restarter else { return "restart the service to run `current` (not restarted here)" }
            try restarter.restart()
            return "restarting \(restarter.unit)"
        case .refuse(let refused):
            throw UpdateError(refused)
        }
    }
}

/// Words for outcomes and records, shared by the commands' output.
public enum UpdateText {
    public static func outcome(_ o: UpdateOutcome) -> String {
        switch o {
        case .succeeded(let v): "succeeded: \(v) committed"
        case .failed(let v, let reason): "failed: \(v) rolled back (\(reason.rawValue))"
        }
    }
}
