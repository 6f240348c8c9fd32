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
        await harness.agent.camerasChanged()
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
}
