import Foundation
import Testing
import CamgateCore
@testable import Hardware
import Media
import Platform
import TestSupport

@Suite struct EncoderArgumentTests {
    static let settings = VideoSettings(fps: 15)

    @Test(arguments: [
        (VideoEncoder.software, [String](), ["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "high", "-pix_fmt", "yuv420p", "-g", "15", "-keyint_min", "15", "-sc_threshold", "0", "-bf", "0", "-crf", "23"]),
        (.vaapi(device: "/dev/dri/renderD128"), ["-init_hw_device", "vaapi=va:/dev/dri/renderD128", "-filter_hw_device", "va"],
         ["-vf", "format=nv12,hwupload", "-c:v", "h264_vaapi", "-profile:v", "main", "-g", "15", "-bf", "0", "-qp", "24"]),
        // A driver with only the low-power entrypoint (EncSliceLP).
        (.vaapi(device: "/dev/dri/renderD128", lowPower: true), ["-init_hw_device", "vaapi=va:/dev/dri/renderD128", "-filter_hw_device", "va"],
         ["-vf", "format=nv12,hwupload", "-c:v", "h264_vaapi", "-profile:v", "main", "-g", "15", "-bf", "0", "-low_power", "1", "-qp", "24"]),
        (.qsv(device: "/dev/dri/renderD128"), ["-init_hw_device", "vaapi=va:/dev/dri/renderD128", "-init_hw_device", "qsv=qs@va", "-filter_hw_device", "qs"],
         ["-vf", "format=nv12,hwupload=extra_hw_frames=64", "-c:v", "h264_qsv", "-preset", "veryfast", "-profile:v", "main", "-g", "15", "-bf", "0", "-global_quality", "25"]),
        (.nvenc, [], ["-c:v", "h264_nvenc", "-preset", "p1", "-tune", "ll", "-profile:v", "main", "-pix_fmt", "yuv420p", "-g", "15", "-bf", "0", "-rc", "vbr", "-cq", "23"]),
        (.v4l2m2m, [], ["-c:v", "h264_v4l2m2m", "-pix_fmt", "yuv420p", "-g", "15", "-bf", "0", "-b:v", "2000k"]),
        (.copy, [], ["-c:v", "copy"]),
    ])
    func eachBackendHasItsArguments(_ encoder: VideoEncoder, _ initArgs: [String], _ videoArgs: [String]) {
        #expect(EncoderArguments.hardwareInit(encoder) == initArgs)
        #expect(EncoderArguments.video(encoder, settings: Self.settings, sourceFPS: 15) == videoArgs)
    }

    @Test(arguments: [VideoEncoder.software, .copy, .nvenc, .v4l2m2m, .vaapi(device: "/dev/dri/renderD129"), .vaapi(device: "/dev/dri/renderD128", lowPower: true),
                      .qsv(device: "/dev/dri/renderD128")])
    func encoderArgumentsRoundTrip(_ encoder: VideoEncoder) {
        #expect(VideoEncoder(argument: encoder.argument) == encoder)
        // The per-boot cache keeps the exact encoder (low power included).
        let candidate = EncoderCandidate(backend: .software, device: "-", usable: true, reason: "trial encode ok", encoder: encoder)
        #expect(EncoderCandidate(json: candidate.json)?.encoder == encoder)
    }

    @Test(arguments: ["", "vaapi", "vaapi:relative", "qsv:/etc/passwd", "vaapi:/dev/../etc/x", "x264", "software:x"])
    func badEncoderArgumentsAreRefused(_ text: String) {
        #expect(VideoEncoder(argument: text) == nil)
    }

    @Test func bitrateAndSizeApplyToEveryBackend() {
        let settings = VideoSettings(size: Resolution(width: 1280, height: 720), fps: 10, bitrateKbps: 3000)
        #expect(EncoderArguments.video(.vaapi(device: "/d"), settings: settings, sourceFPS: 30)
                == ["-vf", "fps=10,format=nv12,hwupload,scale_vaapi=w=1280:h=720", "-c:v", "h264_vaapi", "-profile:v", "main", "-g", "10", "-bf", "0", "-b:v", "3000k", "-maxrate", "3000k"])
        #expect(EncoderArguments.video(.nvenc, settings: settings, sourceFPS: 30).suffix(6) == ["-rc", "cbr", "-b:v", "3000k", "-maxrate", "3000k"])
        #expect(EncoderArguments.video(.v4l2m2m, settings: settings, sourceFPS: 30).last == "3000k")
    }
}

@Suite(.serialized) struct EncoderProbeTests {
    let dir = TemporaryDirectory("encoders")
    var tools: FFmpegTools { try! FFmpegTools.locate().get() }

