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
import Media
import MediaMTX
import Platform
import Store

/// `camgate mediamtx-config --config FILE`: the paths the agent would own.
struct MediaMTXConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mediamtx-config",
        abstract: "Print the MediaMTX paths section the agent would own (YAML); exit non-zero when it cannot be rendered safely."
    )

    @Option(name: .long, help: "The agent's configuration file.") var config: String = ConfigFile.defaultPath
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .long, help: ArgumentHelp("Render, validate and merge this many times and print the time per round (benchmark).", visibility: .hidden))
    var repeatCount: Int = 0

    @Option(name: .long, help: ArgumentHelp("Devices root for the hardware probe (tests).", visibility: .hidden)) var devRoot = "/dev"
    @Option(name: .long, help: ArgumentHelp("Sysfs root for the hardware probe (tests).", visibility: .hidden)) var sysRoot = "/sys"

    func run() async throws {
        let file: ConfigFile
        do { file = try ConfigFile.load(config) } catch { throw fail("invalid configuration: \(error)", code: 2) }
        let renderer = PathRenderer(camgate: Agent.currentExecutable(), dataDirectory: FileSystem.absolute(data.dataDir))
        // The same decision the agent makes: its capture choice and proven
        // encoders (the trial encodes of this boot are reused when the agent
        // has run; otherwise they are run now).
        let policy = EncodingPolicy(inventory: await inventory(), priority: file.encoderPriority)
        do {
            if repeatCount > 0 {
                let started = ContinuousClock.now
                for _ in 0..<repeatCount {
                    let paths = try policy.mediamtxPaths(file.desired, renderer: renderer)
                    _ = try MediaMTXConfigFile.merge(existing: nil, paths: paths, apiAddress: "127.0.0.1:9997")
                }
                let each = (ContinuousClock.now - started) / repeatCount
                let micros = each.components.seconds * 1_000_000 + each.components.attoseconds / 1_000_000_000_000
                printError("rendered, validated and merged \(file.desired.cameras.count) cameras \(repeatCount) times: \(String(format1: Double(micros) / 1000)) ms each")
            }
            let paths = try policy.mediamtxPaths(file.desired, renderer: renderer)
            // With an operator's file configured, the paths must also merge
            // into it (valid YAML, no clash with the operator's own paths).
            if let settings = file.mediamtx {
                let existing: String?
                do { existing = try MediaMTXSync.read(settings.config) } catch {
                    throw MediaMTXRenderError("cannot read \(settings.config): \(error)")
                }
                if let existing {
                    _ = try MediaMTXConfigFile.merge(existing: existing, paths: paths, apiAddress: MediaMTXEndpoints(configuration: existing).apiAddress)
                }
            }
            print("paths:")
            print(MediaMTXConfigFile.region(paths).joined(separator: "\n"))
        } catch {
            throw fail("the MediaMTX paths cannot be rendered safely: \(error)", code: 1)
        }
    }

    func inventory() async -> Inventory? {
        guard case .success(let tools) = FFmpegTools.locate() else { return nil }
        let probe = HardwareProbe(tools: tools, devRoot: devRoot, sysRoot: sysRoot)
        var cached: (fingerprint: String, encoders: [EncoderCandidate])?
        let directory = FileSystem.absolute(data.dataDir)
        if FileSystem.exists("\(directory)/\(Store.fileName)"), let store = try? Store.openReadOnly(directory: directory),
           let boot = try? ProcFS.bootID(), let row = try? await store.cachedEncoderProbe(bootID: boot),
           case .array(let items)? = try? JSONValue.parse(row.encoders) {
            cached = (row.fingerprint, items.compactMap(EncoderCandidate.init(json:)))
        }
        return await probe.run(cached: cached)
    }
}

/// Reads the agent's state for the commands MediaMTX runs and for the CLI.
struct CameraContext {
    let store: Store
    let layout: DataLayout
    let id: CameraID
    let spec: CameraSpec
    let desired: DesiredState

