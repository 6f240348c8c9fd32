import CamgateCore

/// Monotonic counts since the agent started (the metrics' counters).
public struct AgentCounters: Sendable, Equatable {
    public var segmentsWritten: [CameraID: Int] = [:]
    public var bytesRecorded: [CameraID: Int64] = [:]
    public var retentionDeletedSegments = 0
    public var retentionDeletedBytes: Int64 = 0
    /// Segments retention deleted while still queued for upload (`recording_lost`).
    public var uploadSegmentsLost = 0
    /// Motion events announced (issue 13).
    public var motionEvents: [CameraID: Int] = [:]

    mutating func noteFinished(_ camera: CameraID, bytes: Int64) {
        segmentsWritten[camera, default: 0] += 1
        bytesRecorded[camera, default: 0] += bytes
    }
}

extension Agent {
    /// The supervised processes running now, with their PIDs.
    public func runningProcesses() async -> [(WorkloadKey, Int32)] {
        await supervisor.running.sorted { $0.key < $1.key }.map { ($0.key, $0.value.identity.pid) }
    }
}
