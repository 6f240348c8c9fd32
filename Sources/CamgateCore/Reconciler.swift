/// Level-based reconciliation: compares what should run with what runs and
/// says what to do. Pure: the same inputs always give the same plan, so it is
/// tested with a table of cases and applied idempotently.
public enum Reconciler {
    /// A workload that should run; `fingerprint` identifies its exact command
    /// line, so a changed configuration shows up as a different fingerprint.
    public typealias Desired = [WorkloadKey: String]
    /// Workloads that run now, with the fingerprint they were started with.
    public typealias Running = [WorkloadKey: String]
    /// Workloads that must not be started before an instant (restart backoff,
    /// open circuit breaker).
    public typealias Holds = [WorkloadKey: ContinuousClock.Instant]

    public enum Action: Hashable, Sendable {
        case start(WorkloadKey)
        case stop(WorkloadKey)
        /// Runs with an outdated command line: stop, then start.
        case restart(WorkloadKey)
        case keep(WorkloadKey)
        /// Should run but is held back until the instant.
        case wait(WorkloadKey, until: ContinuousClock.Instant)

        public var key: WorkloadKey {
            switch self {
            case .start(let k), .stop(let k), .restart(let k), .keep(let k), .wait(let k, _): k
            }
        }
    }

    public struct Plan: Hashable, Sendable {
        /// Stops first (a V4L2 device is freed before anyone opens it), then
        /// restarts, starts, waits and keeps; each group in key order.
        public var actions: [Action]

        public var started: Int { actions.count(where: { if case .start = $0 { true } else { false } }) }
        public var stopped: Int { actions.count(where: { if case .stop = $0 { true } else { false } }) }
        public var restarted: Int { actions.count(where: { if case .restart = $0 { true } else { false } }) }
        public var kept: Int { actions.count(where: { if case .keep = $0 { true } else { false } }) }
        public var waiting: Int { actions.count(where: { if case .wait = $0 { true } else { false } }) }

        /// `N kept, N started, N stopped` (plus restarts and waits when any).
        public var summary: String { summary(failedStarts: 0) }

        /// The summary once applied: starts and restarts that failed (a
        /// full disk, a missing binary) are not counted as started or
        /// restarted but said apart, so a log never reads "cannot start
        /// recorder" then "1 started".
        public func summary(failedStarts failed: Int) -> String {
            let failedStarts = min(failed, started), failedRestarts = min(failed - failedStarts, restarted)
            var text = "\(kept) kept, \(started - failedStarts) started, \(stopped) stopped"
            if restarted - failedRestarts > 0 { text += ", \(restarted - failedRestarts) restarted" }
            if waiting > 0 { text += ", \(waiting) waiting" }
            if failed > 0 { text += ", \(failed) could not start" }
            return text
        }
    }

    public static func plan(desired: Desired, running: Running, holds: Holds, now: ContinuousClock.Instant) -> Plan {
        var stops: [Action] = [], restarts: [Action] = [], starts: [Action] = []
        var waits: [Action] = [], keeps: [Action] = []
        for key in running.keys.sorted() where desired[key] == nil {
            stops.append(.stop(key))
        }
        for key in desired.keys.sorted() {
            let fingerprint = desired[key]!
            if let runningFingerprint = running[key] {
                if runningFingerprint == fingerprint { keeps.append(.keep(key)) } else { restarts.append(.restart(key)) }
            } else if let until = holds[key], until > now {
                waits.append(.wait(key, until: until))
            } else {
                starts.append(.start(key))
            }
        }
        return Plan(actions: stops + restarts + starts + waits + keeps)
    }
}
