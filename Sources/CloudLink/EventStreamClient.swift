import CamgateCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The state of the cloud link, as the agent records and shows it.
public enum LinkState: Sendable, Equatable {
    case connecting
    case connected
    /// Disconnected; the next attempt is after `retryIn`.
    case waiting(error: String, retryIn: Duration)
    /// Not reconnecting until the agent restarts or is asked to reconnect.
    case stopped(StopReason)
}

/// Where the event stream delivers, and where it keeps its place.
public protocol EventStreamSink: Sendable {
    /// The id to resume from (`Last-Event-ID`), nil on first contact and
    /// after an empty `id:` reset it.
    func resumeID() async -> String?
    /// One dispatched event, in stream order. Returns when it is stored (and
    /// handled): the stream is not read meanwhile. Throwing (it could not be
    /// stored) drops the connection: the event comes again after a reconnect.
    func receive(_ event: SSEParser.Event) async throws
    func linkChanged(_ state: LinkState) async
    /// An event was dropped for its size; `id` (when it had one) becomes the
    /// resume point so that it is not sent again.
    func skipped(id: String?, reason: String) async
    /// The parser committed a last event id without dispatching an event
    /// (an `id:` with no data): it is the resume point all the same; empty
    /// means there is none any more.
    func committed(id: String) async
}

/// Follows the device's event stream: connects, parses (bounded, WHATWG
/// rules), hands each event to the sink, and reconnects per
/// `ReconnectPolicy`. Stops on 204 and on 401/403 until `reconnectNow()`.
public final class EventStreamClient: Sendable {
    public static let idleLimit: Duration = .seconds(45)

    let transport: HTTPTransport
    let endpoint: Endpoint
    let token: @Sendable () -> String?
    let sink: any EventStreamSink
    let logger: Logger
    let idleLimit: Duration
    let maximumEventBytes: Int
    private let doorbell = Doorbell()

    public init(transport: HTTPTransport, events endpoint: Endpoint, token: @escaping @Sendable () -> String?, sink: any EventStreamSink,
                logger: Logger, idleLimit: Duration = EventStreamClient.idleLimit, maximumEventBytes: Int = SSEParser.defaultMaximumEventBytes) {
        self.transport = transport
        self.endpoint = endpoint
        self.token = token
        self.sink = sink
        self.logger = logger
        self.idleLimit = idleLimit
        self.maximumEventBytes = maximumEventBytes
    }

