import Foundation
import Testing
import CamgateCore
import Media
import Platform
import TestSupport

/// `upload_recording` in `on_demand` mode, and a standalone agent signing
/// for itself (issue 12).
extension UploadAgentTests {
    /// A real 5 s MPEG-TS segment (ffprobe gives the recovered row its
    /// duration, so the range test sees true ends).
    func writeVideoSegment(startMs: Int64) throws -> String {
        let day = Timestamp.utcDate(milliseconds: startMs)
        let dir = "\(data)/recordings/front/\(day)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = "\(dir)/\(SegmentName.name(startMilliseconds: startMs))"
        let made = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=160x90:rate=5", "-t", "5",
                                                     "-c:v", "libx264", "-f", "mpegts", file])
        guard made.status == 0 else { throw S3FixtureError(description: "ffmpeg: \(made.output)") }
        return file
    }

    func ack(_ sim: CloudSimulatorProcess, _ id: String) async throws -> JSONValue? {
        var found: JSONValue?
        _ = try await waitUntil(timeout: .seconds(30), every: .milliseconds(200)) {
            found = try await sim.acks().first { $0["command_id"]?.stringValue == id }
            return found != nil
        }
        return found
    }

    /// Six 5 s segments 10 s apart; the command names [t0+24 s, t0+41 s):
    /// it overlaps segment 2 by its last second, all of 3, and segment 4 by
    /// its first second, so exactly 2, 3 and 4 are queued (and nothing at
    /// all before the command: `on_demand`). The same command again queues
    /// nothing: they are already uploaded.
    @Test func uploadRecordingInOnDemandModeQueuesExactlyTheNamedRange() async throws {
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        try await learnDesiredState(sim, upload: #"{"mode": "on_demand"}"#)
        let t0 = (WallClock.nowMilliseconds() - 3_600_000) / 1000 * 1000
        let files = try (1...6).map { try writeVideoSegment(startMs: t0 + Int64($0) * 10_000) }
        let agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }
        let indexed = try await waitUntil(timeout: .seconds(30), every: .milliseconds(250)) { (try? completeRecordings().count) == 6 }
        try #require(indexed, "\(agent.log.suffix(3000))")
        try await Task.sleep(for: .seconds(2))
        #expect(Self.storedPUTs(try await s3.requests()).isEmpty, "on_demand: nothing goes before a command names it")

        let range = #""args": {"from": "\#(Timestamp.rfc3339(milliseconds: t0 + 24_000))", "to": "\#(Timestamp.rfc3339(milliseconds: t0 + 41_000))"}"#
        try await sim.control("POST", "command", #"{"id": "c-up-1", "type": "upload_recording", "camera": "front", \#(range)}"#)
        let first = try #require(try await ack(sim, "c-up-1"))
        #expect(first["status"]?.stringValue == "succeeded" && first["result"]?["queued"]?.int64Value == 3, "\(first)")
        #expect(first["result"]?["already_uploaded"]?.int64Value == 0)
        let items = try await waitForUploads(sim, 3, timeout: .seconds(60))
        try await Task.sleep(for: .seconds(3))
        let named = Set(files[1...3].map { FileSystem.basename($0) })
        #expect(Set(try await uploaded(sim).compactMap { $0["file"]?.stringValue }) == named && items.count == 3, "\(agent.log.suffix(3000))")
        let objects = try s3.objects()
        let digests = try Self.sha256(of: Array(files[1...3]))
        #expect(objects.count == 3)
        for file in files[1...3] {
            let key = objects.keys.first { $0.hasSuffix("/" + FileSystem.basename(file)) } ?? ""
            #expect(objects[key]?["sha256"]?.stringValue == digests[file], "\(file) read back")
        }

        try await sim.control("POST", "command", #"{"id": "c-up-2", "type": "upload_recording", "camera": "front", \#(range)}"#)
        let second = try #require(try await ack(sim, "c-up-2"))
        #expect(second["result"]?["queued"]?.int64Value == 0 && second["result"]?["already_uploaded"]?.int64Value == 3, "\(second)")
        try await Task.sleep(for: .seconds(2))
        #expect(Self.storedPUTs(try await s3.requests()).count == 3, "nothing sent twice")
    }

    /// No cloud: the config's `s3` block and a 0600 credentials file. The
    /// S3 fixture verifies every presigned request's SigV4 signature with
    /// those keys (moto itself does not), so the agent's own signing of
    /// CreateMultipartUpload, the parts, Complete and a single PUT is what
    /// S3 accepted. The secret appears nowhere the agent writes.
    @Test func aStandaloneAgentSignsItsOwnUploadsAndS3AcceptsTheSignatures() async throws {
        var generator = seededGenerator("aStandaloneAgentSignsItsOwnUploadsAndS3AcceptsTheSignatures")
        let keyID = "AKID" + String(generator.next() % 1_000_000_000_000, radix: 36).uppercased()
        let secret = "s3cr3t/" + String(generator.next(), radix: 36) + "+" + String(generator.next(), radix: 36)
        let credentials = dir.file("s3-credentials.json")
        try #"{"access_key_id": "\#(keyID)", "secret_access_key": "\#(secret)"}"#.write(toFile: credentials, atomically: true, encoding: .utf8)
        chmod(credentials, 0o600)
        let s3 = try await S3Fixture(directory: dir.path, credentialsFile: credentials)
        defer { Task { await s3.stop() } }
        #expect(s3.process.log.contains("sigv4 verifier: accepts botocore's presigned URL, refuses a tampered one"))

        let start = WallClock.nowMilliseconds() - 600_000
        let small = try writeSegment(data: data, camera: "front", startMs: start, bytes: 3 * Self.mib + 1, seed: generator.next())
        let large = try writeSegment(data: data, camera: "front", startMs: start + 60_000, bytes: 17 * Self.mib + 9, seed: generator.next())
        let config = dir.file("standalone.json")
        try #"""
            {"cameras": \#(Self.camera), "recording": {"segment_seconds": 5, "retain_days": 1, "min_free_percent": 1},
             "upload": {"mode": "all"},
             "s3": {"endpoint": "\#(s3.endpoint)", "bucket": "camgate-test", "credentials_file": "\#(credentials)", "prefix": "site-a"}}
            """#.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file("agent.log"))
        defer { agent.signal(SIGKILL) }
        let done = try await waitUntil(timeout: .seconds(120), every: .milliseconds(500)) { Self.int(try? await uploadsBlock()?["done"]) == 2 }
        try #require(done, "\(agent.log.suffix(3000))")

        let objects = try s3.objects()
        for file in [small, large] {
            let day = Timestamp.utcDate(milliseconds: start).replacingOccurrences(of: "-", with: "/")
            let key = objects.keys.first { $0.hasSuffix("/front/\(day)/\(FileSystem.basename(file.path))") } ?? ""
            #expect(key.hasPrefix("site-a/") && objects[key]?["sha256"]?.stringValue == file.sha256, "\(objects.keys.sorted())")
        }
        let signed = try await s3.requests().filter { $0["signature"] != nil }
        let verdicts = Dictionary(grouping: signed) { $0["signature"]?.stringValue ?? "" }.mapValues(\.count)
        print("UploadAgentTests: presigned requests checked by the fixture: \(verdicts)")
        #expect(verdicts["invalid"] == nil && (verdicts["valid"] ?? 0) >= 6, "create, 3 parts, complete, one PUT: \(verdicts)")
        let status = try runProgram(Repository.camgate, ["status", "--json", "--data-dir", data]).output
        for text in [agent.log, status, String(decoding: (try? FileSystem.read("/proc/\(agent.pid)/cmdline", limit: 1 << 16)) ?? [], as: UTF8.self)] {
            #expect(!text.contains(secret) && !text.contains("X-Amz-Signature"))
        }
    }
}
