import CamgateCore
import Logging
import NIOHTTP1

/// An outbox item: its sequence number and its JSON (without `seq`).
public struct OutboxItem: Sendable, Equatable {
    public var seq: Int64
    public var json: JSONValue

    public init(seq: Int64, json: JSONValue) {
        self.seq = seq
        self.json = json
    }
}

/// The persistent outbox the uplink drains.
public protocol ReportSource: Sendable {
    /// The oldest unsent items, in `seq` order.
    func pendingReports(limit: Int) async -> [OutboxItem]
    /// The cloud has every item up to and including `seq`.
    func acknowledgeReports(upTo seq: Int64) async
    func uplinkFailed(_ error: String, credentialRejected: Bool) async
}

/// Sends the outbox to `POST {endpoint}/v1/devices/{id}/reports` in `seq`
/// order, batch by batch, until it is empty; retries with backoff (full
/// jitter, 1 s … 60 s). Items leave the outbox only when the cloud's
/// `ack_seq` covers them: at least once, never dropped.
public final class ReportUplink: Sendable {
    public static let batchSize = 100

    let transport: HTTPTransport
    let endpoint: Endpoint
    let token: @Sendable () -> String?
    let source: any ReportSource
    let logger: Logger
    /// Rung for new outbox items: heard only when not backing off.
    let doorbell = Doorbell()
    /// Rung when the cloud is known to be back (the event stream connected,
    /// or `camgate cloud reconnect`): ends a backoff or a stop.
    let wake = Doorbell()

    public init(transport: HTTPTransport, reports endpoint: Endpoint, token: @escaping @Sendable () -> String?, source: any ReportSource, logger: Logger) {
        self.transport = transport
        self.endpoint = endpoint
        self.token = token
        self.source = source
        self.logger = logger
    }

    /// Something was added to the outbox: flush now, unless a backoff runs
    /// (new items must not shorten it: a failing cloud would be hit at the
    /// rate items are queued).
    public func flushSoon() {
        doorbell.ring()
    }

    /// The cloud answers again (the event stream connected) or an operator
    /// asked: end a backoff, or the stop after a rejected token, now.
    public func retryNow() {
        wake.ring()
        doorbell.ring()
    }

    public func run() async {
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(60), jitter: .full)
        var failures = 0
        var random = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            let items = await source.pendingReports(limit: ReportUplink.batchSize)
            if items.isEmpty {
                await doorbell.wait()
                continue
            }
            do {
                let acked = try await send(items)
                await source.acknowledgeReports(upTo: acked)
                failures = 0
            } catch {
                let uplink = error as? UplinkError ?? UplinkError(description: EventStreamClient.describe(error))
                await source.uplinkFailed(uplink.description, credentialRejected: uplink.credentialRejected)
                let delay = backoff.delay(attempt: failures, random: Double.random(in: 0..<1, using: &random))
                failures += 1
                logger.warning("cloud: reports not delivered: \(uplink); retrying in \(delay)")
                // A rejected token waits for `camgate cloud reconnect`; anything else backs off.
                // Only `retryNow` ends the wait early, not new items.
                _ = await wake.wait(timeout: uplink.credentialRejected ? nil : delay)
            }
        }
    }

    struct UplinkError: Error, CustomStringConvertible {
        var description: String
        var credentialRejected = false
    }

    /// POSTs one batch; returns the `ack_seq` the cloud answered.
    func send(_ items: [OutboxItem]) async throws -> Int64 {
        let body = JSONValue.object(["items": .array(items.map { item in
            guard case .object(var fields) = item.json else { return item.json }
            fields["seq"] = .int(item.seq)
            return .object(fields)
        })]).serialized()
        var headers = [("Content-Type", "application/json")]
        if let token = token() { headers.append(("Authorization", "Bearer \(token)")) }
        let (status, response) = try await transport.send(HTTPRequest(method: .POST, endpoint: endpoint, headers: headers, body: Array(body.utf8)))
        switch status {
        case 200:
            guard let ack = (try? JSONValue.parse(response))?["ack_seq"]?.int64Value else {
                throw UplinkError(description: "the reports answer has no ack_seq")
            }
            guard ack >= items[0].seq else {
                throw UplinkError(description: "the cloud acknowledged seq \(ack), below the first item sent (\(items[0].seq))")
            }
            // Never more than was sent: an item queued meanwhile is not the cloud's yet.
            return min(ack, items[items.count - 1].seq)
        case 401, 403:
            throw UplinkError(description: "HTTP \(status): the device token was rejected", credentialRejected: true)
        default:
            throw UplinkError(description: "HTTP \(status)")
        }
    }
}
