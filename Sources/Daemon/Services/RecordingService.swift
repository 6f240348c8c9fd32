#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Logging
import Platform
import ServiceLifecycle
import Store
import Supervisor
import Updater
import UnixSignals

/// The recording side of the daemon as a `Service`: boots the agent (adopts
/// or starts recorders), then runs its loops in one task group (exit
/// watching, backoff wake-ups, indexing, health, retention, hardware and
/// MediaMTX requests, watchdog) until graceful shutdown, when it stops every
/// child and closes the last segments before returning.
public struct RecordingService: Service {
    let agent: Agent
    let supervisor: Supervisor
    let hardware: HardwareService
    let mediamtx: MediaMTXService?
    let notifier: SystemdNotifier?
    /// Without a cloud link SIGUSR1 (`cloud reconnect` of old) is only logged here.
    let logsReconnectRequests: Bool
    let logger: Logger

    public init(agent: Agent, supervisor: Supervisor, hardware: HardwareService, mediamtx: MediaMTXService?, notifier: SystemdNotifier?,
                logsReconnectRequests: Bool, logger: Logger) {
        self.agent = agent
        self.supervisor = supervisor
        self.hardware = hardware
        self.mediamtx = mediamtx
        self.notifier = notifier
        self.logsReconnectRequests = logsReconnectRequests
        self.logger = logger
    }

    /// Signals whose default action would end the agent and leave its
    /// recorders unindexed, ignored from the very start (before the
    /// configuration is read): SIGPIPE — a closed socket or pipe (journald
    /// restarting, a client gone) must never kill the agent, a write fails
    /// with EPIPE instead — and SIGHUP, SIGUSR1, SIGUSR2, which `run` then
    /// traps to act on or log.
    public static let ignoredSignals: [Int32] = [SIGPIPE, SIGHUP, SIGUSR1, SIGUSR2]

    public static func ignoreFatalSignals() throws(SystemError) {
        try Signals.ignore(ignoredSignals)
    }

    static func logIgnored(_ signals: UnixSignalsSequence, logger: Logger) async {
        for await signal in signals {
            logger.notice("received \(signal): ignored (the configuration is read at start: restart the agent to apply a change)")
        }
    }

    public func run() async throws {
        let agent = agent, supervisor = supervisor, logger = logger
        do { try RecordingService.ignoreFatalSignals() } catch { logger.error("signals: \(error)") }
        let otherSignals = logsReconnectRequests ? await UnixSignalsSequence(trapping: .sighup, .sigusr1, .sigusr2)
                                                 : await UnixSignalsSequence(trapping: .sighup, .sigusr2)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await supervisor.run() }
            group.addTask { await RecordingService.logIgnored(otherSignals, logger: logger) }
            group.addTask { for await exit in supervisor.exits { await agent.handle(exit) } }
            // A hand-over marked for an agent before this one (a build that
            // never read it) must not turn this agent's stop into one.
            let spool = UpdateSpool(dataDirectory: agent.options.layout.root)
            _ = spool.takeHandover(now: WallClock.nowMilliseconds())
            let afterHandover = FileSystem.exists(spool.handedOverFile)
            try? FileSystem.remove(spool.handedOverFile)
            do {
                try await agent.boot(afterHandover: afterHandover)
            } catch {
                logger.critical("boot failed: \(error)")
                await agent.shutdown()
                throw error
            }
            notifier?.notify("READY=1\nSTATUS=recording")
            logger.info("agent ready")
            group.addTask { await agent.recoverAfterBoot() }
            addLoops(to: &group)
            // Runs until SIGTERM / SIGINT (or the task is cancelled).
            try? await gracefulShutdown()
            notifier?.notify("STOPPING=1")
            if spool.takeHandover(now: WallClock.nowMilliseconds()) {
                try? FileSystem.writeAtomically(spool.handedOverFile, Array("\(WallClock.nowMilliseconds())\n".utf8), mode: 0o640)
                await agent.handOver()
            } else {
                await agent.shutdown()
            }
            group.cancelAll()
        }
        await supervisor.shutdown()
        logger.info("recording stopped")
    }

    private func addLoops(to group: inout ThrowingDiscardingTaskGroup<any Error>) {
        let agent = agent, options = agent.options, hardware = hardware, mediamtx = mediamtx
        group.addTask {
            await withDiscardingTaskGroup { sleepers in
                for await instant in agent.wakeups {
                    sleepers.addTask {
                        guard (try? await Task.sleep(until: instant + .milliseconds(10), clock: .continuous)) != nil else { return }
                        await agent.reconcile(reason: "backoff elapsed")
                    }
                }
            }
        }
        if let pageOut = options.codePageOut {
            let logger = logger
            group.addTask {
                guard (try? await Task.sleep(for: pageOut.after)) != nil else { return }
                RecordingService.pageOutCode(logger)
                await every(pageOut.every) { RecordingService.pageOutCode(logger) }
            }
        }
        group.addTask { await every(options.indexInterval) { await agent.indexTick() } }
        group.addTask { await every(options.motionInterval) { await agent.motionTick() } }
        group.addTask { await every(options.healthInterval) { await agent.healthTick() } }
        group.addTask {
            await agent.enforceRetention()
            await every(options.retentionInterval) { await agent.enforceRetention() }
        }
        group.addTask { for await reason in hardware.changes { await agent.reconcile(reason: reason) } }
        if let mediamtx {
            group.addTask { for await reason in mediamtx.restarts { await agent.restartMediaMTX(reason: reason) } }
        }
        if let notifier, let interval = notifier.watchdogInterval {
            group.addTask {
                await every(interval) {
                    await agent.ping()
                    notifier.notify("WATCHDOG=1")
                }
            }
        }
    }
}

/// Calls `body` every `interval` until the task is cancelled.
func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
    while true {
        do { try await Task.sleep(for: interval) } catch { return }
        await body()
    }
}

extension RecordingService {
    /// Start-up code the agent no longer runs leaves its resident memory
    /// (Memory.pageOutCode); a kernel without MADV_PAGEOUT says so in the debug log.
    static func pageOutCode(_ logger: Logger) {
        do {
            let bytes = try Memory.pageOutCode()
            logger.debug("memory: code pages handed back (\(bytes >> 10) KiB of mappings)")
        } catch {
            logger.debug("memory: cannot hand code pages back: \(error)")
        }
    }
}
