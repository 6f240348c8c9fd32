import CamgateCore
import OTA
import Platform

/// The files of one release, as `ota/README.md` lays them out beside the
/// manifest: `manifest.json(.sig)`, `keys.json(.sig)` (the signing-keys
/// bundle) and `camgate-<version>-<arch>.xz`.
public struct ReleaseFiles: Sendable {
    public var manifest: String
    public var bundle: String
    /// nil: `camgate-<version>-<arch>.xz` beside the manifest.
    public var payload: String?

    public init(manifest: String, bundle: String? = nil, payload: String? = nil) {
        self.manifest = manifest
        self.bundle = bundle ?? "\(FileSystem.parent(of: manifest))/keys.json"
        self.payload = payload
    }

    public func payloadPath(for m: Manifest) -> String {
        payload ?? "\(FileSystem.parent(of: manifest))/camgate-\(m.version)-\(m.architecture.rawValue).xz"
    }
}

/// What this device is, for admission.
public struct DeviceIdentity: Sendable {
    public var architecture: Architecture
    public var board: String
    public var sizeLimit: Int64

    public init(architecture: Architecture, board: String, sizeLimit: Int64 = 16 << 20) {
        self.architecture = architecture
        self.board = board
        self.sizeLimit = sizeLimit
    }
}

/// `camgate ota apply`: everything that can refuse the update runs before
/// anything changes (chain, admission, payload, binary), then the binary is
/// staged and the stage recorded; the judge's `restartService` is left to
/// the caller. A refusal leaves the layout and the state file as they were.
public struct UpdateApplier: Sendable {
    public let layout: InstallLayout
    public let roots: RootKeys
    public let device: DeviceIdentity
    public let stager: PayloadStager
    /// The version assumed installed when the layout has no links.
    public let fallbackVersion: SoftwareVersion

    public init(layout: InstallLayout, roots: RootKeys, device: DeviceIdentity, xz: String, fallbackVersion: SoftwareVersion) {
        self.layout = layout
        self.roots = roots
        self.device = device
        stager = PayloadStager(layout: layout, xz: xz)
        self.fallbackVersion = fallbackVersion
    }

    public struct Staged: Sendable {
        public var manifest: Manifest
        public var previous: SoftwareVersion
        public var binary: String
        public var actions: [TrialAction]
    }

    /// Verifies and admits only (`camgate ota verify` on a device): the manifest.
    public func admit(_ files: ReleaseFiles, state: UpdateState) throws(UpdateError) -> (Manifest, SigningKeyBundle) {
        let (m, bundle) = try verify(files, serialFloor: state.keyBundleSerial)
        let facts = DeviceFacts(installed: layout.installedVersion(fallback: fallbackVersion), floor: state.floor,
                                architecture: device.architecture, board: device.board,
                                badVersions: state.badVersions, sizeLimit: device.sizeLimit)
        if let refused = Admission.check(m, on: facts) { throw UpdateError(refused) }
        if let u = state.update, u.phase == .staged || u.phase == .trial {
            throw UpdateError(UpdateRefusal(u.candidate == m.version ? .sameVersion : .updateInProgress,
                                            "\(u.candidate) is \(u.phase == .staged ? "staged" : "on trial"); it must commit or roll back first"))
        }
        return (m, bundle)
    }

    public func apply(_ files: ReleaseFiles, policy: TrialPolicy, cloudWasReachable: Bool, commandID: String? = nil,
                      now: () -> Int64) throws(UpdateError) -> Staged {
        let store = StateFile(layout: layout)
        guard case .state(let before) = try store.read() else {
            throw UpdateError(UpdateRefusal(.ioError, "the OTA state file \(layout.stateFile) does not parse; `camgate ota status` says why"))
        }
        let (m, bundle) = try admit(files, state: before)
        let previous = layout.installedVersion(fallback: fallbackVersion)
        _ = stager.sweep()
        let existed = FileSystem.exists(layout.binary(m.version))
        let binary = try stager.stage(m, payload: files.payloadPath(for: m))
        do {
            let actions = try record(m, previous: previous, serial: bundle.serial, policy: policy, cloud: cloudWasReachable, commandID: commandID, now: now)
            return Staged(manifest: m, previous: previous, binary: binary, actions: actions)
        } catch {
            // A binary already there (an older version, verified again) stays.
            if !existed { try? FileSystem.remove(binary) }
            FileSystem.removeDirectoryIfEmpty(layout.versionDirectory(m.version))
            throw error
        }
    }

    /// Under the lock: the state again (a trial may have begun meanwhile),
    /// the stage, the bundle serial floor.
    func record(_ m: Manifest, previous: SoftwareVersion, serial: Int64, policy: TrialPolicy, cloud: Bool, commandID: String?,
                now: () -> Int64) throws(UpdateError) -> [TrialAction] {
        let store = StateFile(layout: layout)
        return try store.locked { () throws(UpdateError) -> [TrialAction] in
            guard case .state(let state) = try store.read() else {
                throw UpdateError(UpdateRefusal(.ioError, "the OTA state file \(layout.stateFile) does not parse"))
            }
            let input = TrialInput.stage(candidate: m.version, previous: previous, downgrade: m.downgrade, cloudWasReachable: cloud, policy: policy)
            var (next, actions) = TrialJudge.step(state, input, now: now())
            if case .refuse(let refused)? = actions.first { throw UpdateError(refused) }
            next.keyBundleSerial = max(next.keyBundleSerial, serial)
            next.update?.commandID = commandID
            try store.write(next)
            return actions
        }
    }

    /// The chain: roots → bundle (serial floor) → manifest.
    public func verify(_ files: ReleaseFiles, serialFloor: Int64) throws(UpdateError) -> (Manifest, SigningKeyBundle) {
        let read = { (path: String) throws(UpdateError) -> [UInt8] in
            do throws(SystemError) { return try FileSystem.read(path, limit: OTA.maximumDocumentSize + 1) } catch { throw UpdateError(error, "reading the release") }
        }
        do {
            let bundle = try TrustChain.verifyBundle(try read(files.bundle), signature: try read(files.bundle + ".sig"),
                                                     roots: roots, serialFloor: serialFloor)
            let m = try TrustChain.verifyManifest(try read(files.manifest), signature: try read(files.manifest + ".sig"), bundle: bundle)
            return (m, bundle)
        } catch let error as UpdateError {
            throw error
        } catch let refused as UpdateRefusal {
            throw UpdateError(refused)
        } catch {
            throw UpdateError(UpdateRefusal(.ioError, "\(error)"))
        }
    }
}
