import Foundation
import Testing
import CamgateCore
import Platform
import TestSupport

/// The camgate binary uploading recordings (issue 12) through the real
/// cloud simulator, which presigns for moto's S3 server: objects are read
/// back and compared by sha256; S3's request log counts what was sent.
@Suite(.serialized) struct UploadAgentTests {
    let dir = TemporaryDirectory("upload-agent")
    var data: String { dir.file("data") }
    static let camera = #"{"front": {"source": {"kind": "test", "size": "160x90", "fps": 5}, "record": false}}"#
    static let mib = 1 << 20

    func rig() async throws -> (S3Fixture, CloudSimulatorProcess) {
        let s3 = try await S3Fixture(directory: dir.path)
        let sim = try await CloudSimulatorProcess(directory: dir.path, extraArguments: ["--s3-endpoint", s3.endpoint])
        return (s3, sim)
    }

    func startAgent(_ sim: CloudSimulatorProcess, log: String = "agent.log") throws -> AgentProcess {
        let config = dir.file("config.json")
        try #"{"cloud": \#(sim.cloudSection())}"#.write(toFile: config, atomically: true, encoding: .utf8)
        return try AgentProcess.camgate(["run", "--config", config, "--data-dir", data], logPath: dir.file(log))
    }

    /// A first run stores the cloud's desired state (the camera, the upload
    /// policy); the segments seeded after it are recovered and queued at
    /// the next boot, as a crash's leftovers would be.
    func learnDesiredState(_ sim: CloudSimulatorProcess, upload: String, cameras: String = UploadAgentTests.camera, segmentSeconds: Int = 5) async throws {
        try await sim.control("POST", "desired", #"{"cameras": \#(cameras), "recording": {"segment_seconds": \#(segmentSeconds), "retain_days": 1, "min_free_percent": 1}, "upload": \#(upload)}"#)
        let agent = try startAgent(sim, log: "agent-first.log")
        let applied = try await waitUntil(timeout: .seconds(30)) {
            try await sim.reports().contains { $0["kind"]?.stringValue == "state" && ($0["applied_revision"]?.int64Value ?? 0) >= 1 }
        }
        #expect(applied, "\(agent.log)")
        agent.signal(SIGTERM)
        _ = await agent.waitForExit(timeout: .seconds(30))
    }

    func uploaded(_ sim: CloudSimulatorProcess) async throws -> [JSONValue] {
        try await sim.reports().filter { $0["kind"]?.stringValue == "uploaded" }
    }

    func waitForUploads(_ sim: CloudSimulatorProcess, _ count: Int, timeout: Duration = .seconds(180)) async throws -> [JSONValue] {
        _ = try await waitUntil(timeout: timeout, every: .milliseconds(500)) { try await uploaded(sim).count >= count }
        return try await uploaded(sim)
    }

    /// `upload.mode: all`, a 3 MiB segment (one PUT) and a 17 MiB one
    /// (three parts) on disk, an agent started: its two `uploaded` items.
    func uploadSmallAndLarge(_ sim: CloudSimulatorProcess, seed: UInt64) async throws
        -> (AgentProcess, [(path: String, sha256: String)], [JSONValue]) {
        try await learnDesiredState(sim, upload: #"{"mode": "all"}"#)
        let now = WallClock.nowMilliseconds() - 600_000
        let small = try writeSegment(data: data, camera: "front", startMs: now, bytes: 3 * Self.mib + 17, seed: seed)
        let large = try writeSegment(data: data, camera: "front", startMs: now + 60_000, bytes: 17 * Self.mib + 5, seed: seed &+ 1)
        let agent = try startAgent(sim)
        let items = try await waitForUploads(sim, 2)
        if items.count != 2 { agent.signal(SIGKILL) }
        try #require(items.count == 2, "seed \(seed): \(agent.log.suffix(3000))")
        return (agent, [small, large], items)
    }

    /// Each uploaded item's object, read back from S3, has its file's sha256.
    func expectReadBackIdentical(_ s3: S3Fixture, _ files: [(path: String, sha256: String)], _ items: [JSONValue], seed: UInt64) throws {
        let objects = try s3.objects()
        for (file, item) in zip(files, items) {
            let key = try #require(item["key"]?.stringValue)
            #expect(objects[key]?["sha256"]?.stringValue == file.sha256, "seed \(seed): \(key)")
        }
    }

    static func partPUTs(_ requests: [JSONValue], status: Int64? = nil) -> [JSONValue] {
        requests.filter { $0["method"]?.stringValue == "PUT" && $0["part"]?.stringValue != nil && (status == nil || $0["status"]?.int64Value == status) }
    }

    @Test func uploadsASinglePutAndAMultipartSegmentThatReadBackIdentical() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        let (agent, files, items) = try await uploadSmallAndLarge(sim, seed: seed)
        defer { agent.signal(SIGKILL) }
        let objects = try s3.objects()
        for (file, item) in zip(files, items) {
            let name = FileSystem.basename(file.path)
            let key = try #require(item["key"]?.stringValue)
            #expect(key.hasPrefix("fleet/dev-1/front/") && key.hasSuffix("/\(name)") && item["file"]?.stringValue == name)
            #expect(objects[key]?["sha256"]?.stringValue == file.sha256, "seed \(seed): \(key)")
            #expect(item["sha256"]?.stringValue == file.sha256 && item["etag"]?.stringValue == objects[key]?["etag"]?.stringValue)
        }
        #expect(items[1]["etag"]?.stringValue?.hasSuffix("-3\"") == true, "three 8 MiB parts: \(items[1])")
        let requests = try await s3.requests()
        #expect(Self.partPUTs(requests).count == 3, "each part once")
        #expect(requests.filter { $0["method"]?.stringValue == "POST" && $0["upload_id"]?.stringValue != nil }.count == 1, "one Complete")
        #expect(!agent.log.contains("X-Amz-Signature") && !agent.log.contains("X-Amz-Credential"), "no presigned query in the log")
        let status = try runProgram(Repository.camgate, ["status", "--json", "--data-dir", data]).output
        #expect(!status.contains("X-Amz-Signature"))
    }

    /// A bucket with SSE-KMS: S3's ETags are 32 hex digits that are not
    /// the MD5 of the part, and the answer says `aws:kms`. Each part is
    /// taken once (not sent again as a wrong ETag), the Complete names
    /// S3's ETags, and the objects read back identical.
    @Test func partsOfAnSSEKMSBucketAreTakenOnceThoughTheirETagsAreNoMD5() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        try await s3.control("faults", #"{"sse_kms": true}"#)
        let (agent, files, items) = try await uploadSmallAndLarge(sim, seed: seed)
        defer { agent.signal(SIGKILL) }
        try expectReadBackIdentical(s3, files, items, seed: seed)
        let requests = try await s3.requests()
        #expect(Self.partPUTs(requests).count == 3, "each part once, none sent again for its ETag")
        #expect(!agent.log.contains("sending them again"), "\(agent.log.suffix(2000))")
    }

    /// Every PUT carries the Content-MD5 of its bytes, checked by the S3
    /// fixture as S3 does (moto ignores it); a part refused `BadDigest`
    /// (bytes damaged on the way) goes again at once, and nothing else does.
    @Test func everyPutCarriesItsContentMD5AndABadDigestSendsThePartAgain() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        try await s3.control("faults", #"{"check_content_md5": true, "bad_digests": 1}"#)
        let (agent, files, items) = try await uploadSmallAndLarge(sim, seed: seed)
        defer { agent.signal(SIGKILL) }
        try expectReadBackIdentical(s3, files, items, seed: seed)
        let puts = try await s3.requests().filter { $0["method"]?.stringValue == "PUT" && $0["path"]?.stringValue?.contains("/front/") == true }
        let refused = puts.filter { $0["status"]?.int64Value == 400 }
        #expect(refused.count == 1, "the one damaged PUT: \(puts)")
        #expect(puts.count == 1 + 3 + 1, "the single PUT, three parts, and the refused one once more: \(puts)")
        #expect(puts.allSatisfy { $0["content_md5"]?.stringValue == "valid" }, "\(puts)")
        #expect(agent.log.contains("S3 refused the bytes"), "\(agent.log.suffix(2000))")
    }

    /// A cloud whose URLs S3 finds expired (403 → fresh URLs), a wrong MD5
    /// ETag (→ the part again), a 500 on Complete (→ Complete again after
    /// backoff): the object still reads back identical, each part stored once.
    @Test func recoversFromAnExpiredURLAWrongETagAndA500OnComplete() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        try await learnDesiredState(sim, upload: #"{"mode": "all"}"#)
        let file = try writeSegment(data: data, camera: "front", startMs: WallClock.nowMilliseconds() - 600_000, bytes: 17 * Self.mib, seed: seed)
        try await sim.control("POST", "upload_faults", #"{"expire": 1}"#)
        try await s3.control("faults", #"{"wrong_etags": 1, "complete_statuses": [500]}"#)
        let agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }
        let items = try await waitForUploads(sim, 1)
        try #require(items.count == 1, "seed \(seed): \(agent.log.suffix(3000))")
        let key = try #require(items[0]["key"]?.stringValue)
        #expect(try s3.objects()[key]?["sha256"]?.stringValue == file.sha256, "seed \(seed)")
        let requests = try await s3.requests()
        #expect(Self.partPUTs(requests, status: 403).count >= 1, "the expired URL was refused by S3")
        #expect(Self.partPUTs(requests, status: 200).count == 4, "three parts and the one answered with a wrong ETag")
        let completes = requests.filter { $0["method"]?.stringValue == "POST" && $0["upload_id"]?.stringValue != nil }.compactMap { $0["status"]?.int64Value }
        #expect(completes == [500, 200])
        let asked = try await sim.control("GET", "uploads")
        #expect(asked.serialized().contains("upload_id"), "fresh URLs were asked for the same upload: \(asked)")
    }

    /// kill -9 in the middle of a part, then S3 down mid-part: each time
    /// only the parts S3 has no ETag for are sent again, so the bytes sent
    /// twice are at most one part per interruption. The outage lasts
    /// CAMGATE_UPLOAD_OUTAGE_S seconds (10 by default; the issue's 60 s:
    /// `CAMGATE_UPLOAD_OUTAGE_S=60 swift test … --filter UploadAgentTests`).
    @Test func resumesWithOnlyTheMissingPartsAfterAKillAndAnOutage() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let outage = Int(ProcessInfo.processInfo.environment["CAMGATE_UPLOAD_OUTAGE_S"] ?? "") ?? 10
        print("UploadAgentTests seed: \(seed), outage \(outage) s")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        // 16,000 kbit/s = 2 MB/s: an 8 MiB part takes about 4 s, long enough to be cut.
        try await learnDesiredState(sim, upload: #"{"mode": "all", "max_kbps": 16000}"#)
        let size = 33 * Self.mib + 3
        let file = try writeSegment(data: data, camera: "front", startMs: WallClock.nowMilliseconds() - 600_000, bytes: size, seed: seed)
        var agent = try startAgent(sim, log: "agent-killed.log")
        let cutting = try await waitUntil(timeout: .seconds(60), every: .milliseconds(100)) {
            let requests = try await s3.requests()
            return Self.partPUTs(requests, status: 200).count >= 1 && Self.partPUTs(requests).count >= 2
        }
        #expect(cutting)
        try await Task.sleep(for: .seconds(1))
        agent.signal(SIGKILL)
        _ = await agent.waitForExit()
        let beforeRestart = Self.partPUTs(try await s3.requests(), status: 200).compactMap { $0["part"]?.stringValue }
        agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }
        let resumed = try await waitUntil(timeout: .seconds(60), every: .milliseconds(100)) {
            Self.partPUTs(try await s3.requests(), status: 200).count > beforeRestart.count
        }
        #expect(resumed)
        try await Task.sleep(for: .seconds(1))
        try await s3.control("down", #"{"seconds": \#(outage)}"#)
        let items = try await waitForUploads(sim, 1, timeout: .seconds(Int64(outage) + 240))
        try #require(items.count == 1, "seed \(seed): \(agent.log.suffix(3000))")
        #expect(try s3.objects()[items[0]["key"]?.stringValue ?? ""]?["sha256"]?.stringValue == file.sha256, "seed \(seed)")
        let parts = Self.partPUTs(try await s3.requests())
        for number in beforeRestart {
            #expect(parts.filter { $0["part"]?.stringValue == number }.count == 1, "part \(number) was stored before the kill and never sent again")
        }
        let sent = parts.reduce(Int64(0)) { $0 + ($1["bytes"]?.int64Value ?? 0) }
        print("UploadAgentTests: \(sent) bytes of parts sent for a \(size)-byte file (\(sent - Int64(size)) re-sent over 2 interruptions)")
        #expect(sent - Int64(size) <= 2 * Int64(8 * Self.mib), "at most one part re-sent per interruption")
    }
}
