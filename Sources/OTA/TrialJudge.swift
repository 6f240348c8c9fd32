/// What happened, as the judge is told it. Each comes from one place
/// (docs/ota.md, "Where each decision runs").
public enum TrialInput: Hashable, Sendable {
    /// The running, committed agent verified and staged a candidate
    /// (`/usr/lib/camgate/<version>/camgate` is in place).
    case stage(candidate: SoftwareVersion, previous: SoftwareVersion, downgrade: Bool, cloudWasReachable: Bool, policy: TrialPolicy)
    /// The service is about to start (ExecStartPre, committed binary: `ota guard`).
    case start
    /// The running agent's health (the candidate, while on trial).
    case health(HealthReport)
    /// The service's main process ended (ExecStopPost, committed binary).
    case exit(failed: Bool)
    /// The periodic timer (committed binary: `ota check`).
    case check
    /// The running agent delivered the outcome to the cloud.
    case ackDelivered
    /// The operator's `camgate ota rollback`: end a trial, or undo a commit.
    case rollback
}

/// What the caller must do, in order, after it has written the new state.
/// Every action is idempotent: after a crash the next `start` or `check`
/// asks for the links again, so a lost action is redone, never half done.
public enum TrialAction: Hashable, Sendable {
    /// Point `/usr/lib/camgate/current` (what ExecStart runs) at a version.
    case switchCurrent(to: SoftwareVersion)
    /// Point `/usr/lib/camgate/committed` (what runs the guard and check) at a version.
    case switchCommitted(to: SoftwareVersion)
    /// Log it; the version's directory may be removed.
    case markBad(SoftwareVersion)
    /// Deliver the outcome (also kept as `ackPending` until `ackDelivered`).
    case ack(UpdateOutcome)
    /// Restart the service so that `current` runs (from `check` only: the
    /// guard runs inside a start, and after an exit systemd restarts).
    case restartService
    /// The input was refused; nothing changed.
    case refuse(UpdateRefusal)
}

/// The trial of one update as a pure function: `(state, input, now) ->
/// (state, actions)`. `now` is milliseconds on the clock the caller stores
/// times with (the wall clock: times outlive the process and a reboot).
/// The caller holds a lock on the state file around read, step, write,
/// then performs the actions.
public enum TrialJudge {
    public static func step(_ state: UpdateState, _ input: TrialInput, now: Int64) -> (UpdateState, [TrialAction]) {
        switch input {
        case .stage(let candidate, let previous, let downgrade, let cloud, let policy):
            if let u = state.update, u.phase == .trial {
                return (state, [.refuse(UpdateRefusal(.updateInProgress, "\(u.candidate) is on trial; it must commit or roll back first"))])
            }
            var next = state
            next.update = UpdateRecord(candidate: candidate, previous: previous, downgrade: downgrade,
                                       cloudWasReachable: cloud, policy: policy, stagedAt: now)
            return (next, [.restartService])
        case .start: return start(state, now: now)
        case .health(let report): return health(state, report, now: now)
        case .exit(let failed): return exit(state, failed: failed, now: now)
        case .check: return check(state, now: now)
        case .ackDelivered:
            var next = state
            next.update?.ackPending = false
            return (next, [])
        case .rollback: return operatorRollback(state, now: now)
        }
    }

    /// Staged or on trial: rolled back as any trial. Committed: the
    /// previous version becomes committed again, the candidate bad, and the
    /// floor goes back to the previous version (the operator, root on the
    /// device, decided; nothing else lowers it without a signed downgrade).
    static func operatorRollback(_ state: UpdateState, now: Int64) -> (UpdateState, [TrialAction]) {
        guard let u = state.update, u.phase != .rolledBack else {
            return (state, [.refuse(UpdateRefusal(.nothingToRollBack, "no update to roll back: the last one \(state.update.map { "(\($0.candidate)) was rolled back already" } ?? "does not exist")"))])
        }
        var (next, actions) = rollBack(state, .operatorRequest, now: now)
        if u.phase == .committed { next.floor = u.previous }
        actions.append(.restartService)
        return (next, actions)
    }

    /// The links each phase wants, asked again at every start.
    static func links(_ u: UpdateRecord) -> [TrialAction] {
        switch u.phase {
        case .committed: [.switchCommitted(to: u.candidate), .switchCurrent(to: u.candidate)]
        case .staged, .trial: [.switchCurrent(to: u.versionToRun)]
        // committed is the previous version already after a trial's
        // rollback; after an operator's rollback of a commit it goes back.
        case .rolledBack: [.switchCurrent(to: u.previous), .switchCommitted(to: u.previous)]
        }
    }