    @Test func libvaIsLoadedAndFailsCleanlyWithoutADevice() {
        let (available, message) = VAAPIInfo.libvaAvailable()
        #expect(available, "libva is installed on this machine: \(message)")
        let missing = VAAPIInfo.probe("/dev/dri/renderD199")
        #expect(missing.status == .failed("cannot open /dev/dri/renderD199: No such file or directory"))
        // A node that is not a GPU: libva's own vaGetDisplayDRM / vaInitialize say no.
        let notAGPU = VAAPIInfo.probe("/dev/null")
        guard case .failed(let reason) = notAGPU.status else { Issue.record("/dev/null initialized as a VA display"); return }
        #expect(reason.contains("/dev/null"), "\(reason)")
    }

    /// The real probe, whatever this machine has: one entry per backend at
    /// least, software proven usable, and every entry either proven by a
    /// trial or saying why not.
    @Test func everyBackendIsReportedUsableOnlyAfterATrialOrWithTheReason() async {
        let probe = EncoderProbe(devRoot: "/dev", trial: TrialEncoder(ffmpeg: tools.ffmpeg))
        let candidates = await probe.probe(m2mNodes: [])
        #expect(Set(candidates.map(\.backend)) == Set(EncoderBackend.allCases), "one entry per backend at least")
        for candidate in candidates {
            if candidate.usable {
                #expect(candidate.reason == "trial encode succeeded" && candidate.encoder != nil, "\(candidate)")
            } else {
                #expect(!candidate.reason.isEmpty && candidate.encoder == nil, "\(candidate)")
            }
        }
        #expect(candidates.first { $0.backend == .software }.map { $0.usable && $0.encoder == .software } == true)
    }

    /// A trial outcome given to the probe: the fixed answer per backend.
    struct FixedTrial: EncoderTrial {
        var failures: [String: String]
        func run(_ encoder: VideoEncoder) async -> String? { failures[encoder.argument] }
    }

    static let m2mEncoder = V4L2Node(path: "/dev/video11", byID: nil, byPath: nil, kind: .memoryToMemory, driver: "bcm2835-codec",
                                     card: "bcm2835-codec-encode", busInfo: "platform:bcm2835-codec", status: .ok,
                                     formats: [FormatOption(format: .h264, description: "H.264", emulated: false, sizes: [])], notes: [])

    @Test func aHardwareEncoderWhoseTrialSucceedsIsUsableAndChosenByPriority() async {
        let probe = EncoderProbe(devRoot: dir.path, outcome: FixedTrial(failures: [:]))
        let candidates = await probe.probe(m2mNodes: [Self.m2mEncoder])
        let m2m = candidates.first { $0.backend == .v4l2m2m }
        #expect(m2m?.usable == true && m2m?.reason == "trial encode succeeded" && m2m?.encoder == .v4l2m2m, "\(String(describing: m2m))")
        #expect(m2m?.device == "/dev/video11")
        let inventory = Inventory(nodes: [Self.m2mEncoder], encoders: candidates, fingerprint: "f", probedAtMs: 0, durationMs: 0)
        #expect(inventory.bestEncoder()?.encoder == .v4l2m2m, "hardware before software")
        #expect(inventory.bestEncoder(priority: [.software, .v4l2m2m])?.encoder == .software, "the configured priority decides")
        #expect(inventory.bestEncoder(priority: [.nvenc, .v4l2m2m])?.encoder == .v4l2m2m, "a backend with no device is skipped")
    }

