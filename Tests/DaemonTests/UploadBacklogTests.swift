import Foundation
import Testing
import CamgateCore
import Platform
import TestSupport

/// A backlog after an outage, the cap measured where S3 receives the bytes,
/// and `upload_recording` in `on_demand` mode (issue 12).
extension UploadAgentTests {
    /// Every complete recording the agent indexed (asked through its API).
    func completeRecordings() throws -> [JSONValue] {
        let output = try runProgram(Repository.camgate, ["recordings", "--json", "--data-dir", data]).output
        guard case .array(let rows) = try JSONValue.parse(output) else { return [] }
        return rows.filter { $0["status"]?.stringValue == "complete" }
    }

    /// sha256 of each file, one sha256sum for all.
    static func sha256(of files: [String]) throws -> [String: String] {
        let output = try runProgram("/usr/bin/sha256sum", files, timeout: .seconds(120)).output
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2 { out[String(fields[1].drop { $0 == " " || $0 == "*" })] = String(fields[0]) }
        }
        return out
    }

    /// Successful single PUTs of objects, per path (not parts, not the fixture's CreateBucket).
    static func storedPUTs(_ requests: [JSONValue]) -> [String: Int] {
        var out: [String: Int] = [:]
        for r in requests where r["method"]?.stringValue == "PUT" && r["status"]?.int64Value == 200 && r["part"]?.stringValue == nil
            && (r["path"]?.stringValue ?? "").split(separator: "/").count > 1 {
            out[r["path"]?.stringValue ?? "", default: 0] += 1
        }
        return out
    }

    /// The backlog of a long outage: 96 segments of 64–320 KiB already on
    /// disk when the agent starts (recovered and queued at boot, as the
    /// leftovers of a crash are: the same queue rows indexing makes), plus
    /// the camera recording 2 s segments (the shortest the policy allows)
    /// for as long as S3 is down, until at least 100 are queued. Then S3
    /// comes back and the camera stops. Seeding instead of recording the
    /// whole backlog keeps the test near a minute: 100 live 2 s segments
    /// alone would take over 3 minutes, and the uploader cannot tell how a
    /// row was queued. Every segment must be in S3 once: one object each,
    /// read back equal, one stored PUT per object, one `uploaded` item.
    @Test func aHundredSegmentsQueuedDuringAnOutageAreEachUploadedExactlyOnce() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        let recording = #"{"front": {"source": {"kind": "test", "size": "160x90", "fps": 5}, "record": true}}"#
        try await learnDesiredState(sim, upload: #"{"mode": "all"}"#, cameras: recording, segmentSeconds: 2)
        var generator = SplitMix64(seed: seed)
        let start = WallClock.nowMilliseconds() - 7_200_000
        for i in 0..<96 {
            let size = (64 << 10) + Int(generator.next() % UInt64(256 << 10))
            _ = try writeSegment(data: data, camera: "front", startMs: start + Int64(i) * 5000, bytes: size, seed: seed &+ UInt64(i))
        }
        try await s3.control("down", #"{"seconds": 300}"#)
        let began = ContinuousClock.now
        let agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }
        var peak: Int64 = 0
        let queued = try await waitUntil(timeout: .seconds(60), every: .milliseconds(250)) {
            let block = try? await uploadsBlock()
            peak = max(peak, Self.int(block?["queued"]) + Self.int(block?["uploading"]))
            return peak >= 100
        }
        try #require(queued, "the queue peaked at \(peak): \(agent.log.suffix(3000))")
        let outage = ContinuousClock.now - began
        s3.process.signal(SIGUSR1)
        try await sim.control("POST", "desired", #"{"cameras": \#(Self.camera), "recording": {"segment_seconds": 2, "retain_days": 1, "min_free_percent": 1}, "upload": {"mode": "all"}}"#)
        let stopped = try await waitUntil(timeout: .seconds(30)) {
            try await sim.reports().contains { ($0["applied_revision"]?.int64Value ?? 0) >= 2 }
        }
        #expect(stopped, "the camera was not stopped")
        try await Task.sleep(for: .seconds(2))
        let settled = try await waitForQueueToSettle(timeout: .seconds(120))
        let drained = ContinuousClock.now - began
        #expect(Self.int(settled?["lost"]) == 0 && Self.int(settled?["failed"]) == 0, "\(settled ?? .null)")

        let recordings = try completeRecordings()
        let files = recordings.compactMap { $0["file"]?.stringValue }
        let digests = try Self.sha256(of: files)
        let objects = try s3.objects()
        let byName = Dictionary(grouping: objects.keys) { String($0.split(separator: "/").last ?? "") }
        let puts = Self.storedPUTs(try await s3.requests())
        let items = try await uploaded(sim)
        let reportedFiles = Dictionary(grouping: items.compactMap { $0["file"]?.stringValue }) { $0 }
        guard case .array(let targets)? = try await sim.control("GET", "uploads")["requests"] else { Issue.record("no target log"); return }
        let asked = Set(targets.compactMap { $0["request"]?["file"]?.stringValue })
        print("UploadAgentTests: \(files.count) segments (peak queue \(peak) after \(outage) of outage), drained \(drained) after the start, \(objects.count) objects, \(puts.values.reduce(0, +)) stored PUTs, \(items.count) uploaded items, \(targets.count) target requests for \(asked.count) files")
        #expect(asked == Set(files.map(FileSystem.basename)), "the simulator was asked for each segment's target")
        #expect(files.count >= 100 && objects.count == files.count, "0 lost: every segment is an object")
        for file in files {
            let name = FileSystem.basename(file)
            let keys = byName[name] ?? []
            #expect(keys.count == 1 && objects[keys.first ?? ""]?["sha256"]?.stringValue == digests[file], "seed \(seed): \(name) → \(keys)")
            #expect(puts["/camgate-test/\(keys.first ?? "")"] == 1, "\(name) stored once")
            #expect(reportedFiles[name]?.count == 1, "\(name) reported uploaded once")
        }
        #expect(try await sim.reports().filter { $0["kind"]?.stringValue == "recording_lost" }.isEmpty)
    }

    /// `max_kbps` measured where S3 receives the bytes: from the first
    /// part's arrival to the last part answered (the fixture's t0/t1), over
    /// about 14 s: within the issue's ±10 % (the bucket starts empty, so no
    /// burst inflates a short run; a loaded machine can only make it slower,
    /// and 1 MB/s is far below what the agent sends uncapped).
    @Test func theCapHoldsTheRateS3Receives() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        let kbps = 8000
        try await learnDesiredState(sim, upload: #"{"mode": "all", "max_kbps": \#(kbps)}"#)
        let size = 13 * Self.mib + 7
        _ = try writeSegment(data: data, camera: "front", startMs: WallClock.nowMilliseconds() - 600_000, bytes: size, seed: seed)
        let agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }
        let items = try await waitForUploads(sim, 1, timeout: .seconds(90))
        try #require(items.count == 1, "seed \(seed): \(agent.log.suffix(3000))")
        let parts = Self.partPUTs(try await s3.requests(), status: 200)
        let first = parts.compactMap { Self.fraction($0["t0"]) }.min() ?? 0
        let last = parts.compactMap { Self.fraction($0["t1"]) }.max() ?? 0
        let bytes = parts.reduce(Int64(0)) { $0 + ($1["bytes"]?.int64Value ?? 0) }
        let rate = Double(bytes) * 8 / 1000 / max(last - first, 0.001)
        print("UploadAgentTests: \(bytes) bytes in \(String(format: "%.2f", last - first)) s at S3 = \(Int(rate)) kbit/s for max_kbps \(kbps) (\(String(format: "%+.1f", (rate / Double(kbps) - 1) * 100)) %)")
        #expect(parts.count == 2 && bytes == Int64(size))
        #expect(last - first >= 10, "measured over at least 10 s")
        #expect(abs(rate / Double(kbps) - 1) <= 0.10, "\(Int(rate)) kbit/s for a cap of \(kbps)")
    }
}
