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
import LocalAPI
import Logging
import Media
import ObjectStore
import MediaMTX
import Platform
import ServiceLifecycle
import Store
import Supervisor

/// `camgate run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the agent: restore the stored desired state, record, and keep running until SIGTERM.",
        discussion: """
        Exit codes: 0 after a clean shutdown, 1 when the agent cannot run \
        (data directory, database, ffmpeg), 2 when the configuration is invalid \
        (nothing is touched then).
        """
    )

    @Option(name: .long, help: "Configuration file: JSON desired state (cameras, recording). Default: \(ConfigFile.defaultPath) when it exists.")
    var config: String?

    @OptionGroup var data: DataDirectoryOptions

    @Flag(name: .long, help: "Run the embedded demo: one synthetic test camera, 10 s segments, no cloud.")
    var demo = false

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: ArgumentHelp("Root of the install (OTA links and state file) for tests and images.", visibility: .hidden))
    var installRoot = "/"

    func validate() throws {
        if demo && config != nil { throw ValidationError("--demo and --config cannot be used together") }
    }

    func run() async throws {
        // 0. No signal's default action may end the agent during its start
        // (RecordingService says why, and logs a failure to set this).
        try? RecordingService.ignoreFatalSignals()
        // Before the first allocation of a thread: two malloc arenas, large
        // buffers unmapped when freed (docs/footprint.md).
        Memory.tuneAllocator()
        // 1. Configuration first: an invalid file touches nothing.
        let (configFile, apiToken) = try loadConfiguration()
        // 2. ffmpeg.
        let tools: FFmpegTools
        switch FFmpegTools.locate() {
        case .success(let found): tools = found
        case .failure(let missing): throw fail("\(missing)", code: 1)
        }
        // 3. The data directory (one agent at a time) and 4. the store.
        let policy = demo ? DemoConfiguration.desired.recording : configFile?.desired.recording ?? RecordingPolicy()
        let (layout, lock, store, rescue) = try openDataDirectory(policy: policy)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "camgate")
        if let rescue { await report(rescue, store: store, logger: logger) }
        // 5. Desired state: the config (standalone) or the demo, else what was stored.
        let desired: DesiredState
        do {
            desired = try await resolveDesiredState(store: store, configFile: configFile, logger: logger)
        } catch {
            throw fail("cannot load the stored desired state: \(error)", code: 1)
        }
        let bootID = try await register(store: store, desired: desired, layout: layout, logger: logger)
        // 6. The services, until SIGTERM / SIGINT.
        // One HTTP transport (one NIO thread) for the cloud and MediaMTX's API.
        var transport: HTTPTransport?
        if configFile?.cloud != nil || configFile?.mediamtx != nil {
            do { transport = try HTTPTransport(caFile: configFile?.cloud?.caFile) } catch { throw fail("cannot set up HTTP: \(error)", code: 1) }
        }
        if let settings = configFile?.mediamtx, let problem = layout.teeProblem {
            throw fail("\(problem) (needed with MediaMTX at \(settings.config))", code: 1)
        }
        var parts = AgentServices.Parts(store: store, supervisor: Supervisor(bootID: bootID), options: Agent.Options(layout: layout, tools: tools),
                                        desired: desired, logger: logger)
        parts.options.installRoot = installRoot
        try await configure(&parts, configFile: configFile, transport: transport, apiToken: apiToken, tools: tools)
        let result: Result<Void, any Error>
        do {
            let group = ServiceGroup(configuration: .init(services: try AgentServices(parts).services,
                                                          gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            result = .success(())
        } catch {
            result = .failure(error)
        }
        await transport?.shutdown()
        await store.close()
        withExtendedLifetime(lock) {}
        if case .failure(let error) = result { throw fail("\(error)", code: 1) }
        logger.info("agent stopped")
    }

    /// The config file (or none) and the API's TCP token, checked before anything is touched (exit 2).
    private func loadConfiguration() throws -> (ConfigFile?, String?) {
        var configFile: ConfigFile?
        do {
            if let config {
                configFile = try ConfigFile.load(config)
            } else if !demo, FileSystem.exists(ConfigFile.defaultPath) {
                configFile = try ConfigFile.load(ConfigFile.defaultPath)
            }
        } catch {
            throw fail("invalid configuration: \(error)", code: 2)
        }
        guard let api = configFile?.api else { return (configFile, nil) }
        switch api.readToken() {
        case .success(let token): return (configFile, token)
        case .failure(let error): throw fail("invalid configuration: \(error)", code: 2)
        }
    }

    /// The data directory: created if missing, must be writable, locked; then the store
    /// (a corrupt file is moved aside, never deleted). On a disk below the
    /// floor, or one SQLite cannot write ("disk I/O error" setting WAL), the
    /// oldest segment files are deleted first (`DiskSpace.rescue`).
    private func openDataDirectory(policy: RecordingPolicy) throws -> (DataLayout, FileLock, Store, DiskSpace.Rescue?) {
        let layout = DataLayout(root: FileSystem.absolute(data.dataDir))
        do {
            try FileSystem.createDirectories(layout.root, mode: 0o750)
        } catch {
            throw fail("the data directory \(layout.root) is not usable: \(error)", code: 1)
        }
        let lock: FileLock
        do { lock = try Self.lock(layout) } catch {
            throw fail(error.errno == EWOULDBLOCK ? "another camgate agent is using \(layout.root) (\(layout.lockFile) is locked)"
                                                  : "the data directory \(layout.root) is not usable: \(error)", code: 1)
        }
        // Locked: this agent alone may delete segments to make room.
        let floor = (try? DiskSpace.storage(layout)).map { DiskGuard.floorBytes(totalBytes: $0.totalBytes, policy: policy) } ?? 0
        let rescue = try? DiskSpace.rescue(layout, floor: floor)
        do {
            try FileSystem.checkWritable(layout.root)
        } catch {
            throw fail("the data directory \(layout.root) is not usable: \(error)" + (rescue.map { " (\($0.summary))" } ?? ""), code: 1)
        }
        do {
            return (layout, lock, try Store.open(directory: layout.root), rescue)
        } catch where error.kind == .unusable {
            // SQLite could not write: the disk may be full below the floor's reach (no floor configured).
            guard let storage = try? DiskSpace.storage(layout),
                  let more = try? DiskSpace.rescue(layout, floor: min(storage.totalBytes / 4, max(floor, 4 * DiskSpace.reserveBytes))),
                  more.bytes > 0 || more.releasedReserve else {
                throw fail("\(error)" + (rescue.map { " (\($0.summary))" } ?? ""), code: 1)
            }
            let both = rescue?.followed(by: more) ?? more
            do { return (layout, lock, try Store.open(directory: layout.root), both) } catch { throw fail("disk full: \(error) (\(both.summary))", code: 1) }
        } catch {
            throw fail("\(error)", code: 1)
        }
    }

    /// The data directory's lock. Creating the lock file fails on a full
    /// disk (ENOSPC): then the oldest segments make room for it (no agent
    /// holds the directory: the file did not exist).
    private static func lock(_ layout: DataLayout) throws(SystemError) -> FileLock {
        let first: SystemError
        do { return try FileLock(path: layout.lockFile) } catch { first = error }
        guard first.errno == ENOSPC || first.errno == EDQUOT else { throw first }
        _ = try? DiskSpace.rescue(layout, floor: 4 * DiskSpace.reserveBytes)
        return try FileLock(path: layout.lockFile)
    }

    /// A start on a full disk, said plainly (log and event); the rows of the
    /// segment files it deleted go (the index describes the files on disk).
    private func report(_ rescue: DiskSpace.Rescue, store: Store, logger: Logger) async {
        logger.warning("\(rescue.summary)")
        var gone: [Int64] = []
        for file in rescue.deletedFiles {
            if let row = try? await store.recording(file: file) { gone.append(row.id) }
        }
        do { try await store.deleteRecordings(ids: gone) } catch { logger.error("disk full: cannot delete the rows of the deleted segments: \(error)") }
        try? await store.logEvent(.warning, "disk-full", rescue.summary)
    }

    /// Records this agent (boot id, pid, version) in the store; returns the boot id.
    private func register(store: Store, desired: DesiredState, layout: DataLayout, logger: Logger) async throws -> String {
        let bootID: String
        do { bootID = try ProcFS.bootID() } catch { throw fail("cannot read the boot id: \(error)", code: 1) }
        let me = ProcFS.identity(pid: getpid(), bootID: bootID) ?? ProcessIdentity(bootID: bootID, pid: getpid(), startTime: 0)
        try await store.registerAgent(me, version: CamgateCore.version)
        try await store.logEvent(.info, "agent", "agent \(CamgateCore.version) started, pid \(me.pid), \(desired.cameras.count) cameras, revision \(desired.revision)")
        logger.info("camgate \(CamgateCore.version) starting", metadata: ["data-dir": "\(layout.root)", "cameras": "\(desired.cameras.count)", "revision": "\(desired.revision)"])
        return bootID
    }

    /// The services' parts from the config file: hardware, MediaMTX, cloud, API.
    private func configure(_ parts: inout AgentServices.Parts, configFile: ConfigFile?, transport: HTTPTransport?, apiToken: String?,
                           tools: FFmpegTools) async throws {
        let logger = parts.logger
        parts.options.reportRecordings = configFile?.cloud != nil
        parts.probe = HardwareProbe(tools: tools)
        let board = chooseBoard(configFile, logger: logger)
        parts.encoderPriority = configFile?.encoderPriorityConfigured == true ? configFile!.encoderPriority : board.encoderPriority.order
        parts.notifier = SystemdNotifier(environment: SystemdNotifier.processEnvironment)
        if let settings = configFile?.mediamtx, let transport { parts.mediamtx = MediaMTXSync(settings: settings, transport: transport) }
        if let settings = configFile?.cloud, let transport {
            if let warning = settings.tokenFileWarning() { logger.warning("cloud: \(warning)") }
            do {
                try await parts.store.configureCloud(endpoint: Redactor.redactURL(settings.endpoint.description), deviceID: settings.deviceID)
            } catch {
                throw fail("cannot set up the cloud link: \(error)", code: 1)
            }
            parts.cloud = (settings, transport)
            logger.info("cloud: \(Redactor.redactURL(settings.endpoint.description)) as device \(settings.deviceID)")
        }
        try configureUploads(&parts, configFile: configFile)
        parts.api = apiParts(configFile: configFile, token: apiToken)
        let system = BoardSystem()
        parts.api?.context.device = { DeviceReport.read(system, choice: board) }
        let installRoot = installRoot
        parts.api?.context.software = { SoftwareReport.read(installRoot: installRoot) }
    }

    /// The uploader: the cloud presigns, or a standalone `s3` block signs
    /// with its credentials file (checked now: 0600, both keys). Its own
    /// HTTP transport, so that a long part never delays the event stream.
    private func configureUploads(_ parts: inout AgentServices.Parts, configFile: ConfigFile?) throws {
        guard configFile?.cloud != nil || configFile?.s3 != nil else { return }
        let transport: HTTPTransport
        do { transport = try HTTPTransport(caFile: configFile?.cloud?.caFile) } catch { throw fail("cannot set up HTTP for uploads: \(error)", code: 1) }
        if let cloud = configFile?.cloud {
            parts.uploads = (CloudUploadTargets(configuration: cloud, transport: transport), transport)
        } else if let s3 = configFile?.s3 {
            do { parts.uploads = (try StandaloneUploadTargets(target: s3, transport: transport), transport) } catch {
                throw fail("invalid configuration: s3: \(error)", code: 2)
            }
            parts.logger.info("uploads: standalone to \(Redactor.redactURL(s3.endpoint)) bucket \(s3.bucket)")
        }
        parts.options.uploadsConfigured = true
    }

    /// The board profile (docs/board-profiles.md). Recording comes first: a
    /// missing or broken profile is logged and the built-in defaults used.
    private func chooseBoard(_ configFile: ConfigFile?, logger: Logger) -> BoardChoice {
        do {
            let choice = try BoardSelection.choose(directory: nil, system: BoardSystem(), forced: configFile?.board)
            logger.info("board: \(choice.id ?? "no profile")", metadata: ["why": "\(choice.reasons.first ?? "")"])
            return choice
        } catch {
            logger.error("board: \(error); using the built-in defaults")
            return BoardChoice(profile: nil, variant: nil, reasons: ["\(error)"], alsoMatched: [])
        }
    }

    /// The local API: the socket always, TCP when the config asks.
    private func apiParts(configFile: ConfigFile?, token: String?) -> (configuration: LocalAPIServer.Configuration, context: APIRoutes.Context) {
        var context = APIRoutes.Context()
        context.cloudManaged = configFile?.cloud != nil
        context.configFile = demo ? nil : configFile?.path
        var settings = LocalAPIServer.Configuration(socketPath: data.socketPath)
        if let api = configFile?.api {
            settings.tcp = (api.host, api.port)
            settings.token = token
        }
        return (settings, context)
    }

    private func resolveDesiredState(store: Store, configFile: ConfigFile?, logger: Logger) async throws -> DesiredState {
        let stored: StoredDesiredState?
        do {
            stored = try await store.desiredState()
        } catch {
            // Offline first: an unreadable stored state must not stop recording
            // what the config file says. It stays stored until replaced.
            logger.error("the stored desired state cannot be used (\(error)); using the config file's instead")
            try? await store.logEvent(.error, "desired", "the stored desired state cannot be used: \(error)")
            stored = nil
        }
        if configFile?.cloud != nil, let stored {
            // With a cloud, the cloud owns the desired state: the stored one
            // wins; the config's cameras only seed a device that has none.
            logger.info("restored the stored desired state", metadata: ["revision": "\(stored.state.revision)", "origin": "\(stored.origin.rawValue)"])
            return stored.state
        }
        let (candidate, origin): (DesiredState?, DesiredOrigin) =
            demo ? (DemoConfiguration.desired, .demo) : (configFile?.desired, .config)
        if let candidate {
            if stored?.state != candidate || stored?.origin != origin {
                try await store.saveDesiredState(candidate, origin: origin)
                logger.info("stored the desired state from the \(origin == .demo ? "embedded demo" : "config file")", metadata: ["revision": "\(candidate.revision)"])
            }
            return candidate
        }
        if let stored {
            logger.info("restored the stored desired state", metadata: ["revision": "\(stored.state.revision)", "origin": "\(stored.origin.rawValue)"])
            return stored.state
        }
        logger.warning("no configuration and no stored desired state: nothing to record yet")
        return DesiredState()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
