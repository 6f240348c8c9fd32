/// When a workload that exited may be started again: exponential backoff per
/// consecutive failure, and a circuit breaker that parks a workload failing
/// again and again.
public struct RestartPolicy: Hashable, Sendable {
    public var backoff: Backoff
    /// This many failures within `failureWindow` open the circuit…
    public var failureThreshold: Int
    public var failureWindow: Duration
    /// …for this long; then one trial start is allowed (half-open).
    public var cooldown: Duration
    /// A run at least this long counts as healthy: backoff starts over.
    public var healthyRun: Duration

    public init(backoff: Backoff = Backoff(), failureThreshold: Int = 5, failureWindow: Duration = .seconds(120),
                cooldown: Duration = .seconds(300), healthyRun: Duration = .seconds(30)) {
        self.backoff = backoff
        self.failureThreshold = failureThreshold
        self.failureWindow = failureWindow
        self.cooldown = cooldown
        self.healthyRun = healthyRun
    }
}

/// The restart state of one workload. A value: every transition takes the
/// instants and the random number it needs.
public struct RestartTracker: Hashable, Sendable {
    public enum Hold: Hashable, Sendable {
        case backoff(until: ContinuousClock.Instant, attempt: Int)
        case circuitOpen(until: ContinuousClock.Instant)

        public var until: ContinuousClock.Instant {
            switch self {
            case .backoff(let until, _), .circuitOpen(let until): until
            }
        }
    }

    public let policy: RestartPolicy
    public private(set) var consecutiveFailures = 0
    public private(set) var recentFailures: [ContinuousClock.Instant] = []
    public private(set) var hold: Hold?
    /// The circuit was open and the next start is its trial.
    public private(set) var halfOpen = false

    public init(policy: RestartPolicy = RestartPolicy()) {
        self.policy = policy
    }

    /// True while the circuit breaker keeps the workload parked.
    public func isCircuitOpen(at now: ContinuousClock.Instant) -> Bool {
        if case .circuitOpen(let until) = hold { return until > now }
        return false
    }

    /// The workload exited on its own after running since `startedAt`.
    @discardableResult
    public mutating func recordExit(startedAt: ContinuousClock.Instant, exitedAt: ContinuousClock.Instant, random: Double) -> Hold {
        let healthy = exitedAt - startedAt >= policy.healthyRun
        if healthy {
            consecutiveFailures = 0
            recentFailures.removeAll()
            halfOpen = false
        }
        consecutiveFailures += 1
        recentFailures.append(exitedAt)
        let window = policy.failureWindow
        recentFailures.removeAll { exitedAt - $0 > window }

        if halfOpen || recentFailures.count >= policy.failureThreshold {
            halfOpen = true
            hold = .circuitOpen(until: exitedAt + policy.cooldown)
        } else {
            let attempt = consecutiveFailures - 1
            hold = .backoff(until: exitedAt + policy.backoff.delay(attempt: attempt, random: random), attempt: consecutiveFailures)
        }
        return hold!
    }

    /// The workload was stopped because it stalled (it wrote nothing but
    /// did not exit). It counts as a failure (backoff, circuit breaker), but
    /// the first one after a good run is restarted at once (nil): the gap
    /// has already lasted the stall limit. One that keeps stalling backs
    /// off like a crash loop.
    public mutating func recordStall(startedAt: ContinuousClock.Instant, at now: ContinuousClock.Instant, random: Double) -> Hold? {
        let hold = recordExit(startedAt: startedAt, exitedAt: now, random: random)
        guard case .backoff = hold, consecutiveFailures == 1 else { return hold }
        self.hold = nil
        return nil
    }

    /// The workload cannot run for want of disk space, which is not its
    /// failure: held until `until` without counting toward backoff or the
    /// circuit breaker.
    @discardableResult
    public mutating func waitForRoom(until: ContinuousClock.Instant) -> Hold {
        hold = .backoff(until: until, attempt: consecutiveFailures)
        return hold!
    }

    /// Forgets every failure: an operator asked for a restart, or the
    /// workload's configuration changed.
    public mutating func reset() {
        consecutiveFailures = 0
        recentFailures.removeAll()
        hold = nil
        halfOpen = false
    }
}
