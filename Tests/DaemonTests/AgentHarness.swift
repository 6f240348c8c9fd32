import Foundation
import Logging
import ServiceLifecycle
import CamgateCore
@testable import Daemon
import Hardware
import Media
import MediaMTX
import Platform
import Store
import Supervisor
import TestSupport

/// The agent in-process under a real ServiceGroup, with a restart policy
/// fast enough for tests. Everything else is real: store file, ffmpeg,
/// process groups, signals.
final class AgentHarness: @unchecked Sendable {
    let layout: DataLayout
    let store: Store
    let supervisor: Supervisor
    let agent: Agent
    let hardware: HardwareService
    let group: ServiceGroup
    private var runner: Task<Void, any Error>?

    init(dataDirectory: String, desired: DesiredState, policy: RestartPolicy, retentionInterval: Duration = .seconds(60),
         inventory: Inventory? = nil, devicePresent: (@Sendable (String) -> Bool)? = nil,
         deviceUnplugged: @escaping @Sendable (String) -> Bool = { _ in false },
         mediamtx: MediaMTXSync? = nil, healthInterval: Duration = .seconds(30), hardware: HardwareProbe? = nil,
         encoderPriority: [EncoderBackend] = EncoderBackend.defaultPriority) async throws {
        try FileSystem.createDirectories(dataDirectory)
        layout = DataLayout(root: dataDirectory)
        store = try Store.open(directory: dataDirectory)
        try await store.saveDesiredState(desired, origin: .config)
        supervisor = Supervisor(bootID: try ProcFS.bootID())
        var options = Agent.Options(layout: layout, tools: try FFmpegTools.locate().get())
        options.restartPolicy = policy
        options.indexInterval = .milliseconds(300)
        options.retentionInterval = retentionInterval
        if let devicePresent { options.devicePresent = devicePresent }
        options.deviceUnplugged = deviceUnplugged
        options.healthInterval = healthInterval
        var logger = Logger(label: "test-agent")
        logger.logLevel = .warning
        var parts = AgentServices.Parts(store: store, supervisor: supervisor, options: options, desired: desired, logger: logger)
        parts.probe = hardware
        parts.encoderPriority = encoderPriority
        parts.mediamtx = mediamtx
        let services = try AgentServices(parts)
        agent = services.agent
        self.hardware = services.hardware
        if let inventory { await services.hardware.install(inventory) }
        group = ServiceGroup(configuration: .init(services: services.services, logger: logger))
        let group = group
        runner = Task { try await group.run() }
    }

    func camera(_ id: String) async throws -> CameraRow? {
        try await store.cameras().first { $0.id.rawValue == id }
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await runner?.value
        runner = nil
        await store.close()
    }

    deinit { runner?.cancel() }
}
