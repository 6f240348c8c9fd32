import Foundation
import CamgateCore
import CloudLink
import NIOCore
import Platform

/// The real `camgate-cloud-sim` binary on a free loopback port, and a small
/// client for its control API.
public final class CloudSimulatorProcess: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    public let tokenFile: String
    public let transport: HTTPTransport
    public var base: String { "\(scheme)://127.0.0.1:\(port)" }
    let scheme: String

    public init(directory: String, token: String = "tok-\(UInt32.random(in: 0...UInt32.max))", port: Int? = nil, pingInterval: Double = 1,
                extraArguments: [String] = [], tls: (certificate: String, key: String)? = nil, caFile: String? = nil) async throws {
        tokenFile = "\(directory)/device.token"
        if !FileManager.default.fileExists(atPath: tokenFile) {
            try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
            chmod(tokenFile, 0o600)
        }
        scheme = tls == nil ? "http" : "https"
        var args = ["--port", String(port ?? 0), "--token-file", tokenFile, "--ping-interval", String(pingInterval),
                    "--state-file", "\(directory)/sim-state.json"] + extraArguments
        if let tls { args += ["--tls-certificate", tls.certificate, "--tls-key", tls.key] }
        let log = "\(directory)/sim-\(UInt32.random(in: 0...UInt32.max)).log"
        process = try ChildProcess("\(Repository.productsDirectory)/camgate-cloud-sim", args, logPath: log)
        let process = process
        guard await waitUntil(timeout: .seconds(10), { process.log.contains("listening on") || !process.isRunning }),
              let line = process.log.split(separator: "\n").first(where: { $0.contains("listening on") }),
              let portText = line.split(separator: ":").last?.split(separator: " ").first, let bound = Int(portText) else {
            throw SimulatorError(description: "the cloud simulator did not start: \(process.log)")
        }
        self.port = bound
        transport = try HTTPTransport(caFile: caFile)
    }

    public struct SimulatorError: Error, CustomStringConvertible { public var description: String }

    public var token: String { (try? String(contentsOfFile: tokenFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }

    /// The agent config's `cloud` section for this simulator.
    public func cloudSection(deviceID: String = "dev-1", extra: String = "") -> String {
        #"{"endpoint": "\#(base)", "device_id": "\#(deviceID)", "token_file": "\#(tokenFile)"\#(extra)}"#
    }

    /// A control call. A connection refused or closed before the request
    /// was written (seen once in a full test run on this loaded 2-core machine)
    /// is tried again; an HTTP error status is not.
    @discardableResult
    public func control(_ method: String, _ path: String, _ body: String = "{}") async throws -> JSONValue {
        let endpoint = try Endpoint(parsing: "\(base)/control/\(path)")
        let request = HTTPRequest(method: method == "GET" ? .GET : .POST, endpoint: endpoint,
                                  headers: [("Content-Type", "application/json")], body: method == "GET" ? nil : Array(body.utf8))
        var attempt = 0
        let (status, bytes): (Int, [UInt8])
        while true {
            do {
                (status, bytes) = try await transport.send(request, limit: 64 << 20)
                break
            } catch let error as ChannelError where error == .ioOnClosedChannel && attempt < 2 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        guard status == 200 else { throw SimulatorError(description: "control \(path): HTTP \(status) \(String(decoding: bytes, as: UTF8.self))") }
        return try JSONValue.parse(bytes)
    }

    public func reports() async throws -> [JSONValue] {
        guard case .array(let items)? = try await control("GET", "reports")["items"] else { return [] }
        return items
    }

    public func acks() async throws -> [JSONValue] { try await reports().filter { $0["kind"]?.stringValue == "ack" } }

    public func stats() async throws -> JSONValue { try await control("GET", "stats") }

    public func stop() async {
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(5))
        await transport.shutdown()
    }
}

/// A self-signed certificate for `localhost` / 127.0.0.1 made with openssl.
public func makeTestCertificate(in directory: String) throws -> (certificate: String, key: String) {
    let cert = "\(directory)/cert.pem", key = "\(directory)/key.pem"
    let result = try runProgram("/usr/bin/openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                                     "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                                                     "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    guard result.status == 0 else { throw CloudSimulatorProcess.SimulatorError(description: "openssl: \(result.output)") }
    return (cert, key)
}
