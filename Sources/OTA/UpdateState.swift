import CamgateCore

/// The OTA state the device keeps in one file (`/var/lib/camgate/ota.json`),
/// read and written by every binary that judges an update: the anti-rollback
/// floor, the versions never to retry, the highest key-bundle serial
/// accepted, and the record of the last update.
public struct UpdateState: Hashable, Sendable {
    /// The lowest version that may be installed without a signed downgrade.
    public var floor: SoftwareVersion?
    public var badVersions: Set<SoftwareVersion>
    /// The highest signing-keys bundle serial accepted (`TrustChain.verifyBundle`).
    public var keyBundleSerial: Int64
    public var update: UpdateRecord?
    /// Fields this binary does not know, kept as read and written back, so
    /// that an older binary rewriting the file does not erase what a newer
    /// one added.
    public var unknownFields: [String: JSONValue]

    public init(floor: SoftwareVersion? = nil, badVersions: Set<SoftwareVersion> = [], keyBundleSerial: Int64 = 0,
                update: UpdateRecord? = nil, unknownFields: [String: JSONValue] = [:]) {
        self.floor = floor
        self.badVersions = badVersions
        self.keyBundleSerial = keyBundleSerial
        self.update = update
        self.unknownFields = unknownFields
    }
}

/// One update, from staging to its end.
public struct UpdateRecord: Hashable, Sendable {
    /// `staged` → `trial` → `committed` | `rolledBack`. There is no
    /// separate `switched`: the `current` link is switched by the guard in
    /// the same step that records the candidate's first start (docs/ota.md).
    public enum Phase: String, Hashable, Sendable, CaseIterable {
        case staged
        case trial
        case committed
        case rolledBack = "rolled_back"
    }

    /// How a run of the candidate ended (the unit's ExecStopPost).
    public struct Exit: Hashable, Sendable {
        public var at: Int64
        /// False for a clean stop (systemctl stop, shutdown).
        public var failed: Bool

        public init(at: Int64, failed: Bool) {
            self.at = at
            self.failed = failed
        }
    }

    public var phase: Phase
    public var candidate: SoftwareVersion
    /// The committed version the candidate replaces; what a rollback restores.
    public var previous: SoftwareVersion
    /// The manifest was signed as a downgrade (the floor is lowered on commit).
    public var downgrade: Bool
    /// The cloud was reachable when the update was staged.
    public var cloudWasReachable: Bool
    public var policy: TrialPolicy
    public var stagedAt: Int64
    /// Starts of the candidate, recorded by the guard (first = the switch).
    public var starts: [Int64]
    public var lastExit: Exit?
    /// The latest health report of the current run.
    public var health: HealthReport?
    public var rollbackReason: RollbackReason?
    public var finishedAt: Int64?
    /// The outcome is not yet delivered to the cloud.
    public var ackPending: Bool
    /// The cloud's `ota_update` command that asked for this update (nil for
    /// an operator's `ota apply`): the agent acks it with the outcome.
    public var commandID: String?
    public var unknownFields: [String: JSONValue]

    public init(candidate: SoftwareVersion, previous: SoftwareVersion, downgrade: Bool, cloudWasReachable: Bool,
                policy: TrialPolicy, stagedAt: Int64) {
        phase = .staged
        self.candidate = candidate
        self.previous = previous
        self.downgrade = downgrade
        self.cloudWasReachable = cloudWasReachable
        self.policy = policy
        self.stagedAt = stagedAt
        starts = []
        ackPending = false
        unknownFields = [:]
    }

    /// The outcome, once the update ended.
    public var outcome: UpdateOutcome? {
        switch phase {
        case .staged, .trial: nil
        case .committed: .succeeded(candidate)
        case .rolledBack: .failed(candidate, rollbackReason ?? .notHealthyInTime)
        }
    }

    /// The version `current` must point at in this phase.
    public var versionToRun: SoftwareVersion {
        switch phase {
        case .staged, .rolledBack: previous
        case .trial, .committed: candidate
        }
    }
}