    static func start(_ state: UpdateState, now: Int64) -> (UpdateState, [TrialAction]) {
        guard var u = state.update else { return (state, []) }
        switch u.phase {
        case .committed, .rolledBack:
            return (state, links(u))
        case .staged:
            u.phase = .trial
            u.starts = [now]
        case .trial:
            if now - u.starts[0] >= u.policy.healthyDeadline {
                return rollBack(state, u.lastExit?.failed == true ? .crashedDuringTrial : .notHealthyInTime, now: now)
            }
            u.starts.append(now)
            if u.starts.count >= u.policy.maxStarts {
                return rollBack(state, .crashLoop, now: now)
            }
        }
        u.health = nil
        var next = state
        next.update = u
        return (next, links(u))
    }

    static func health(_ state: UpdateState, _ report: HealthReport, now: Int64) -> (UpdateState, [TrialAction]) {
        guard var u = state.update, u.phase == .trial, let run = u.starts.last, report.at >= run else { return (state, []) }
        u.health = report
        var next = state
        next.update = u
        return check(next, now: now)
    }

    static func exit(_ state: UpdateState, failed: Bool, now: Int64) -> (UpdateState, [TrialAction]) {
        guard var u = state.update, u.phase == .trial, let run = u.starts.last else { return (state, []) }
        u.lastExit = UpdateRecord.Exit(at: now, failed: failed)
        var next = state
        next.update = u
        let wasReady = u.health?.ready == true
        if failed, now - run < u.policy.exitedAtOnceWindow, !wasReady {
            return rollBack(next, .exitedAtOnce, now: now)
        }
        return (next, [])
    }

    /// Commit on a healthy report from a run at least `minimumRun` old;
    /// else roll back past the deadline, or when the candidate crashed and
    /// was not restarted within `restartGrace`.
    static func check(_ state: UpdateState, now: Int64) -> (UpdateState, [TrialAction]) {
        guard let u = state.update else { return (state, []) }
        switch u.phase {
        case .staged:
            return (state, now - u.stagedAt >= u.policy.restartGrace ? [.restartService] : [])
        case .committed, .rolledBack:
            return (state, [])
        case .trial:
            break
        }
        let run = u.starts.last ?? u.stagedAt
        if let h = u.health, h.at >= run, h.at - run >= u.policy.minimumRun, h.isHealthy(cloudWasReachable: u.cloudWasReachable) {
            return commit(state, now: now)
        }
        let exit = u.lastExit.flatMap { $0.at >= run ? $0 : nil }
        let crashed = exit?.failed == true
        if crashed, let exit, now - exit.at >= u.policy.restartGrace {
            return withRestart(rollBack(state, .crashedDuringTrial, now: now))
        }
        if now - (u.starts.first ?? u.stagedAt) >= u.policy.healthyDeadline {
            let rolled = rollBack(state, crashed ? .crashedDuringTrial : .notHealthyInTime, now: now)
            // A clean stop (an operator's) is rolled back but not restarted.
            return exit != nil && !crashed ? rolled : withRestart(rolled)
        }
        return (state, [])
    }

    static func commit(_ state: UpdateState, now: Int64) -> (UpdateState, [TrialAction]) {
        guard var u = state.update else { return (state, []) }
        u.phase = .committed
        u.finishedAt = now
        u.ackPending = true
        var next = state
        next.update = u
        // A signed downgrade lowers the floor; otherwise the candidate is above it.
        next.floor = u.candidate
        return (next, links(u) + [.ack(.succeeded(u.candidate))])
    }

    static func rollBack(_ state: UpdateState, _ reason: RollbackReason, now: Int64) -> (UpdateState, [TrialAction]) {
        guard var u = state.update else { return (state, []) }
        u.phase = .rolledBack
        u.rollbackReason = reason
        u.finishedAt = now
        u.ackPending = true
        var next = state
        next.update = u
        next.badVersions.insert(u.candidate)
        return (next, links(u) + [.markBad(u.candidate), .ack(.failed(u.candidate, reason))])
    }

    private static func withRestart(_ result: (UpdateState, [TrialAction])) -> (UpdateState, [TrialAction]) {
        (result.0, result.1 + [.restartService])
    }

    /// When the state file cannot be read (`UpdateState(parsing:)` threw):
    /// run the version of the binary deciding, which is the committed one.
    public static func recover(committed: SoftwareVersion) -> [TrialAction] {
        [.switchCurrent(to: committed)]
    }
}
