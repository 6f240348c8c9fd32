import Foundation
import CamgateCore
import CloudLink
import Platform
import TestSupport

/// The S3 endpoint of the upload tests: Tests/Fixtures/s3_server.py (moto,
/// with S3's expiry rule, faults, a request log and an outage switch).
final class S3Fixture: @unchecked Sendable {
    let process: ChildProcess
    let port: Int
    let transport: HTTPTransport
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// - Parameter credentialsFile: presigned requests must be signed with
    ///   this key pair (the fixture verifies SigV4; moto does not).
    init(directory: String, credentialsFile: String? = nil) async throws {
        let verify = credentialsFile.map { ["--credentials-file", $0] } ?? []
        process = try ChildProcess("\(Repository.root)/.venv-test/bin/python", [Repository.fixture("s3_server.py"), "--port", "0"] + verify,
                                   logPath: "\(directory)/s3-\(UInt32.random(in: 0...UInt32.max)).log")
        let process = process
        guard await waitUntil(timeout: .seconds(30), { process.log.contains("ready ") || !process.isRunning }),
              let line = process.log.split(separator: "\n").first(where: { $0.hasPrefix("ready ") }), let port = Int(line.dropFirst(6)) else {
            throw S3FixtureError(description: "the S3 fixture did not start: \(process.log)")
        }
        self.port = port
        transport = try HTTPTransport()
    }

    @discardableResult
    func control(_ path: String, _ body: String = "{}") async throws -> JSONValue {
        let request = HTTPRequest(method: path == "log" ? .GET : .POST, endpoint: try Endpoint(parsing: "\(endpoint)/__camgate/\(path)"),
                                  body: path == "log" ? nil : Array(body.utf8))
        let (_, bytes) = try await transport.send(request, limit: 64 << 20)
        return try JSONValue.parse(bytes)
    }

    /// S3 requests as logged: method, path, part, upload_id, bytes, status.
    func requests() async throws -> [JSONValue] {
        guard case .array(let items)? = try await control("log")["requests"] else { return [] }
        return items
    }

    /// Key → size, etag, sha256 of the object read back.
    func objects() throws -> [String: JSONValue] {
        let run = try runProgram("\(Repository.root)/.venv-test/bin/python", [Repository.fixture("s3_objects.py"), "--endpoint", endpoint], timeout: .seconds(120))
        guard case .object(let fields) = try JSONValue.parse(run.output.split(separator: "\n").last.map(String.init) ?? "{}") else { return [:] }
        return fields
    }

    func stop() async {
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(5))
        await transport.shutdown()
    }
}

struct S3FixtureError: Error, CustomStringConvertible { var description: String }

/// A segment file of seeded random bytes, named as the recorder names them.
func writeSegment(data: String, camera: String, startMs: Int64, bytes: Int, seed: UInt64) throws -> (path: String, sha256: String) {
    let iso = Timestamp.rfc3339(milliseconds: startMs / 1000 * 1000)
    let name = iso.filter { $0 != "-" && $0 != ":" } + ".ts"
    let dir = "\(data)/recordings/\(camera)/\(iso.prefix(10))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var generator = SplitMix64(seed: seed)
    var content = [UInt8](repeating: 0, count: bytes)
    for i in stride(from: 0, to: bytes, by: 8) {
        var word = generator.next()
        for j in 0..<min(8, bytes - i) { content[i + j] = UInt8(truncatingIfNeeded: word); word >>= 8 }
    }
    let path = "\(dir)/\(name)"
    try Data(content).write(to: URL(fileURLWithPath: path))
    let digest = try runProgram("/usr/bin/sha256sum", [path]).output.split(separator: " ").first.map(String.init) ?? ""
    return (path, digest)
}
