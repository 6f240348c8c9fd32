#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import CamgateCore
import CloudLink
import Daemon
import Hardware
import Media
import Platform

/// `camgate provision`: enrolls the device with the cloud, once.
struct Provision: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enroll this device with the cloud and write the agent's configuration (once, at install).",
        discussion: """
        The enrollment token is read from --token-file (mode 0600) or from \
        CAMGATE_ENROLLMENT_TOKEN, never from the command line. The device token \
        goes to a 0600 file owned by the agent's user; the configuration keeps \
        its cameras and settings and gains the cloud section and the board's \
        defaults. On an enrolled device nothing is sent unless --force.
        Exit codes: 0 enrolled (or already enrolled), 64 usage, 65 bad input \
        (token file, existing configuration, unknown board), 69 endpoint \
        unreachable (after retrying for --timeout), 73 a file cannot be written, \
        76 the endpoint broke the protocol (garbage, redirect), 77 the token was \
        refused (401) or used already (409).
        """
    )

    @Option(name: .long, help: "The cloud's base URL (https://…; http:// only for loopback).")
    var endpoint: String

    @Option(name: .long, help: "File holding the enrollment token (mode 0600). Else CAMGATE_ENROLLMENT_TOKEN.")
    var tokenFile: String?

    @Option(name: .long, help: "The device's name in the cloud. Default: the host name.")
    var name: String?

    @Option(name: .long, help: "Board profile: auto (detect) or a profile id (see `camgate board`).")
    var board = "auto"

    @Flag(name: .long, help: "Enroll again even when this device is enrolled already.")
    var force = false

    @Option(name: .long, help: "Install root: every path below is the device's and is written under it (image builds).")
    var root: String?

    @Option(name: .long, help: "The agent's configuration file.")
    var config = ConfigFile.defaultPath

    @Option(name: .long, help: "Where the device token is written (0600).")
    var tokenOut = "/etc/camgate/device-token"

    @Option(name: .long, help: "The agent's data directory (created when missing).")
    var dataDir = "/var/lib/camgate"

    @Option(name: .long, help: "Owner of the token and configuration: a user name or UID:GID. Default: camgate when it exists and this runs as root.")
    var owner: String?

    @Option(name: .long, help: "Directory of board profiles.")
    var profilesDir: String?

    @Option(name: .long, help: "Extra trust roots (PEM) for a private cloud; written to the configuration too.")
    var caFile: String?

    @Option(name: .long, help: "Seconds to keep retrying an unreachable endpoint or a 5xx.")
    var timeout: Double = 120

    @Flag(name: .long, help: "Do not probe cameras and encoders (image builds: the agent reports them when it first runs).")
    var skipProbe = false

    @Option(name: .long, help: ArgumentHelp("Root of /proc and /sys for board detection (tests use a fake tree).", visibility: .hidden))
    var systemRoot = "/"

    func validate() throws {
        guard timeout.isFinite, timeout >= 0, timeout <= 3600 else { throw ValidationError("--timeout must be 0 to 3600 seconds") }
        if board != "auto", !BoardProfile.isValidID(board) { throw ValidationError("--board must be auto or a profile id") }
        if let name, name.isEmpty || name.utf8.count > 128 || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ValidationError("--name must be 1–128 printable characters")
        }
    }

    func run() async throws {
        do {
            try await provision()
        } catch let error as ProvisionError {
            throw fail(error.message, code: error.code)
        } catch let error as EnrollmentFailure {
            throw fail(error.message, code: error.exitCode)
        }
    }

    private func provision() async throws {
        let endpoint: Endpoint
        do { endpoint = try Endpoint(parsing: self.endpoint) } catch { throw ProvisionError(64, "--endpoint: \(error.reason)") }
        let token = try EnrollmentTokenSource.read(file: tokenFile, environment: getenv(EnrollmentTokenSource.environmentVariable).map { String(cString: $0) })
        let paths = try ProvisionPaths(root: root, config: config, tokenOut: tokenOut, dataDir: dataDir)
        let provisioning = Provisioning(paths: paths, owner: try FileOwner.resolve(owner, root: paths.root))
        let existing = try provisioning.existingConfig()
        if !force, let enrolled = provisioning.enrolled(existing) {
            print("already enrolled as \(enrolled.deviceID) with \(enrolled.endpoint) (\(paths.onDisk(config))); nothing was sent. Use --force to enroll again.")
            if enrolled.endpoint != endpoint.description { printError("camgate: warning: --endpoint \(endpoint) differs from the configured \(enrolled.endpoint)") }
            return
        }
        let system = BoardSystem(root: systemRoot)
        let choice = try chooseBoard(system)
        try provisioning.preflight()
        let hardware = await probe()
        let body = Enrollment.requestBody(token: token, name: name ?? Self.hostName(), hardware: hardware, board: choice.id,
                                          architecture: system.architecture())
        let transport: HTTPTransport
        do { transport = try HTTPTransport(caFile: caFile) } catch { throw ProvisionError.badInput("cannot set up HTTPS: \(error)") }
        let result: Result<DeviceCredentials, EnrollmentFailure>
        do {
            result = .success(try await Enroller(transport: transport, endpoint: endpoint)
                .enroll(body: body, budget: .milliseconds(Int64(timeout * 1000)), random: { Double.random(in: 0..<1) },
                        progress: { printError("camgate: \($0)") }))
        } catch {
            result = .failure(error)
        }
        await transport.shutdown()
        let credentials = try result.get()
        var cloud: [String: JSONValue] = ["endpoint": .string(endpoint.description), "device_id": .string(credentials.deviceID),
                                          "token_file": .string(tokenOut)]
        if let caFile { cloud["ca_file"] = .string(caFile) }
        let merged = Provisioning.merged(existing, cloud: .object(cloud), board: choice.id, boardExplicit: board != "auto", recording: choice.recording)
        try provisioning.write(credentials: credentials, config: merged)
        print("enrolled as \(credentials.deviceID) with \(endpoint); device token in \(paths.onDisk(tokenOut)) (0600\(provisioning.owner.map { ", \($0.name)" } ?? "")); configuration \(paths.onDisk(config)); board \(choice.id ?? "none")")
    }

    /// The board profile. In an image build (`--root`) the machine is not
    /// the device: `auto` then writes no board, and the agent detects it at
    /// its first start.
    private func chooseBoard(_ system: BoardSystem) throws(ProvisionError) -> BoardChoice {
        if root != nil, board == "auto" {
            return BoardChoice(profile: nil, variant: nil, reasons: ["--root: the board is detected on the device when the agent first runs"], alsoMatched: [])
        }
        do { return try BoardSelection.choose(directory: profilesDir, system: system, forced: board) } catch { throw .badInput("\(error)") }
    }

    /// The inventory sent with the request (`camgate detect`'s JSON).
    private func probe() async -> JSONValue {
        if skipProbe { return .object(["probed": .bool(false)]) }
        switch FFmpegTools.locate() {
        case .success(let tools): return await HardwareProbe(tools: tools).run().json
        case .failure(let missing): return .object(["probed": .bool(false), "error": .string("\(missing)")])
        }
    }

    static func hostName() -> String {
        let name = ((try? FileSystem.readText("/proc/sys/kernel/hostname", limit: 256)) ?? "").trimmingWhitespace()
        return name.isEmpty ? "camgate" : name
    }
}
