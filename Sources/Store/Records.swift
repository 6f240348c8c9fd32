import CamgateCore

/// The desired state as stored, with where it came from.
public struct StoredDesiredState: Sendable {
    public var state: DesiredState
    public var origin: DesiredOrigin
    public var storedAtMs: Int64
}

/// Who set the stored desired state.
public enum DesiredOrigin: String, Sendable {
    case config, cloud, local, demo

    /// The `url_history.origin` of a change that came with this desired state.
    var urlHistoryOrigin: String {
        switch self {
        case .cloud: "sse"
        case .config: "config"
        case .local, .demo: "local"
        }
    }
}

/// A camera's observed lifecycle state, as shown by `camgate status`.
public enum CameraState: String, Sendable, CaseIterable {
    /// Configured, nothing to run (not recording).
    case idle
    /// Its recorder was just started.
    case starting
    /// Its recorder runs.
    case recording
    /// Its recorder exited; a restart is scheduled.
    case backoff
    /// It failed too often: the circuit breaker holds it (retried every 5 min).
    case failed
    /// Its device is gone.
    case offline
    /// No longer in the desired state; kept for its recordings.
    case removed
}

public struct CameraRow: Sendable, Equatable {
    public var id: CameraID
    public var sourceKind: String
    /// A redacted description of the source (no credentials).
    public var source: String
    public var record: Bool
    public var view: Bool
    public var state: CameraState
    public var stateSinceMs: Int64
    public var lastError: String?
    public var restarts: Int
}

public struct ProcessRow: Sendable, Equatable {
    public var key: WorkloadKey
    public var identity: ProcessIdentity
    public var fingerprint: String
    public var startedAtMs: Int64
    public var logFile: String

    public init(key: WorkloadKey, identity: ProcessIdentity, fingerprint: String, startedAtMs: Int64, logFile: String) {
        self.key = key
        self.identity = identity
        self.fingerprint = fingerprint
        self.startedAtMs = startedAtMs
        self.logFile = logFile
    }
}

public enum RecordingStatus: String, Sendable {
    /// Being written now.
    case recording
    /// Closed and indexed with its real duration and size.
    case complete
}

public struct RecordingRow: Sendable, Equatable {
    public var id: Int64
    public var camera: CameraID
    /// Absolute path.
    public var file: String
    public var startMs: Int64
    public var endMs: Int64?
    public var duration: Double?
    public var bytes: Int64
    public var status: RecordingStatus

    public init(id: Int64, camera: CameraID, file: String, startMs: Int64, endMs: Int64?, duration: Double?, bytes: Int64, status: RecordingStatus) {
        self.id = id
        self.camera = camera
        self.file = file
        self.startMs = startMs
        self.endMs = endMs
        self.duration = duration
        self.bytes = bytes
        self.status = status
    }
}

public enum EventLevel: String, Sendable {
    case info, warning, error
}

public struct EventRow: Sendable, Equatable {
    public var id: Int64
    public var atMs: Int64
    public var camera: CameraID?
    public var level: EventLevel
    public var kind: String
    public var message: String
}

/// The agent process that owns the data directory.
public struct AgentRow: Sendable, Equatable {
    public var identity: ProcessIdentity
    public var startedAtMs: Int64
    public var version: String
    public var stoppedAtMs: Int64?
}

/// A change to the recordings index.
public enum RecordingChange: Sendable, Equatable {
    case started(camera: CameraID, file: String, startMs: Int64)
    case finished(camera: CameraID, file: String, startMs: Int64, duration: Double, bytes: Int64)
}
