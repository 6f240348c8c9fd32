import ArgumentParser
import CamgateCore
import Daemon
import Hardware
import OTA
import Platform
import Updater

/// Where the install is and what this device is: shared by apply, verify,
/// status and the trial hooks.
struct OTADeviceOptions: ParsableArguments {
    @Option(name: .long, help: "Root of the install (tests and images); the layout is ROOT/usr/lib/camgate, the state ROOT/var/lib/camgate/ota.json.")
    var root = "/"

    @Option(name: .long, help: "Root-keys file trusted besides the compiled-in roots. Default: ROOT/etc/camgate/ota-root-keys.json when present.")
    var rootKeys: String?

    @Option(name: .long, help: "This device's board id. Default: the configuration's hardware.board, else the detected profile.")
    var board: String?

    @Option(name: .long, help: ArgumentHelp("Largest .xz payload accepted, in bytes.", visibility: .hidden))
    var sizeLimit: Int64 = 16 << 20

    var layout: InstallLayout { InstallLayout(root: root) }

    func roots() throws -> RootKeys {
        let path = rootKeys ?? (FileSystem.exists(layout.rootKeysFile) ? layout.rootKeysFile : nil)
        do { return try RootKeys.trusted(extraFile: try path.map { try readOTAFile($0) }) } catch let refused as UpdateRefusal { throw refuse(refused) }
    }

    func device() throws -> DeviceIdentity {
        var machine = utsname()
        uname(&machine)
        let name = withUnsafeBytes(of: machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let arch = Architecture(rawValue: name == "arm64" ? "aarch64" : name) else {
            throw fail("this machine (\(name)) is not an architecture releases are built for", code: 1)
        }
        return DeviceIdentity(architecture: arch, board: board ?? Self.detectedBoard(arch), sizeLimit: sizeLimit)
    }

    static func detectedBoard(_ arch: Architecture) -> String {
        let forced = FileSystem.exists(ConfigFile.defaultPath) ? (try? ConfigFile.load(ConfigFile.defaultPath))?.board : nil
        let choice = try? BoardSelection.choose(directory: nil, system: BoardSystem(), forced: forced)
        return choice?.profile?.id ?? "generic-\(arch.rawValue)"
    }

    func applier() throws -> UpdateApplier {
        guard let xz = Executables.find("xz") else { throw fail("xz is not installed (apt-get install xz-utils)", code: 1) }
        return UpdateApplier(layout: layout, roots: try roots(), device: try device(), xz: xz, fallbackVersion: SoftwareVersion.agent)
    }

    /// Restarts go to systemd only on the real root, unless a systemctl is named.
    /// A restart marks a hand-over in the agent's data directory first: the
    /// recorders keep running into the next version.
    func restarter(systemctl: String?, noRestart: Bool, data: DataDirectoryOptions) -> ServiceRestarter? {
        if noRestart { return nil }
        let spool = UpdateSpool(dataDirectory: FileSystem.absolute(data.dataDir))
        if let systemctl { return ServiceRestarter(systemctl: systemctl, handover: spool) }
        return layout.root.isEmpty ? ServiceRestarter(handover: spool) : nil
    }
}

struct OTAVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a release (bundle, manifest, payload) against the roots, and whether this device would admit it.",
        discussion: "Prints the chain, the payload check and the admission result; changes nothing. Exit 2 on a refusal."
    )

    @Argument(help: "manifest.json (its .sig, keys.json(.sig) and camgate-VERSION-ARCH.xz beside it).") var manifest: String
    @Option(name: .long, help: "The signing-keys bundle. Default: keys.json beside the manifest.") var bundle: String?
    @Option(name: .long, help: "The .xz payload. Default: camgate-VERSION-ARCH.xz beside the manifest.") var payload: String?
    @OptionGroup var device: OTADeviceOptions

    func run() throws {
        let applier = try device.applier()
        let files = ReleaseFiles(manifest: manifest, bundle: bundle, payload: payload)
        let state = (try? StateFile(layout: device.layout).read()).flatMap { if case .state(let s) = $0 { s } else { nil } } ?? UpdateState()
        let board = try device.device().board
        do throws(UpdateError) {
            let (m, b) = try applier.verify(files, serialFloor: state.keyBundleSerial)
            print("signature: ok (bundle serial \(b.serial), manifest \(m.version) signed by \(m.keyID))")
            try applier.stager.check(m, payload: files.payloadPath(for: m))
            print("payload: ok (\(m.size) bytes, sha256 \(hex(m.sha256)))")
            _ = try applier.admit(files, state: state)
            print("admission: ok (\(m.version) may replace \(device.layout.installedVersion(fallback: .agent)) on \(board))")
        } catch {
            print("refused: \(error.code): \(error.refusal.message)")
            throw refuse(error.refusal)
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
