/// What the device is and remembers, for the admission decision.
public struct DeviceFacts: Sendable {
    public var installed: SoftwareVersion
    /// The anti-rollback floor (`UpdateState.floor`); nil before any update.
    public var floor: SoftwareVersion?
    public var architecture: Architecture
    public var board: String
    /// Versions rolled back before: never retried.
    public var badVersions: Set<SoftwareVersion>
    /// Largest `.xz` payload accepted, in bytes.
    public var sizeLimit: Int64

    public init(installed: SoftwareVersion, floor: SoftwareVersion?, architecture: Architecture, board: String,
                badVersions: Set<SoftwareVersion> = [], sizeLimit: Int64 = 16 << 20) {
        self.installed = installed
        self.floor = floor
        self.architecture = architecture
        self.board = board
        self.badVersions = badVersions
        self.sizeLimit = sizeLimit
    }
}

/// Whether a verified manifest may be installed on this device.
public enum Admission {
    /// The first refusal, in this order: known bad, architecture, board,
    /// size, same version, downgrade, floor, min_version; nil to accept.
    /// A signed `downgrade` lifts the downgrade and floor checks only.
    public static func check(_ m: Manifest, on device: DeviceFacts) -> UpdateRefusal? {
        let v = m.version
        if device.badVersions.contains(v) {
            return UpdateRefusal(.knownBad, "\(v) was rolled back before and is never retried")
        }
        if m.architecture != device.architecture {
            return UpdateRefusal(.wrongArchitecture, "\(v) is built for \(m.architecture.rawValue), this device is \(device.architecture.rawValue)")
        }
        if !m.isCompatible(board: device.board) {
            let boards = (m.boards ?? []).sorted().joined(separator: ", ")
            return UpdateRefusal(.wrongBoard, "\(v) is for boards \(boards), this device is \(device.board)")
        }
        if m.size > device.sizeLimit {
            return UpdateRefusal(.tooLarge, "\(v) is \(m.size) bytes, the limit is \(device.sizeLimit)")
        }
        if v == device.installed {
            return UpdateRefusal(.sameVersion, "\(v) is already installed")
        }
        if v < device.installed, !m.downgrade {
            return UpdateRefusal(.downgrade, "\(v) is older than the installed \(device.installed) and not signed as a downgrade")
        }
        if let floor = device.floor, v < floor, !m.downgrade {
            return UpdateRefusal(.belowFloor, "\(v) is below the anti-rollback floor \(floor) and not signed as a downgrade")
        }
        if device.installed < m.minVersion {
            return UpdateRefusal(.belowMinVersion, "\(v) replaces \(m.minVersion) or later, this device runs \(device.installed)")
        }
        return nil
    }
}
