/// A long-running child process the agent keeps alive for a camera.
public struct WorkloadKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var camera: CameraID
    public var role: WorkloadRole

    public init(camera: CameraID, role: WorkloadRole) {
        self.camera = camera
        self.role = role
    }

    public var description: String { "\(role.rawValue):\(camera)" }

    public static func < (lhs: WorkloadKey, rhs: WorkloadKey) -> Bool {
        (lhs.camera, lhs.role.rawValue) < (rhs.camera, rhs.role.rawValue)
    }
}

/// What a workload does.
public enum WorkloadRole: String, Hashable, Sendable, CaseIterable {
    /// Reads the source once, writes segments and latest.jpg.
    case recorder
    /// Copies the camera's RTSP stream to an RTMP destination.
    case restream
    /// Forwards a recording camera's relay copy to MediaMTX (viewing).
    case publisher
    /// The MediaMTX server itself, when the agent runs it.
    case mediamtx
}