    @Test func aHardwareEncoderWhoseTrialFailsIsUnusableWithTheTrialsReason() async {
        let reason = "trial encode failed (exit code 1): [h264_v4l2m2m] Could not find a valid device"
        let probe = EncoderProbe(devRoot: dir.path, outcome: FixedTrial(failures: [VideoEncoder.v4l2m2m.argument: reason]))
        let candidates = await probe.probe(m2mNodes: [Self.m2mEncoder])
        let m2m = candidates.first { $0.backend == .v4l2m2m }
        #expect(m2m?.usable == false && m2m?.reason == reason && m2m?.encoder == nil, "\(String(describing: m2m))")
        let inventory = Inventory(nodes: [Self.m2mEncoder], encoders: candidates, fingerprint: "f", probedAtMs: 0, durationMs: 0)
        #expect(inventory.bestEncoder()?.encoder == .software, "falls back to software")
        #expect(inventory.bestEncoder(priority: [.v4l2m2m]) == nil)
    }

    @Test func aRenderNodeThatIsNotAGPUIsProbedThroughLibvaAndRejected() async throws {
        let dev = dir.file("dev")
        try FileManager.default.createDirectory(atPath: "\(dev)/dri", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(dev)/dri/renderD128", contents: Data())
        let candidates = await EncoderProbe(devRoot: dev, trial: TrialEncoder(ffmpeg: tools.ffmpeg)).probe(m2mNodes: [])
        let vaapi = try #require(candidates.first { $0.backend == .vaapi })
        #expect(vaapi.device == "\(dev)/dri/renderD128" && !vaapi.usable)
        #expect(vaapi.reason.contains("renderD128"), "\(vaapi.reason)")
    }

    /// The real trial, failing the same way on any machine (a device that
    /// does not exist): unusable, with ffmpeg's own reason.
    @Test(arguments: [VideoEncoder.qsv(device: "/nonexistent/dri/renderD199"), .vaapi(device: "/nonexistent/dri/renderD199")])
    func aTrialFFmpegRefusesGivesFFmpegsReason(_ encoder: VideoEncoder) async {
        let reason = await TrialEncoder(ffmpeg: tools.ffmpeg).run(encoder)
        #expect(reason?.hasPrefix("trial encode failed (exit code") == true, "\(reason ?? "succeeded")")
        #expect(reason?.contains(": ") == true, "ffmpeg's last lines are in the reason: \(reason ?? "")")
    }

    @Test func softwareTrialSucceeds() async {
        #expect(await TrialEncoder(ffmpeg: tools.ffmpeg).run(.software) == nil)
    }

    /// Both shapes the recorder uses are proven: a quality target, and a
    /// bitrate with scaling (CBR, `scale_vaapi`, `fps`).
    @Test func theTrialCoversBothRateControlShapes() {
        let trial = TrialEncoder(ffmpeg: tools.ffmpeg)
        let vaapi = VideoEncoder.vaapi(device: "/dev/dri/renderD128")
        let quality = trial.arguments(vaapi, settings: TrialEncoder.shapes[0].settings)
        let bitrate = trial.arguments(vaapi, settings: TrialEncoder.shapes[1].settings)
        #expect(quality.contains("-qp") && !quality.contains("-b:v"))
        #expect(bitrate.contains("-b:v") && bitrate.contains { $0.contains("scale_vaapi=w=320:h=180") } && bitrate.contains { $0.contains("fps=10") })
        #expect(trial.arguments(.nvenc, settings: TrialEncoder.shapes[1].settings).contains("cbr"))
    }

    @Test func aTrialThatHangsIsKilledWithItsGroup() async throws {
        let fifo = dir.file("never.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let trial = TrialEncoder(ffmpeg: tools.ffmpeg, timeout: .seconds(1), input: ["-f", "mpegts", "-i", fifo])
        let started = ContinuousClock.now
        let reason = await trial.run(.software)
        #expect(reason == "trial encode hung and was killed after 1.0 seconds")
        #expect(ContinuousClock.now - started < .seconds(4))
        #expect(processes(matching: fifo).isEmpty, "no ffmpeg left behind")
    }

    @Test func theProbeIsCachedByFingerprint() async {
        let probe = HardwareProbe(tools: tools)
        let first = await probe.run()
        let cached = await probe.run(cached: (first.fingerprint, [EncoderCandidate(backend: .software, device: "-", usable: true, reason: "cached")]))
        #expect(cached.encoders.map(\.reason) == ["cached"], "same fingerprint: no new trial")
        let stale = await probe.run(cached: ("another machine", [EncoderCandidate(backend: .software, device: "-", usable: true, reason: "cached")]))
        #expect(stale.encoders.count == EncoderBackend.allCases.count)
        #expect(first.bestEncoder()?.usable == true)
        #expect(first.bestEncoder(priority: [.software])?.encoder == .software)
    }
}

@Suite(.serialized) struct HotplugWatcherTests {
    let dir = TemporaryDirectory("hotplug")

    actor Counter {
        var value = 0
        func bump() { value += 1 }
    }

    @Test func videoNodesAppearingAndDisappearingAreNoticed() async throws {
        let watcher = try HotplugWatcher(devRoot: dir.path)
        let counter = Counter()
        let consumer = Task { for await _ in watcher.changes { await counter.bump() } }
        defer { watcher.shutdown(); consumer.cancel() }
        // Unrelated files do not count.
        _ = FileManager.default.createFile(atPath: dir.file("ttyS9"), contents: Data())
        try await Task.sleep(for: .milliseconds(600))
        #expect(await counter.value == 0)
        // A camera: node and by-id link in one burst → one notification.
        _ = FileManager.default.createFile(atPath: dir.file("video7"), contents: Data())
        try FileManager.default.createDirectory(atPath: dir.file("v4l/by-id"), withIntermediateDirectories: true)
        #expect(await waitUntil(timeout: .seconds(5)) { await counter.value == 1 })
        try await Task.sleep(for: .milliseconds(600))
        #expect(await counter.value == 1, "debounced into one")
        try FileManager.default.removeItem(atPath: dir.file("video7"))
        #expect(await waitUntil(timeout: .seconds(5)) { await counter.value == 2 }, "removal noticed")
        // An encoder device: a render node appearing (its directory made first, as udev does).
        try FileManager.default.createDirectory(atPath: dir.file("dri"), withIntermediateDirectories: true)
        #expect(await waitUntil(timeout: .seconds(5)) { await counter.value == 3 }, "the dri directory")
        _ = FileManager.default.createFile(atPath: dir.file("dri/renderD128"), contents: Data())
        #expect(await waitUntil(timeout: .seconds(5)) { await counter.value == 4 }, "a render node")
        _ = FileManager.default.createFile(atPath: dir.file("v4l/by-id/usb-x-video-index0"), contents: Data())
        #expect(await waitUntil(timeout: .seconds(5)) { await counter.value == 5 }, "a by-id link")
    }
}

@Suite(.serialized) struct DetectCommandTests {
    @Test func detectPrintsCamerasAndEveryBackendWithinItsTimeBudget() throws {
        let started = ContinuousClock.now
        let result = try runProgram(Repository.camgate, ["detect", "--json"])
        let elapsed = ContinuousClock.now - started
        #expect(result.status == 0)
        let json = try JSONValue.parse(result.output)
        guard case .array(let encoders)? = json["encoders"], case .array? = json["cameras"] else { Issue.record("shape: \(result.output)"); return }
        let backends = Set(encoders.compactMap { $0["backend"]?.stringValue })
        #expect(backends == ["nvenc", "qsv", "vaapi", "v4l2m2m", "software"])
        for e in encoders {
            #expect(e["device"]?.stringValue != nil && e["codec"]?.stringValue == "h264" && e["reason"]?.stringValue?.isEmpty == false)
            // Usable exactly when a trial proved it (which backends depends on the machine).
            #expect((e["usable"] == .bool(true)) == (e["reason"]?.stringValue == "trial encode succeeded"), "\(e)")
            if e["backend"]?.stringValue == "software" { #expect(e["usable"] == .bool(true)) }
        }
        #expect(elapsed < .seconds(3), "detect took \(elapsed) (the 1.5 s target is checked in the benchmark)")
        let text = try runProgram(Repository.camgate, ["detect"]).output
        #expect(text.contains("software") && text.contains("trial encode succeeded") && text.contains("encoders:"))
    }

    @Test(arguments: ["nan", "1e30", "0", "-1", "61", "soon"])
    func aTrialTimeoutThatIsNotASaneNumberIsRefused(_ value: String) throws {
        let result = try runProgram(Repository.camgate, ["detect", "--trial-timeout", value])
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains("--trial-timeout") || result.output.contains("trial-timeout"), "\(result.output)")
    }
}
