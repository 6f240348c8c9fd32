@testable import OTA

/// How a candidate build behaves once started (times from its start, ms).
enum Behaviour: String, CaseIterable, Sendable {
    /// Healthy from 2 s, reports every second.
    case good
    /// Exits with status 1 at 200 ms.
    case exitsAtOnce
    /// Runs but never becomes ready.
    case neverReady
    /// Looks healthy from 2 s, crashes at 10 s.
    case crashesAfter10s
    /// Healthy but the cloud it reached before the update stays unreachable.
    case losesTheCloud

    func report(sinceStart ms: Int64, at now: Int64) -> HealthReport? {
        guard ms >= 1000, ms % 1000 == 0 else { return nil }
        let up = ms >= 2000
        switch self {
        case .good, .crashesAfter10s: return HealthReport(at: now, ready: up, storeOpen: up, recordersAdopted: up, cloudReachable: up)
        case .neverReady: return HealthReport(at: now, ready: false, storeOpen: true, recordersAdopted: false, cloudReachable: true)
        case .losesTheCloud: return HealthReport(at: now, ready: up, storeOpen: up, recordersAdopted: up, cloudReachable: false)
        case .exitsAtOnce: return nil
        }
    }

    /// When the process exits on its own (ms after start), failed.
    var exitAfter: Int64? {
        switch self {
        case .exitsAtOnce: 200
        case .crashesAfter10s: 10_000
        default: nil
        }
    }
}

/// systemd (Restart=always, RestartSec=1 s, ExecStartPre guard, ExecStopPost
/// exit, a 5 s check timer) and the links, around the pure judge. Each
/// step's state goes through the file format, as on a device.
struct TrialSimulator {
    let old = SoftwareVersion(0, 1, 0)
    let new = SoftwareVersion(0, 2, 0)
    let behaviour: Behaviour
    var state = UpdateState(floor: SoftwareVersion(0, 1, 0))
    var current = SoftwareVersion(0, 1, 0)
    var committed = SoftwareVersion(0, 1, 0)
    var running: (version: SoftwareVersion, since: Int64)?
    var nextStart: Int64?
    var acks: [UpdateOutcome] = []
    var switchedAt: Int64?
    var finishedAt: Int64?
    var starts = 0
    /// The judge step after which everything is killed (-9): the state is
    /// written, its actions are lost, the box comes back 2 s later.
    var killAfterStep: Int?
    var steps = 0
    /// One step of each kind (phase before, input, with or without
    /// actions): the kill points worth trying, since killing after two
    /// steps of the same kind leaves the same state to recover from.
    var stepKinds: [String: Int] = [:]

    init(_ behaviour: Behaviour, killAfterStep: Int? = nil) {
        self.behaviour = behaviour
        self.killAfterStep = killAfterStep
        running = (old, 0)
    }

    mutating func judge(_ input: TrialInput, at now: Int64) {
        let (next, actions) = TrialJudge.step(state, input, now: now)
        let kind = "\(String(describing: state.update?.phase)) \(String(describing: input).prefix(while: { $0 != "(" })) \(actions.isEmpty)"
        state = try! UpdateState(parsing: next.fileContent)
        steps += 1
        if stepKinds[kind] == nil { stepKinds[kind] = steps }
        if finishedAt == nil, let u = state.update, u.phase == .committed || u.phase == .rolledBack { finishedAt = now }
        if steps == killAfterStep {
            running = nil
            nextStart = now + 2000
            return
        }
        for action in actions { perform(action, at: now) }
    }

    mutating func perform(_ action: TrialAction, at now: Int64) {
        switch action {
        case .switchCurrent(let version):
            if version == new, current != new, switchedAt == nil { switchedAt = now }
            current = version
        case .switchCommitted(let version): committed = version
        case .restartService:
            if running != nil { judge(.exit(failed: false), at: now) }
            running = nil
            nextStart = now + 500
        case .markBad, .ack, .refuse: break
        }
    }

    /// Runs from the stage command at 1 s until `until` ms, in 100 ms ticks.
    mutating func run(until: Int64 = 200_000) {
        for now in stride(from: Int64(1000), through: until, by: 100) {
            if now == 1000 { judge(.stage(candidate: new, previous: old, downgrade: false, cloudWasReachable: true, policy: TrialPolicy()), at: now) }
            if let at = nextStart, at <= now {
                nextStart = nil
                starts += 1
                judge(.start, at: now)
                running = (current, now)
            }
            tickRunning(at: now)
            if now % 5000 == 0 { judge(.check, at: now) }
            if let done = finishedAt, now > done + 5000, state.update?.ackPending == false, running?.version == current { return }
        }
    }

    mutating func tickRunning(at now: Int64) {
        guard let (version, since) = running else { return }
        if state.update?.ackPending == true, let outcome = state.update?.outcome {
            acks.append(outcome)
            judge(.ackDelivered, at: now)
        }
        guard version == new else { return }
        if let exit = behaviour.exitAfter, now - since >= exit {
            running = nil
            judge(.exit(failed: true), at: now)
            nextStart = now + 1000
        } else if let report = behaviour.report(sinceStart: now - since, at: now) {
            judge(.health(report), at: now)
        }
    }
}
