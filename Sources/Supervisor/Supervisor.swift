#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// Owns the agent's child processes: starts them in their own process
/// group, adopts the ones a previous agent left running (same boot, same
/// start time), reports every exit, and stops them as a group
/// (SIGTERM → grace → SIGKILL).
///
/// Restart decisions are not made here: exits are reported on `exits`, and
/// the agent's reconciler decides (see `Reconciler`, `RestartTracker`).
public actor Supervisor {
    /// A supervised process.
    public struct Child: Sendable, Equatable {
        public var key: WorkloadKey
        public var identity: ProcessIdentity
        public var fingerprint: String
        public var startedAt: ContinuousClock.Instant
        public var startedAtMs: Int64
        public var logFile: String
        /// Started by a previous agent and taken over by this one.
        public var adopted: Bool
        /// A stop was requested: its exit is not a failure.
        public var stopping: Bool
    }

    /// A child that ended.
    public struct Exit: Sendable {
        public var child: Child
        public var status: ExitStatus
        /// The agent asked it to stop (not a crash).
        public var requested: Bool
        public var ranFor: Duration
        /// The last lines of its log, redacted.
        public var logTail: [String]
    }

    public nonisolated let bootID: String
    public nonisolated let exits: AsyncStream<Exit>
    private let exitContinuation: AsyncStream<Exit>.Continuation
    private let watcher = ExitWatcher()
    private var children: [WorkloadKey: Child] = [:]
    private var keysByPID: [Int32: WorkloadKey] = [:]
    private var signals: [Int32: ExitSignal] = [:]

    public init(bootID: String) {
        self.bootID = bootID
        (exits, exitContinuation) = AsyncStream.makeStream(of: Exit.self)
    }

    /// Processes exit notifications until cancelled. Must run for exits to
    /// be reported (the agent runs it in its task group).
    public func run() async {
        for await event in watcher.events {
            handle(event)
        }
    }

    /// Stops the exit watcher thread. Call after `stopAll`.
    public func shutdown() {
        watcher.shutdown()
        exitContinuation.finish()
    }

    public var running: [WorkloadKey: Child] { children }

    public func child(_ key: WorkloadKey) -> Child? { children[key] }

    /// Starts `spec` under `key`. Throws when the program cannot be spawned
    /// (missing binary, unwritable log), or when a process still runs under
    /// `key` (one that did not die even from SIGKILL, e.g. stuck in the kernel).
    @discardableResult
    public func start(_ key: WorkloadKey, spec: ProcessSpec) throws(SystemError) -> Child {
        if let existing = children[key] {
            throw SystemError(call: "start", errno: EBUSY, subject: "\(key) still runs as \(existing.identity)")
        }
        let now = ContinuousClock.now
        let wallMs = WallClock.nowMilliseconds()
        let pid = try Spawner.spawn(spec)
        // The process exists (at least as a zombie) until reaped by the
        // watcher, so its start time can always be read here.
        let startTime = ProcFS.stat(pid: pid)?.startTime ?? 0
        let child = Child(key: key, identity: ProcessIdentity(bootID: bootID, pid: pid, startTime: startTime),
                          fingerprint: spec.fingerprint, startedAt: now, startedAtMs: wallMs,
                          logFile: spec.logFile, adopted: false, stopping: false)
        register(child)
        watcher.watch(pid: pid, ownChild: true)
        return child
    }

    /// Takes over a process a previous agent started, when it still runs:
    /// same boot, same pid *and* same start time (a reused pid is not it).
    /// Returns nil (and signals nothing) otherwise.
    public func adopt(_ key: WorkloadKey, identity: ProcessIdentity, fingerprint: String, startedAtMs: Int64, logFile: String) -> Child? {
        guard children[key] == nil, ProcFS.isRunning(identity, currentBootID: bootID) else { return nil }
        let ageMs = max(0, WallClock.nowMilliseconds() - startedAtMs)
        let child = Child(key: key, identity: identity, fingerprint: fingerprint,
                          startedAt: ContinuousClock.now - .milliseconds(ageMs), startedAtMs: startedAtMs,
                          logFile: logFile, adopted: true, stopping: false)
        register(child)
        watcher.watch(pid: identity.pid, ownChild: false)
        return child
    }

    /// Records that a running child's command line is now `fingerprint`
    /// without restarting it: the new command applies at its next start
    /// (a `url_update` with `restart_required: false`).
    public func acceptFingerprint(_ key: WorkloadKey, _ fingerprint: String) {
        children[key]?.fingerprint = fingerprint
    }

    /// Stops a child: SIGTERM to its process group, then SIGKILL after
    /// `grace`. Returns when it is gone.
    public func stop(_ key: WorkloadKey, grace: Duration = .seconds(5)) async {
        guard var child = children[key] else { return }
        child.stopping = true
        children[key] = child
        let pid = child.identity.pid
        signalGroup(child, SIGTERM)
        if await waitForExit(pid: pid, timeout: grace) { return }
        signalGroup(child, SIGKILL)
        _ = await waitForExit(pid: pid, timeout: .seconds(5))
    }

    /// SIGCONT to a child's process group: a stopped (SIGSTOP) child can
    /// then act on the SIGTERM of `stop` and close its output cleanly.
    public func resume(_ key: WorkloadKey) {
        guard let child = children[key] else { return }
        signalGroup(child, SIGCONT)
    }

    /// Stops every child concurrently.
    public func stopAll(grace: Duration = .seconds(5)) async {
        await withTaskGroup(of: Void.self) { group in
            for key in children.keys {
                group.addTask { await self.stop(key, grace: grace) }
            }
        }
    }

    // MARK: - internals

    private func register(_ child: Child) {
        children[child.key] = child
        keysByPID[child.identity.pid] = child.key
        signals[child.identity.pid] = ExitSignal()
    }

    /// Signals the child's process group, which it leads (pgid == pid).
    /// Never signals a group it does not lead: that could be the agent's.
    private func signalGroup(_ child: Child, _ signal: Int32) {
        let pid = child.identity.pid
        guard ProcFS.isRunning(child.identity, currentBootID: bootID) || !child.adopted else { return }
        if let st = ProcFS.stat(pid: pid), st.processGroup == pid {
            kill(-pid, signal)
        } else {
            kill(pid, signal)
        }
    }

    private func waitForExit(pid: Int32, timeout: Duration) async -> Bool {
        guard keysByPID[pid] != nil, let signal = signals[pid] else { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await signal.wait(); return true }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func handle(_ event: ExitWatcher.Event) {
        guard let key = keysByPID.removeValue(forKey: event.pid), let child = children.removeValue(forKey: key) else { return }
        signals.removeValue(forKey: event.pid)?.fire()
        let exit = Exit(child: child, status: event.status, requested: child.stopping,
                        ranFor: ContinuousClock.now - child.startedAt, logTail: LogFile.lastLines(child.logFile))
        exitContinuation.yield(exit)
    }
}
