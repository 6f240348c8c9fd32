/// The numbers of a trial, in milliseconds. Written into the update record
/// when the update is staged, so that every binary judging the trial (the
/// committed one's guard and check, the candidate reporting its health)
/// uses the same ones.
public struct TrialPolicy: Hashable, Sendable {
    /// From the first start of the candidate: healthy by then or rolled back.
    public var healthyDeadline: Int64
    /// A health report commits only this long after the start of the run
    /// it comes from: a build that is healthy at once and crashes at 10 s
    /// is still on trial when it crashes. 12 s keeps "command → committed"
    /// within the 15 s target (plus the download).
    public var minimumRun: Int64
    /// A failed exit this soon after a start, before `ready`, is
    /// `exited_at_once`: rolled back at that exit, not at the 3rd start.
    /// 5 s: a healthy agent takes 1–2 s to open its store and socket; the
    /// window stays below the 10 s a crash-later build survives.
    public var exitedAtOnceWindow: Int64
    /// This many starts of the candidate (the unit's restarts) is a crash loop.
    public var maxStarts: Int
    /// After a failed exit with no new start for this long, the service is
    /// down for good (systemd gave up): `crashed_during_trial` at once.
    public var restartGrace: Int64

    public init(healthyDeadline: Int64 = 120_000, minimumRun: Int64 = 12_000, exitedAtOnceWindow: Int64 = 5_000,
                maxStarts: Int = 3, restartGrace: Int64 = 30_000) {
        self.healthyDeadline = healthyDeadline
        self.minimumRun = minimumRun
        self.exitedAtOnceWindow = exitedAtOnceWindow
        self.maxStarts = maxStarts
        self.restartGrace = restartGrace
    }
}

/// What the running agent reports about itself while on trial (the
/// candidate writes it to the state file through the judge).
public struct HealthReport: Hashable, Sendable {
    /// When the report was taken (ms, the same clock as `now`).
    public var at: Int64
    public var ready: Bool
    public var storeOpen: Bool
    /// Recorders adopted or started.
    public var recordersAdopted: Bool
    public var cloudReachable: Bool

    public init(at: Int64, ready: Bool, storeOpen: Bool, recordersAdopted: Bool, cloudReachable: Bool) {
        self.at = at
        self.ready = ready
        self.storeOpen = storeOpen
        self.recordersAdopted = recordersAdopted
        self.cloudReachable = cloudReachable
    }

    /// Healthy: ready, store open, recorders adopted, and the cloud
    /// reachable if it was before the update (a site without uplink can
    /// still update; one that had it must not lose it).
    public func isHealthy(cloudWasReachable: Bool) -> Bool {
        ready && storeOpen && recordersAdopted && (cloudReachable || !cloudWasReachable)
    }
}

/// Why a trial ended in a rollback; the raw value is acked to the cloud.
public enum RollbackReason: String, Hashable, Sendable, CaseIterable {
    case notHealthyInTime = "not_healthy_in_time"
    case crashLoop = "crash_loop"
    case exitedAtOnce = "exited_at_once"
    case crashedDuringTrial = "crashed_during_trial"
    /// `camgate ota rollback`.
    case operatorRequest = "operator"
}

/// The end of one update, acked once to the cloud.
public enum UpdateOutcome: Hashable, Sendable {
    case succeeded(SoftwareVersion)
    case failed(SoftwareVersion, RollbackReason)
}
