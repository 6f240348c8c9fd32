import OTA
import Platform

/// The unit's hooks around the agent, run by the **committed** binary
/// (docs/ota.md, "Where each decision runs"): `ota guard` (ExecStartPre),
/// `ota exited` (ExecStopPost), `ota check` (a timer) and the operator's
/// `ota rollback`. Each is one locked judge step, then its actions.
public struct TrialHooks: Sendable {
    public let layout: InstallLayout
    public let performer: ActionPerformer
    /// The deciding binary's own version: what runs when the state is unreadable.
    public let ownVersion: SoftwareVersion

    public init(layout: InstallLayout, restarter: ServiceRestarter?, ownVersion: SoftwareVersion) {
        self.layout = layout
        performer = ActionPerformer(layout: layout, restarter: restarter)
        self.ownVersion = ownVersion
    }

    /// What a hook did.
    public struct Outcome: Sendable {
        public var state: UpdateState?
        public var report: ActionPerformer.Report
    }

    /// Before every start: a layout from before the OTA links gets its
    /// `committed` link (the version `current` runs), then `.start`.
    public func guardStart(now: Int64) throws(UpdateError) -> Outcome {
        if layout.version(.committed) == nil, let running = layout.version(.current) {
            do { try layout.point(.committed, at: running) } catch { throw UpdateError(error, "creating the committed link") }
        }
        return try run(.start, now: now)
    }

    public func exited(failed: Bool, now: Int64) throws(UpdateError) -> Outcome {
        try run(.exit(failed: failed), now: now)
    }

    /// The timer: `.health` when the candidate answered, else `.check`.
    public func check(health: HealthReport?, now: Int64) throws(UpdateError) -> Outcome {
        try run(health.map(TrialInput.health) ?? .check, now: now)
    }

    public func rollback(now: Int64) throws(UpdateError) -> Outcome {
        try run(.rollback, now: now)
    }

    func run(_ input: TrialInput, now: Int64) throws(UpdateError) -> Outcome {
        let committed = layout.installedVersion(fallback: ownVersion)
        let (state, actions) = try StateFile(layout: layout).step(input, now: now, committed: committed)
        if case .refuse(let refused)? = actions.first { throw UpdateError(refused) }
        return Outcome(state: state, report: performer.perform(actions))
    }
}

/// Whether the service's main process failed, from the variables systemd
/// gives ExecStopPost (systemd.exec(5)): `SERVICE_RESULT` other than
/// `success` is a failure (exit-code, signal, core-dump, watchdog, timeout…);
/// a stop systemd asked for (SIGTERM, then exit 0 or by TERM) is `success`.
/// Without the variables (a manual run), the exit status decides.
public enum ServiceExit {
    public static func failed(serviceResult: String?, exitCode: String?, exitStatus: String?) -> Bool {
        if let serviceResult, !serviceResult.isEmpty { return serviceResult != "success" }
        switch (exitCode, exitStatus) {
        case ("exited"?, "0"?), ("killed"?, "TERM"?), (nil, nil): return false
        default: return true
        }
    }
}
