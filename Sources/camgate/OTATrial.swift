import ArgumentParser
import CamgateCore
import LocalAPI
import OTA
import Platform
import Updater

/// The options every trial hook shares: the install, how to restart.
struct TrialHookOptions: ParsableArguments {
    @OptionGroup var device: OTADeviceOptions
    @OptionGroup var data: DataDirectoryOptions
    @Option(name: .long, help: ArgumentHelp("systemctl to restart the service with (default: systemctl on the real root only).", visibility: .hidden))
    var systemctl: String?

    var hooks: TrialHooks {
        TrialHooks(layout: device.layout, restarter: device.restarter(systemctl: systemctl, noRestart: false, data: data), ownVersion: .agent)
    }

    /// A hook's outcome, or its refusal as the exit.
    func run(_ body: () throws(UpdateError) -> TrialHooks.Outcome) throws -> TrialHooks.Outcome {
        switch Result(catching: body) {
        case .success(let outcome): return outcome
        case .failure(let error): throw refuse(error.refusal)
        }
    }

    /// Prints what was done; a failed action fails the hook (exit 1).
    /// The check prints nothing when there was nothing to judge (it runs every 5 s: the journal stays quiet).
    func finish(_ outcome: TrialHooks.Outcome, _ hook: String) throws {
        let idle = outcome.report.lines.isEmpty && outcome.state?.update.map { $0.phase == .committed || $0.phase == .rolledBack } ?? true
        if hook == "check", idle { return }
        let phase = outcome.state?.update.map { "\($0.candidate) \($0.phase.rawValue)" } ?? "no update"
        print("ota \(hook): \(phase)")
        outcome.report.lines.forEach { print("  \($0)") }
        if let failure = outcome.report.failures.first { throw refuse(failure.refusal) }
    }
}

struct OTAGuard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "Before each start of the agent (ExecStartPre=+, the committed binary): begin, continue or end a trial; switch current.")

    @OptionGroup var options: TrialHookOptions

    func run() throws {
        try options.finish(options.run { () throws(UpdateError) in try options.hooks.guardStart(now: WallClock.nowMilliseconds()) }, "guard")
    }
}

struct OTAExited: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exited",
        abstract: "After each exit of the agent (ExecStopPost=+, the committed binary): a failed exit soon after the start rolls back.",
        discussion: "Reads SERVICE_RESULT, EXIT_CODE and EXIT_STATUS as systemd sets them.")

    @OptionGroup var options: TrialHookOptions

    func run() throws {
        let env = { (name: String) -> String? in getenv(name).map { String(cString: $0) } }
        let failed = ServiceExit.failed(serviceResult: env("SERVICE_RESULT"), exitCode: env("EXIT_CODE"), exitStatus: env("EXIT_STATUS"))
        try options.finish(options.run { () throws(UpdateError) in try options.hooks.exited(failed: failed, now: WallClock.nowMilliseconds()) }, "exited")
    }
}

struct OTACheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Periodic (camgate-ota-check.timer, the committed binary): ask the candidate's API for its health; commit, or roll back past the deadline.")

    @OptionGroup var options: TrialHookOptions

    func run() async throws {
        let layout = options.device.layout, data = options.data
        var health: HealthReport?
        if case .state(let state)? = try? StateFile(layout: layout).read(), let u = state.update, u.phase == .trial,
           layout.version(.current) == u.candidate, let run = u.starts.last {
            health = await Self.probe(data, startedSince: run)
        }
        try options.finish(options.run { () throws(UpdateError) in try options.hooks.check(health: health, now: WallClock.nowMilliseconds()) }, "check")
    }

    /// The running agent's health as its API shows it: an answer to
    /// /api/v1/status with the agent's row means it is ready (the API is
    /// served once boot is done), its store open and its recorders adopted;
    /// the cloud is reachable when its link is connected (or no cloud).
    /// Only an agent started since the guard's last start (which pointed
    /// `current` at the candidate) speaks for the candidate: an old agent
    /// still answering, or a failed switch, is no report.
    static func probe(_ data: DataDirectoryOptions, startedSince run: Int64) async -> HealthReport? {
        let at = WallClock.nowMilliseconds()
        guard let answer = try? await LocalAPIHealth.status(data), let agent = answer["agent"], agent != .null,
              agent["running"] == .bool(true), let uptime = Self.seconds(agent["uptime_s"]),
              at - Int64(uptime * 1000) >= run - 100 else { return nil }
        let cloud = answer["cloud"]
        // /api/v1/status shows the link as `link` (no `cloud` without a cloud configured).
        let reachable = cloud == nil || cloud == .null || cloud?["link"]?.stringValue == "connected"
        return HealthReport(at: at, ready: true, storeOpen: true, recordersAdopted: true, cloudReachable: reachable)
    }
}

/// Short reads of the running agent's API for the OTA commands (3 s: a
/// hung agent is no answer, and the check runs every 5 s).
extension OTACheck {
    static func seconds(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        default: nil
        }
    }
}

enum LocalAPIHealth {
    static func get(_ data: DataDirectoryOptions, _ path: String) async throws -> JSONValue? {
        let response = try await LocalAPIClient(socketPath: data.socketPath, timeout: .seconds(3)).request("GET", path)
        return (200..<300).contains(response.status) ? response.json : nil
    }

    static func status(_ data: DataDirectoryOptions) async throws -> JSONValue? {
        try await get(data, "/api/v1/status")
    }
}

struct OTARollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Put the previous version back (during a trial, or after a commit) and mark this one bad; restarts the service.")

    @OptionGroup var options: TrialHookOptions

    func run() throws {
        try options.finish(options.run { () throws(UpdateError) in try options.hooks.rollback(now: WallClock.nowMilliseconds()) }, "rollback")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
