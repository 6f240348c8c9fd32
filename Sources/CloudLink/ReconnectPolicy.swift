import CamgateCore

/// How an event-stream connection ended.
public enum StreamOutcome: Hashable, Sendable {
    /// The server closed the stream (or it was dropped) after a 200.
    case ended(receivedEvents: Bool)
    /// No byte (not even a `: ping`) for the idle limit: a dead link.
    case idleTimeout
    /// DNS, connect, TLS or read failure.
    case networkError(String)
    /// An HTTP status other than 200 and the redirects.
    case status(Int)
    /// 200 with a Content-Type that is not text/event-stream.
    case wrongContentType(String)
    /// An event over the size limit: the connection was dropped.
    case eventTooLarge
    /// A redirect; `location` already resolved.
    case redirect(Endpoint)
}

/// What the client does next.
public enum StreamDecision: Hashable, Sendable {
    case reconnect(after: Duration)
    case follow(Endpoint)
    /// Stop reconnecting until the agent restarts or is asked to reconnect.
    case stop(StopReason)
}

public enum StopReason: String, Hashable, Sendable {
    /// 204 No Content: the server asked the client to stop.
    case noContent = "the server answered 204 No Content"
    /// 401 / 403: the device token was rejected.
    case credentialRejected = "the device token was rejected (401/403)"
}

/// The reconnect schedule of the cloud link, as a value: exponential backoff
/// with full jitter between 1 s and 60 s (the base raised by the server's
/// `retry:` within those bounds), reset by a connection that delivered
/// events; at most 5 redirects in a row.
public struct ReconnectPolicy: Hashable, Sendable {
    public static let minimumDelay: Duration = .seconds(1)
    public static let maximumDelay: Duration = .seconds(60)
    public static let maximumRedirects = 5

    public private(set) var failures = 0
    public private(set) var redirects = 0
    /// The server's `retry:` hint, clamped to [1 s, 60 s].
    public private(set) var retryHint: Duration?

    public init() {}

    public mutating func serverAsked(retryMilliseconds: Int) {
        let asked = Duration.milliseconds(Int64(min(retryMilliseconds, 3_600_000)))
        retryHint = min(max(asked, ReconnectPolicy.minimumDelay), ReconnectPolicy.maximumDelay)
    }

    public var backoff: Backoff {
        Backoff(initial: retryHint ?? ReconnectPolicy.minimumDelay, maximum: ReconnectPolicy.maximumDelay, jitter: .full)
    }

    public mutating func decide(after outcome: StreamOutcome, random: Double) -> StreamDecision {
        if case .redirect(let target) = outcome {
            redirects += 1
            if redirects <= ReconnectPolicy.maximumRedirects { return .follow(target) }
            redirects = 0
            return reconnect(random: random)
        }
        redirects = 0
        switch outcome {
        case .status(204):
            return .stop(.noContent)
        case .status(401), .status(403):
            return .stop(.credentialRejected)
        default:
            return reconnect(random: random)
        }
    }

    private mutating func reconnect(random: Double) -> StreamDecision {
        let delay = backoff.delay(attempt: failures, random: random)
        failures += 1
        return .reconnect(after: delay)
    }

    /// A connection this long was healthy, whatever it carried.
    public static let stableConnection: Duration = .seconds(30)

    /// Whether a connection that ended earns a fresh schedule: it brought
    /// events the agent had not seen (the resume point moved), or it stayed
    /// up `stableConnection`. A server that accepts and drops at once —
    /// re-sending what the agent already has — does not: its reconnects
    /// back off like any failure.
    public static func startsOver(newEvents: Bool, connectedFor: Duration?) -> Bool {
        newEvents || (connectedFor.map { $0 >= stableConnection } ?? false)
    }

    /// The next failure starts at attempt 0.
    public mutating func connected() {
        failures = 0
    }
}
