import ArgumentParser
import CamgateCore
import CloudLink
import NIOSSL
import ObjectStore
import Platform

/// `camgate-cloud-sim`: the cloud of docs/protocol.md on loopback, with fault
/// switches, for tests, the benchmark and the demo.
@main
struct CloudSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camgate-cloud-sim",
        abstract: "A cloud for camgate on loopback: enrollment, the event stream, reports, and a control API.",
        discussion: """
        Control API (JSON bodies): POST /control/desired {desired state} · POST /control/command {command} · \
        POST /control/commands {"count": N, "template": {command}} · POST /control/event {"type", "data"} · \
        POST /control/raw {"text"} · POST /control/upload_faults {"statuses": [N…], "expire": N} · GET /control/uploads · POST /control/drop · POST /control/revoke · POST /control/token {"token"} · \
        POST /control/faults {"drop_every_s", "events_status", "content_type", "garbage_bytes", "stall", \
        "reports_status", "redirect", "ping_interval_s", "clear"} · GET /control/reports · GET /control/stats · \
        GET /control/events/ID
        """,
        subcommands: [Serve.self, Schedule.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the simulated cloud.")

    @Option(help: "Address to listen on (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Port; 0 picks a free one (printed).") var port = 8787
    @Option(help: "The device id.") var deviceID = "dev-1"
    @Option(help: "File holding the device token the stream and reports accept.") var tokenFile: String?
    @Option(help: "An enrollment token accepted once (repeatable).") var enrollmentToken: [String] = []
    @Option(help: "Seconds between `: ping` comments.") var pingInterval: Double = 15
    @Option(help: "Keep the event log and reports in this file across restarts.") var stateFile: String?
    @Option(help: "JSON lines appended to the event log at start: {\"type\", \"data\"} (data: object or string).") var script: String?
    @Option(help: "Serve HTTPS with this PEM certificate (and --tls-key).") var tlsCertificate: String?
    @Option(help: "The PEM private key for --tls-certificate.") var tlsKey: String?
    @Option(help: "S3 endpoint the upload targets are presigned for (http only on loopback).") var s3Endpoint: String?
    @Option(help: "The bucket of --s3-endpoint.") var s3Bucket = "camgate-test"
    @Option(help: "The region the URLs are signed for.") var s3Region = S3Target.defaultRegion
    @Option(help: "A 0600 JSON file with access_key_id and secret_access_key for --s3-endpoint.") var s3CredentialsFile: String?
    @Option(help: "The first component(s) of every object key.") var s3Prefix = "fleet"

    func run() async throws {
        let token = try tokenFile.map { try FileSystem.readText($0).split(whereSeparator: \.isNewline).first.map(String.init) ?? "" } ?? "dev-token"
        let state = SimulatorState(deviceID: deviceID, token: token, enrollmentTokens: Set(enrollmentToken),
                                   pingInterval: .milliseconds(Int64(pingInterval * 1000)), stateFile: stateFile)
        await state.load()
        if let script {
            for line in try FileSystem.readText(script).split(whereSeparator: \.isNewline) where !line.isEmpty {
                let json = try JSONValue.parse(String(line))
                let type = json["type"]?.stringValue ?? "message"
                switch (type, json["data"]) {
                case ("desired", let data?): _ = await state.appendDesired(data)
                case ("command", let data?): _ = await state.appendCommand(data)
                case (_, .string(let text)?): await state.append(type: type, data: text)
                case (_, let data?): await state.append(type: type, data: data.serialized())
                default: await state.append(type: type, data: "")
                }
            }
        }
        var tlsContext: NIOSSLContext?
        if let tlsCertificate, let tlsKey {
            let config = TLSConfiguration.makeServerConfiguration(certificateChain: try NIOSSLCertificate.fromPEMFile(tlsCertificate).map { .certificate($0) },
                                                                   privateKey: .privateKey(try NIOSSLPrivateKey(file: tlsKey, format: .pem)))
            tlsContext = try NIOSSLContext(configuration: config)
        }
        let scheme = tlsContext == nil ? "http" : "https"
        let uploads = try s3Endpoint.map { endpoint in
            let credentials = try s3CredentialsFile.map(S3Credentials.load) ?? S3Credentials(accessKeyID: "testing", secretAccessKey: "testing")
            let signer = SigV4(accessKeyID: credentials.accessKeyID, secretAccessKey: credentials.secretAccessKey, region: s3Region)
            return SimulatorUploads(presigner: S3Presigner(endpoint: try Endpoint(parsing: endpoint), bucket: s3Bucket, signer: signer),
                                    prefix: s3Prefix, transport: try HTTPTransport())
        }
        let server = SimulatorServer(state: state, host: host, port: port, tls: tlsContext, uploads: uploads)
        try await server.run { bound in
            print("camgate-cloud-sim listening on \(scheme)://\(host):\(bound) for device \(deviceID)")
            fflushStdout()
        }
    }
}