    static func load(_ data: DataDirectoryOptions, camera: String) async throws -> CameraContext {
        guard CameraID.problem(with: camera) == nil, let id = try? CameraID(camera) else {
            throw fail("invalid camera id: \(CameraID.problem(with: camera) ?? camera)", code: 2)
        }
        let store = try openStore(data)
        guard let desired = try await store.desiredState()?.state else { throw fail("no desired state stored in \(data.dataDir)", code: 1) }
        guard let spec = desired.cameras[id] else { throw fail("unknown camera \(id)", code: 1) }
        return CameraContext(store: store, layout: DataLayout(root: FileSystem.absolute(data.dataDir)), id: id, spec: spec, desired: desired)
    }

    /// Without `--encoder` (run by hand): copy what can be copied, else the
    /// best encoder proven on this boot.
    func fallbackEncoder(capture: CaptureMode?) async -> VideoEncoder {
        if spec.video.encoder == .copy { return .copy }
        if spec.video.encoder == .auto {
            if case .rtsp = spec.source { return .copy }
            if capture?.native == true { return .copy }
        }
        return await proven()
    }

    /// The best encoder proven on this boot (software when none was probed).
    func proven() async -> VideoEncoder {
        guard let boot = try? ProcFS.bootID(), let cached = try? await store.cachedEncoderProbe(bootID: boot),
              case .array(let items)? = try? JSONValue.parse(cached.encoders) else { return .software }
        let inventory = Inventory(nodes: [], encoders: items.compactMap(EncoderCandidate.init(json:)), fingerprint: cached.fingerprint, probedAtMs: 0, durationMs: 0)
        return inventory.bestEncoder()?.encoder ?? .software
    }

    /// How a V4L2 camera is opened, probed now (ioctls only).
    func captureMode() -> CaptureMode? {
        guard case .v4l2(let device) = spec.source, let node = try? V4L2Probe.probe(SystemV4L2Opener().open(device)) else { return nil }
        return CaptureChoice.choose(node, wanted: spec.video)
    }

    func recorderRunning() async -> Bool {
        guard let boot = try? ProcFS.bootID(), let rows = try? await store.processes() else { return false }
        return rows.contains { $0.key == WorkloadKey(camera: id, role: .recorder) && ProcFS.isRunning($0.identity, currentBootID: boot) }
    }
}

/// `camgate capture`: the on-demand capture MediaMTX runs (`runOnDemand`).
struct Capture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a camera to an RTSP URL (run by MediaMTX on demand; reads the source, credentials included, from the store)."
    )

    @Argument(help: "The camera id.") var camera: String
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .long, help: "The encoder the agent chose (software, copy, nvenc, v4l2m2m, vaapi:NODE, qsv:NODE).") var encoder: String?
    @Option(name: .long, help: "Where to publish (MediaMTX passes rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH).") var publish: String

    func run() async throws {
        let context = try await CameraContext.load(data, camera: camera)
        guard publish.hasPrefix("rtsp://") else { throw fail("--publish must be an rtsp:// URL", code: 2) }
        let tools = try FFmpegTools.locate().get()
        let mode = context.captureMode()
        let encoder: VideoEncoder
        if let name = self.encoder {
            guard let chosen = VideoEncoder(argument: name) else { throw fail("unknown encoder \(name)", code: 2) }
            encoder = chosen
        } else {
            encoder = await context.fallbackEncoder(capture: mode)
        }
        let args = PublishCommand.capture(context.spec, encoder: encoder, capture: mode, destination: publish)
        throw fail("\(ProcessLauncher.exec(tools.ffmpeg, args, environment: FFmpegTools.environment))", code: 1)
    }
}

