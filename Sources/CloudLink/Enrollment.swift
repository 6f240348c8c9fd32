import CamgateCore
import HTTPClient

/// What enrollment gives a device (docs/protocol.md, "Enrollment").
public struct DeviceCredentials: Sendable, Equatable {
    public var deviceID: String
    /// Secret: goes to a 0600 file only, never to a log or an answer.
    public var deviceToken: String

    public init(deviceID: String, deviceToken: String) {
        self.deviceID = deviceID
        self.deviceToken = deviceToken
    }
}

/// Why enrollment failed, with the exit code the CLI ends with (sysexits).
public struct EnrollmentFailure: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Network errors and 5xx / 408 / 429 until the time budget ran out.
        case unreachable
        /// 401: the enrollment token was refused.
        case rejected
        /// 409: the enrollment token was used already.
        case tokenUsed = "token_used"
        /// An answer outside the contract: garbage, a redirect, another status.
        case protocolError = "protocol"
        /// TLS could not verify the endpoint: retrying cannot help.
        case tls
    }

    public var kind: Kind
    public var message: String
    /// Worth another try (network, 5xx, 408, 429).
    public var retryable: Bool

    public init(_ kind: Kind, _ message: String, retryable: Bool = false) {
        self.kind = kind
        self.message = message
        self.retryable = retryable
    }

    public var description: String { message }

    /// sysexits: 69 unavailable, 77 no permission, 76 protocol.
    public var exitCode: Int32 {
        switch kind {
        case .unreachable, .tls: 69
        case .rejected, .tokenUsed: 77
        case .protocolError: 76
        }
    }
}

/// The enrollment exchange's pure parts: the request body and what an
/// answer means.
public enum Enrollment {
    public static let responseLimit = 16 << 10

    public static func requestBody(token: String, name: String, hardware: JSONValue, board: String?, architecture: String) -> [UInt8] {
        let body: JSONValue = .object([
            "enrollment_token": .string(token), "name": .string(name), "hardware": hardware,
            "agent_version": .string(CamgateCore.version), "board": board.map(JSONValue.string) ?? .null,
            "architecture": .string(architecture),
        ])
        return Array(body.serialized().utf8)
    }

    /// What an HTTP answer means. A redirect is never followed: the token
    /// would go to a host the operator did not name.
    public static func classify(status: Int, body: [UInt8], location: String?, endpoint: Endpoint) -> Result<DeviceCredentials, EnrollmentFailure> {
        switch status {
        case 200, 201:
            guard let json = try? JSONValue.parse(body), let id = json["device_id"]?.stringValue, isDeviceID(id),
                  let token = json["device_token"]?.stringValue, isToken(token) else {
                return .failure(EnrollmentFailure(.protocolError, "\(endpoint.host) answered \(status) without a valid device_id and device_token: is \(endpoint) a camgate cloud?"))
            }
            return .success(DeviceCredentials(deviceID: id, deviceToken: token))
        case 300...399:
            let target = location.flatMap { try? endpoint.resolving($0) }
            let whereTo = target.map { $0.sameOrigin(endpoint) ? "\($0.host) (same host)" : "another host, \($0.host)" } ?? "an unreadable location"
            return .failure(EnrollmentFailure(.protocolError, "\(endpoint.host) redirected enrollment (\(status)) to \(whereTo): refused, the enrollment token is sent only to the endpoint given; use the final URL as --endpoint"))
        case 401:
            return .failure(EnrollmentFailure(.rejected, "the enrollment token was refused (401)\(serverMessage(body)): check the token file"))
        case 409:
            return .failure(EnrollmentFailure(.tokenUsed, "the enrollment token was used already (409)\(serverMessage(body)): ask the cloud for a new one"))
        case 408, 429, 500...599:
            return .failure(EnrollmentFailure(.unreachable, "\(endpoint.host) answered \(status)\(serverMessage(body))", retryable: true))
        default:
            return .failure(EnrollmentFailure(.protocolError, "\(endpoint.host) answered \(status)\(serverMessage(body)), which enrollment does not expect"))
        }
    }

    /// The server's `{"error": "..."}`, quoted and cut.
    static func serverMessage(_ body: [UInt8]) -> String {
        guard let json = try? JSONValue.parse(body) else { return "" }
        let text = json["error"]?.stringValue ?? json["error"]?["message"]?.stringValue
        return text.map { ": \(CameraID.quoted($0))" } ?? ""
    }

    /// The device id rule of the configuration's `cloud.device_id`.
    public static func isDeviceID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 128 && id.first != "."
            && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// A bearer token: visible ASCII, no spaces, 8–4096 bytes.
    public static func isToken(_ token: String) -> Bool {
        (8...4096).contains(token.utf8.count) && token.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

/// Sends the enrollment request, retrying network errors and 5xx with
/// backoff until `budget` is spent.
public struct Enroller: Sendable {
    public var transport: HTTPTransport
    public var endpoint: Endpoint
    public var backoff = Backoff(initial: .seconds(1), maximum: .seconds(15), jitter: .proportional(0.2))

    public init(transport: HTTPTransport, endpoint: Endpoint) {
        self.transport = transport
        self.endpoint = endpoint
    }

    public func enroll(body: [UInt8], budget: Duration, random: @Sendable () -> Double,
                       progress: (String) -> Void) async throws(EnrollmentFailure) -> DeviceCredentials {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            let failure: EnrollmentFailure
            switch await once(body: body, timeout: min(.seconds(30), max(.seconds(1), budget - (clock.now - start)))) {
            case .success(let credentials): return credentials
            case .failure(let f): failure = f
            }
            let delay = backoff.delay(attempt: attempt, random: random())
            guard failure.retryable, clock.now - start + delay < budget else {
                if failure.retryable {
                    throw EnrollmentFailure(.unreachable, "enrollment at \(endpoint) failed for \(Int((clock.now - start).components.seconds)) s (\(attempt + 1) attempts); last: \(failure.message)")
                }
                throw failure
            }
            progress("enrollment attempt \(attempt + 1) failed (\(failure.message)); retrying in \(Enroller.seconds(delay)) s")
            try? await Task.sleep(for: delay)
            attempt += 1
        }
    }

    static func seconds(_ d: Duration) -> String {
        let tenths = d.components.seconds * 10 + d.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    private func once(body: [UInt8], timeout: Duration) async -> Result<DeviceCredentials, EnrollmentFailure> {
        let request = HTTPRequest(method: .POST, endpoint: endpoint.appending(path: "/v1/enroll"),
                                  headers: [("Content-Type", "application/json"), ("Accept", "application/json")], body: body)
        do {
            let answer = try await transport.execute(request, idleTimeout: timeout) { start, reader in
                var bytes: [UInt8] = []
                while let chunk = try await reader.next() {
                    guard bytes.count + chunk.count <= Enrollment.responseLimit else { throw HTTPTransport.ResponseTooLarge(limit: Enrollment.responseLimit) }
                    bytes += chunk
                }
                return (start.status, bytes, start.header("Location"))
            }
            return Enrollment.classify(status: answer.0, body: answer.1, location: answer.2, endpoint: endpoint)
        } catch let tooLarge as HTTPTransport.ResponseTooLarge {
            return .failure(EnrollmentFailure(.protocolError, "\(endpoint.host) answered enrollment with \(tooLarge)"))
        } catch {
            let text = HTTPTransport.describe(error)
            if text.hasPrefix("TLS") { return .failure(EnrollmentFailure(.tls, "\(endpoint.host): \(text)")) }
            return .failure(EnrollmentFailure(.unreachable, "\(endpoint.host) is unreachable: \(text)", retryable: true))
        }
    }
}