/// The reconnect schedule of `ReconnectPolicy` (the agent's own code), and
/// the connection rate it gives many devices after a cloud outage.
struct Schedule: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the reconnect schedule and the fleet's connection rate after an outage.")

    @Option(help: "Devices reconnecting after the outage.") var devices = 10_000
    @Option(help: "Outage length in seconds.") var outage: Double = 600
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "For the all-at-once case: seconds the cloud takes to come back after dropping every connection.") var restart: Double = 10

    func run() {
        var rng = SplitMix64(seed: seed)
        var policy = ReconnectPolicy()
        var t = 0.0
        var line = "one device against a dead endpoint, attempt times (s):"
        for _ in 0..<12 {
            guard case .reconnect(let delay) = policy.decide(after: .networkError("refused"), random: Double.random(in: 0..<1, using: &rng)) else { break }
            t += delay.seconds
            line += String(format1: t)
        }
        print(line)
        // Every device lost its link at a random moment of the first minute
        // of the outage and retries per the policy; the cloud returns at
        // `outage`. Count the attempts that reach it in each second after.
        var buckets = [Int](repeating: 0, count: 121)
        var firstAttempts = [Int](repeating: 0, count: 121)
        for _ in 0..<devices {
            var p = ReconnectPolicy()
            var now = Double.random(in: 0..<60, using: &rng)
            var connected = false
            while !connected {
                guard case .reconnect(let delay) = p.decide(after: .networkError("refused"), random: Double.random(in: 0..<1, using: &rng)) else { break }
                now += delay.seconds
                if now >= outage {
                    let second = Int(now - outage)
                    if second < buckets.count { buckets[second] += 1; firstAttempts[second] += 1 }
                    connected = true
                }
            }
        }
        let peak = buckets.max() ?? 0
        let within60 = firstAttempts.prefix(61).reduce(0, +)
        print("fleet of \(devices) after a \(Int(outage)) s outage: peak \(peak) connections/s, mean \(devices / 60) /s over the first minute; \(within60) of \(devices) (\(within60 * 100 / max(devices, 1)) %) reconnected within 60 s")
        print("connections per second, first 60 s: " + buckets.prefix(60).map(String.init).joined(separator: " "))

        // The harder case: the cloud restarts, every device loses its link
        // in the same instant, and the cloud answers again `restart` s later.
        var burst = [Int](repeating: 0, count: 181)
        var reached = 0
        for _ in 0..<devices {
            var p = ReconnectPolicy()
            var now = 0.0
            while true {
                guard case .reconnect(let delay) = p.decide(after: .networkError("refused"), random: Double.random(in: 0..<1, using: &rng)) else { break }
                now += delay.seconds
                if now >= restart {
                    let second = Int(now)
                    if second < burst.count { burst[second] += 1; reached += 1 }
                    break
                }
            }
        }
        let burstPeak = burst.max() ?? 0
        print("fleet of \(devices), all dropped at once, cloud back after \(Int(restart)) s: peak \(burstPeak) connections/s; \(reached) of \(devices) back within \(burst.count - 1) s")
        print("connections per second after the drop, 0–60 s: " + burst.prefix(61).map(String.init).joined(separator: " "))
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension String {
    init(format1 value: Double) {
        let tenths = Int64((value * 10).rounded())
        self = " \(tenths / 10).\(tenths % 10)"
    }
}

#if canImport(Glibc)
import Glibc
func fflushStdout() { fflush(nil) }
#elseif canImport(Musl)
import Musl
func fflushStdout() { fflush(nil) }
#endif