    /// Ends a wait (backoff or stop) and connects at once.
    public func reconnectNow() {
        doorbell.ring()
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var policy = ReconnectPolicy()
        var target = endpoint
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            await sink.linkChanged(.connecting)
            let before = await sink.resumeID()
            let attempt = await connectOnce(target)
            let newEvents = await sink.resumeID() != before
            if ReconnectPolicy.startsOver(newEvents: newEvents, connectedFor: attempt.connectedFor) { policy.connected() }
            if let retry = attempt.retryMilliseconds { policy.serverAsked(retryMilliseconds: retry) }
            let decision = policy.decide(after: attempt.outcome, random: Double.random(in: 0..<1, using: &random))
            switch decision {
            case .follow(let next):
                logger.info("cloud: following a redirect", metadata: ["to": "\(Redactor.redactURL(next.description))"])
                target = next
                continue
            case .reconnect(let delay):
                target = endpoint
                let error = describe(attempt.outcome)
                logger.warning("cloud: disconnected: \(error); reconnecting in \(delay)")
                await sink.linkChanged(.waiting(error: error, retryIn: delay))
                await doorbell.wait(timeout: delay)
            case .stop(let reason):
                target = endpoint
                logger.error("cloud: not reconnecting: \(reason.rawValue); working offline until `camgate cloud reconnect`")
                await sink.linkChanged(.stopped(reason))
                await doorbell.wait()
                policy = ReconnectPolicy()
            }
        }
    }

    struct Attempt: Sendable {
        var outcome: StreamOutcome
        var receivedEvents = false
        var retryMilliseconds: Int?
        /// How long the stream was open (nil: it never was).
        var connectedFor: Duration?
    }

    /// Tracks what one connection delivered, across the `@Sendable` body.
    private final class Progress: Sendable {
        let received = Mutex(false)
        let retry = Mutex<Int?>(nil)
        let openedAt = Mutex<ContinuousClock.Instant?>(nil)

        func attempt(_ outcome: StreamOutcome) -> Attempt {
            Attempt(outcome: outcome, receivedEvents: received.withLock { $0 }, retryMilliseconds: retry.withLock { $0 },
                    connectedFor: openedAt.withLock { $0 }.map { ContinuousClock.now - $0 })
        }
    }

    private func connectOnce(_ target: Endpoint) async -> Attempt {
        let resume = await sink.resumeID() ?? ""
        var headers: [(String, String)] = [("Accept", "text/event-stream"), ("Cache-Control", "no-cache")]
        if let token = token() { headers.append(("Authorization", "Bearer \(token)")) }
        if !resume.isEmpty { headers.append(("Last-Event-ID", resume)) }
        let progress = Progress()
        let sink = sink, maximum = maximumEventBytes
        do {
            let outcome = try await transport.execute(HTTPRequest(method: .GET, endpoint: target, headers: headers), idleTimeout: idleLimit) { start, reader in
                switch start.status {
                case 200:
                    break
                case 301, 302, 303, 307, 308:
                    // Same origin only: the bearer token must not follow a redirect to another host.
                    guard let location = start.header("Location"), let next = try? target.resolving(location), next.sameOrigin(target) else {
                        return StreamOutcome.status(start.status)
                    }
                    return .redirect(next)
                default:
                    return .status(start.status)
                }
                let contentType = start.header("Content-Type") ?? ""
                let mediaType = contentType.split(separator: ";").first.map { String($0).trimmed().lowercased() } ?? ""
                guard mediaType == "text/event-stream" else { return .wrongContentType(contentType) }
                progress.openedAt.withLock { $0 = .now }
                await sink.linkChanged(.connected)
                var parser = SSEParser(maximumEventBytes: maximum, lastEventID: resume)
                var committed = resume
                while let chunk = try await reader.next() {
                    let events = try parser.feed(chunk)
                    if let retry = parser.retryMilliseconds { progress.retry.withLock { $0 = retry } }
                    for event in events {
                        progress.received.withLock { $0 = true }
                        try await sink.receive(event)
                    }
                    committed = events.last?.lastEventID ?? committed
                    if parser.lastEventID != committed {
                        // An `id:` ended a block without data: no event, but
                        // the id counts; an empty one clears the resume point.
                        committed = parser.lastEventID
                        await sink.committed(id: committed)
                    }
                }
                parser.finish()
                return .ended(receivedEvents: progress.received.withLock { $0 })
            }
            return progress.attempt(outcome)
        } catch let tooLarge as SSEParser.TooLarge {
            logger.error("cloud: dropping the connection: \(tooLarge)")
            await sink.skipped(id: tooLarge.eventID, reason: "\(tooLarge)")
            return progress.attempt(.eventTooLarge)
        } catch is IdleTimeout {
            return progress.attempt(.idleTimeout)
        } catch {
            return progress.attempt(.networkError(EventStreamClient.describe(error)))
        }
    }

    /// A network error in an operator's words.
    public static func describe(_ error: any Error) -> String {
        HTTPTransport.describe(error)
    }

    func describe(_ outcome: StreamOutcome) -> String {
        switch outcome {
        case .ended(let received): received ? "the server closed the stream" : "the server closed the stream before any event"
        case .idleTimeout: "no data for \(idleLimit) (dead link)"
        case .networkError(let e): Redactor.redact(e)
        case .status(let code) where (300..<400).contains(code): "HTTP \(code): a redirect to another origin is not followed (the token would go with it)"
        case .status(let code): "HTTP \(code)"
        case .wrongContentType(let type): "wrong Content-Type \(CameraID.quoted(type)) (expected text/event-stream)"
        case .eventTooLarge: "an event over \(maximumEventBytes) bytes"
        case .redirect(let to): "too many redirects (last to \(Redactor.redactURL(to.description)))"
        }
    }
}

extension String {
    func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