/// `camgate transcode`: an on-demand lower-resolution variant.
struct Transcode: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a lower-resolution variant of a camera's MediaMTX path (run by MediaMTX on demand)."
    )

    @Argument(help: "The camera id.") var camera: String
    @Option(name: .long, help: "1080p, 720p or 480p.") var variant: String
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .long, help: "The encoder the agent chose (software, nvenc, v4l2m2m, vaapi:NODE, qsv:NODE).") var encoder: String?
    @Option(name: .long, help: "Where to publish.") var publish: String

    func run() async throws {
        let context = try await CameraContext.load(data, camera: camera)
        guard let variant = Variant.named(variant) else { throw fail("unknown variant \(variant); use \(Variant.ladder.map(\.name).joined(separator: ", "))", code: 2) }
        guard publish.hasPrefix("rtsp://"), let port = try? Endpoint(parsing: "http" + publish.dropFirst(4)).port else {
            throw fail("--publish must be an rtsp:// URL with a port", code: 2)
        }
        let tools = try FFmpegTools.locate().get()
        var encoder: VideoEncoder = .software
        if let name = self.encoder {
            guard let chosen = VideoEncoder(argument: name) else { throw fail("unknown encoder \(name)", code: 2) }
            encoder = chosen
        } else {
            encoder = await context.proven()
        }
        if encoder == .copy { encoder = .software }
        let args = PublishCommand.transcode(from: "rtsp://127.0.0.1:\(port)/\(context.id)", height: variant.size.height, bitrateKbps: variant.bitrateKbps,
                                            encoder: encoder, destination: publish)
        throw fail("\(ProcessLauncher.exec(tools.ffmpeg, args, environment: FFmpegTools.environment))", code: 1)
    }
}

/// `camgate view CAMERA`: where to watch it.
struct View: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a camera's RTSP, HLS and WebRTC URLs and its viewers.")

    @Argument(help: "The camera id.") var camera: String
    @OptionGroup var data: DataDirectoryOptions
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() async throws {
        let context = try await CameraContext.load(data, camera: camera)
        let report = await ViewingReport.build(store: context.store, desired: context.desired, only: context.id)
        guard let entry = report.first else { throw fail("unknown camera \(camera)", code: 1) }
        print(json ? entry.json.serialized() : entry.text)
    }
}

/// `camgate snapshot CAMERA -o FILE`.
struct Snapshot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a JPEG of a camera: the recorder's latest frame when fresh, else a one-shot capture (through MediaMTX when it runs)."
    )

    @Argument(help: "The camera id.") var camera: String
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .shortAndLong, help: "The JPEG file to write.") var output: String

    func run() async throws {
        if try await fromAgent() { return }
        printError("camgate: the agent is not running (no answer at \(data.socketPath)): taking the snapshot here")
        let context = try await CameraContext.load(data, camera: camera)
        let tools = try FFmpegTools.locate().get()
        var mediamtxURL: String?
        if let state = try await context.store.mediamtxState(), await ViewingReport.apiAnswers(state.apiAddress) {
            mediamtxURL = "rtsp://127.0.0.1:\(state.rtspPort)/\(context.id)"
        }
        let target = FileSystem.absolute(output)
        do {
            let shot = try await Snapshotter.take(camera: context.id, spec: context.spec, recorderRunning: await context.recorderRunning(),
                                                  layout: context.layout, tools: tools, output: target, mediamtxURL: mediamtxURL)
            print("\(shot.file): \(shot.bytes) bytes, taken at \(Timestamp.rfc3339(milliseconds: shot.takenAtMs)) (\(shot.method))")
        } catch {
            throw fail("snapshot of \(context.id) failed: \(error)", code: 1)
        }
    }

    /// Asks the running agent (which knows whether its recorder's frame is
    /// fresh and whether MediaMTX answers); false when no agent answers.
    private func fromAgent() async throws -> Bool {
        if let problem = CameraID.problem(with: camera) { throw fail(problem, code: 2) }
        let response: LocalAPIClient.Response
        do {
            response = try await data.api.request("GET", "/api/v1/cameras/\(PercentEncoding.encode(camera))/snapshot")
        } catch is LocalAPIClient.Unreachable {
            return false
        }
        guard response.status == 200 else { throw fail("snapshot of \(camera) failed: \(response.errorMessage)", code: 1) }
        let target = FileSystem.absolute(output)
        do { try FileSystem.writeAtomically(target, response.body, mode: 0o644) } catch { throw fail("cannot write \(target): \(error)", code: 1) }
        let method = response.header("x-snapshot-method") ?? "agent"
        print("\(target): \(response.body.count) bytes, taken at \(response.header("x-snapshot-taken-at") ?? "-") (\(method))")
        return true
    }
}
