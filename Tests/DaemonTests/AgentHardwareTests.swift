import Foundation
import Synchronization
import Testing
import CamgateCore
@testable import Daemon
import Hardware
import Media
import Platform
import Store
import TestSupport

/// The agent with the hardware inventory: runtime fallback from a failing
/// hardware encoder, and V4L2 cameras that come and go.
@Suite(.serialized) struct AgentHardwareTests {
    let dir = TemporaryDirectory("agent-hw")
    let policy = RestartPolicy(backoff: Backoff(initial: .milliseconds(100), maximum: .milliseconds(300)),
                               failureThreshold: 50, failureWindow: .seconds(30), cooldown: .seconds(60), healthyRun: .seconds(30))

    @Test func aHardwareEncoderThatFailsAtRunTimeFallsBackToSoftware() async throws {
        let cam = try CameraID("cam")
        // The inventory claims a VA-API encoder this machine does not have.
        let inventory = Inventory(nodes: [], encoders: [
            EncoderCandidate(backend: .vaapi, device: "/dev/dri/renderD128", usable: true, reason: "claimed", encoder: .vaapi(device: "/dev/dri/renderD128")),
            EncoderCandidate(backend: .software, device: "-", usable: true, reason: "trial encode succeeded", encoder: .software),
        ], fingerprint: "test", probedAtMs: 0, durationMs: 0)
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .test(try TestPattern(size: Resolution(width: 160, height: 90), fps: 10)), record: true)],
                                   recording: RecordingPolicy(segmentSeconds: 2, retainDays: 1, minFreePercent: 0))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: policy, inventory: inventory)
        #expect(try await waitUntil(timeout: .seconds(30)) {
            try await harness.store.recordings(camera: cam).filter { $0.status == .complete }.count >= 1
        }, "recording with software after the fallback")
        let events = try await harness.store.events(limit: 50, camera: cam).map(\.message)
        #expect(events.contains { $0.contains("hardware encoder vaapi failed for cam") && $0.contains("recording with software") }, "\(events)")
        #expect(await harness.agent.encoderName(cam) == "software (fallback from hardware)")
        let running = await harness.supervisor.running[WorkloadKey(camera: cam, role: .recorder)]
        #expect(running != nil)
        #expect(ProcFS.commandLine(pid: running!.identity.pid).contains("libx264"))
        try await harness.stop()
    }

    /// Trial encodes run once per boot and hardware: the result is cached in
    /// SQLite, reused by the next start, and redone when the boot, the
    /// hardware (fingerprint) or an explicit rescan says so.
    @Test func encoderTrialsAreCachedPerBootAndHardware() async throws {
        let devRoot = dir.file("dev")
        try FileSystem.createDirectories(devRoot)
        let probe = HardwareProbe(tools: try FFmpegTools.locate().get(), devRoot: devRoot, sysRoot: dir.file("sys"))
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: DesiredState(), policy: policy, hardware: probe)
        let boot = try ProcFS.bootID()
        #expect(try await waitUntil(timeout: .seconds(20)) { try await harness.store.cachedEncoderProbe(bootID: boot) != nil })
        let first = try #require(try await harness.store.cachedEncoderProbe(bootID: boot))
        #expect(first.fingerprint == probe.fingerprint(nodes: []))
        #expect(try await harness.store.cachedEncoderProbe(bootID: "another-boot") == nil, "a reboot probes again")

        // Mark the cached software result: a start on the same boot and hardware takes it as is.
        let marked = first.encoders.replacingOccurrences(of: "trial encode", with: "CACHED trial encode")
        #expect(marked != first.encoders)
        try await harness.store.saveEncoderProbe(bootID: boot, fingerprint: first.fingerprint, encoders: marked)
        await harness.hardware.refreshInventory(full: false)
        let software = await harness.hardware.inventory?.encoders.first { $0.backend == .software }
        #expect(software?.usable == true && software?.reason.contains("CACHED") == true, "\(String(describing: software))")

        // New hardware (a render node appears): another fingerprint, the trials run again.
        try FileSystem.createDirectories("\(devRoot)/dri")
        try "".write(toFile: "\(devRoot)/dri/renderD128", atomically: true, encoding: .utf8)
        await harness.hardware.refreshInventory(full: false)
        let vaapi = await harness.hardware.inventory?.encoders.first { $0.backend == .vaapi }
        #expect(vaapi?.device == "\(devRoot)/dri/renderD128" && vaapi?.usable == false, "\(String(describing: vaapi))")
        #expect(await harness.hardware.inventory?.encoders.first { $0.backend == .software }?.reason.contains("CACHED") == false)
        let second = try #require(try await harness.store.cachedEncoderProbe(bootID: boot))
        #expect(second.fingerprint != first.fingerprint)

        // A rescan (cloud `rescan_hardware`) always runs the trials.
        try await harness.store.saveEncoderProbe(bootID: boot, fingerprint: second.fingerprint,
                                                 encoders: second.encoders.replacingOccurrences(of: "trial encode", with: "CACHED trial encode"))
        _ = await harness.hardware.rescan()
        #expect(await harness.hardware.inventory?.encoders.first { $0.backend == .software }?.reason.contains("CACHED") == false)
        try await harness.stop()
    }

    @Test func encoderPriorityComesFromTheConfigurationAndDecidesAuto() throws {
        let cam = try CameraID("cam")
        let spec = CameraSpec(source: .test(try TestPattern()), record: true)
        let inventory = Inventory(nodes: [], encoders: [
            EncoderCandidate(backend: .vaapi, device: "/dev/dri/renderD128", usable: true, reason: "ok", encoder: .vaapi(device: "/dev/dri/renderD128")),
            EncoderCandidate(backend: .nvenc, device: "/dev/nvidia0", usable: false, reason: "no NVIDIA device"),
            EncoderCandidate(backend: .software, device: "-", usable: true, reason: "ok", encoder: .software),
        ], fingerprint: "t", probedAtMs: 0, durationMs: 0)
        #expect(EncodingPolicy(inventory: inventory).encoding(for: cam, spec).encoder == .vaapi(device: "/dev/dri/renderD128"))
        #expect(EncodingPolicy(inventory: inventory, priority: [.software, .vaapi]).encoding(for: cam, spec).encoder == .software)
        #expect(EncodingPolicy(inventory: inventory, priority: [.nvenc]).encoding(for: cam, spec).encoder == .software,
                "nothing usable in the list: software")
        #expect(EncodingPolicy(inventory: inventory, softwareFallback: [cam]).encoding(for: cam, spec).encoder == .software)

        let file = dir.file("config.json")
        func load(_ hardware: String) throws -> ConfigFile {
            try #"{"cameras": {}, "hardware": \#(hardware)}"#.write(toFile: file, atomically: true, encoding: .utf8)
            return try ConfigFile.load(file)
        }
        #expect(try load(#"{"encoder_priority": ["software", "vaapi"]}"#).encoderPriority == [.software, .vaapi])
        #expect(try load("{}").encoderPriority == EncoderBackend.defaultPriority)
        for (bad, field) in [(#"{"encoder_priority": []}"#, "hardware.encoder_priority"), (#"{"encoder_priority": ["x264"]}"#, "hardware.encoder_priority[0]"),
                             (#"{"encoder_priority": ["vaapi", "vaapi"]}"#, "hardware.encoder_priority[1]"), (#"{"encoder_priority": "vaapi"}"#, "hardware.encoder_priority"),
                             (#"{"priority": ["vaapi"]}"#, "hardware.priority")] {
            #expect { try load(bad) } throws: { "\($0)".contains(field) }
        }
    }

    @Test func aV4L2CameraIsOfflineWhileItsDeviceIsAbsentAndTriedWhenItAppears() async throws {
        let cam = try CameraID("usbcam")
        let present = Mutex(false)
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .v4l2(device: "/dev/video-camgate-test"), record: true)])
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: policy,
                                             devicePresent: { path in path == "/dev/video-camgate-test" && present.withLock { $0 } })
        #expect(try await waitUntil(timeout: .seconds(10)) { try await harness.camera("usbcam")?.state == .offline })
        #expect(try await harness.camera("usbcam")?.lastError == "/dev/video-camgate-test is not present")
        try await Task.sleep(for: .milliseconds(500))
        #expect(await harness.supervisor.running.isEmpty, "nothing is started for an absent device")
        #expect(try await harness.camera("usbcam")?.restarts == 0, "absence is not a failure")

        // It appears (hotplug): the agent tries it at once.
        present.withLock { $0 = true }
        await harness.hardware.camerasChanged()
        #expect(try await waitUntil(timeout: .seconds(10)) { (try await harness.camera("usbcam")?.restarts ?? 0) >= 1 },
                "a recorder was started (it fails here: no real camera)")
        // It vanishes again: offline, and no more attempts.
        present.withLock { $0 = false }
        #expect(try await waitUntil(timeout: .seconds(10)) { try await harness.camera("usbcam")?.state == .offline })
        let attempts = try await harness.camera("usbcam")?.restarts ?? 0
        try await Task.sleep(for: .seconds(1))
        #expect(try await harness.camera("usbcam")?.restarts == attempts)
        try await harness.stop()
    }

    /// Between an unplug and udev removing the node, the node exists but its
    /// device answers ENODEV: that is offline too, not a failure to retry.
    @Test func aNodeWhoseDeviceIsGoneIsOfflineNotFailing() async throws {
        let cam = try CameraID("usbcam")
        let unplugged = Mutex(false)
        let desired = DesiredState(cameras: [cam: CameraSpec(source: .v4l2(device: "/dev/video-camgate-test"), record: true)])
        let harness = try await AgentHarness(dataDirectory: dir.file("data"), desired: desired, policy: policy,
                                             devicePresent: { $0 == "/dev/video-camgate-test" },
                                             deviceUnplugged: { _ in unplugged.withLock { $0 } })
        #expect(try await waitUntil(timeout: .seconds(10)) { (try await harness.camera("usbcam")?.restarts ?? 0) >= 1 }, "tried while plugged in")
        unplugged.withLock { $0 = true }
        #expect(try await waitUntil(timeout: .seconds(10)) { try await harness.camera("usbcam")?.state == .offline })
        let attempts = try await harness.camera("usbcam")?.restarts ?? 0
        try await Task.sleep(for: .seconds(1))
        #expect(try await harness.camera("usbcam")?.restarts == attempts, "no attempts while the device is gone")
        #expect(await harness.supervisor.running.isEmpty)
        try await harness.stop()
        // The real check: a node that is not a V4L2 device is not "unplugged" (only ENODEV is).
        #expect(!SystemV4L2Opener.isUnplugged("/dev/null") && !SystemV4L2Opener.isUnplugged(dir.file("nothing")))
    }
}
