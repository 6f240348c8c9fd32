import CamgateCore

/// Why an update, a signature or a document was refused: a machine code
/// (acked to the cloud, shown by `camgate ota status`) and a message that
/// names what failed (the key id, the versions, the byte counts).
public struct UpdateRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// A signature does not verify (manifest, bundle or file).
        case wrongSignature = "wrong_signature"
        /// The manifest names a signing key the bundle does not hold.
        case unknownKey = "unknown_key"
        /// The manifest names a signing key the bundle revokes.
        case revokedKey = "revoked_key"
        /// The bundle's serial is below the highest one accepted before.
        case staleKeyBundle = "stale_key_bundle"
        case wrongArchitecture = "wrong_architecture"
        case wrongBoard = "wrong_board"
        /// Lower than the installed version, without the signed downgrade flag.
        case downgrade = "downgrade"
        /// Lower than the stored anti-rollback floor, without the flag.
        case belowFloor = "below_floor"
        /// The installed version is below the manifest's `min_version`.
        case belowMinVersion = "below_min_version"
        /// The payload is larger than the device accepts.
        case tooLarge = "too_large"
        /// The version was rolled back before: never retried.
        case knownBad = "known_bad"
        /// The version is the one installed (a replayed command).
        case sameVersion = "same_version"
        case checksumMismatch = "checksum_mismatch"
        /// Truncated, or longer than the manifest says.
        case sizeMismatch = "size_mismatch"
        /// A manifest, bundle, key or signature file that does not parse.
        case malformed = "malformed"
        /// An update is already on trial; it must end first.
        case updateInProgress = "update_in_progress"
        /// The cloud's command named one version, the manifest at its URL another.
        case versionMismatch = "version_mismatch"
        /// `ota rollback` with no update, or one rolled back already.
        case nothingToRollBack = "nothing_to_roll_back"
        /// A file could not be read, written or run while applying (the
        /// message names the call and the path); nothing was kept.
        case ioError = "io_error"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A document that failed strict parsing: the message keeps the field path.
    static func malformed(_ what: String, _ error: ConfigurationError) -> UpdateRefusal {
        UpdateRefusal(.malformed, "\(what): \(error.description)")
    }
}
