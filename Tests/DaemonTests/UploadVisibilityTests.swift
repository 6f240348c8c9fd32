import Foundation
import Testing
import CamgateCore
import LocalAPI
import Platform
import TestSupport

/// The upload queue seen from outside (issue 12): `GET /api/v1/status`'s
/// `uploads` block, `GET /api/v1/uploads`, `camgate status` (answered by
/// the agent, then by the database once it stopped).
extension UploadAgentTests {
    func api(_ path: String) async throws -> LocalAPIClient.Response {
        try await LocalAPIClient(socketPath: "\(data)/api.sock", timeout: .seconds(10)).request("GET", path)
    }

    func uploadsBlock() async throws -> JSONValue? {
        try await api("/api/v1/status").json?["uploads"]
    }

    static func int(_ value: JSONValue?) -> Int64 { value?.int64Value ?? -1 }

    static func fraction(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let d)?: d
        case .int(let n)?: Double(n)
        default: nil
        }
    }

    @Test func statusAndTheAPIShowTheQueueAndTheSegmentOnItsWay() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("UploadAgentTests seed: \(seed)")
        let (s3, sim) = try await rig()
        defer { Task { await sim.stop(); await s3.stop() } }
        // 16,000 kbit/s = 2 MB/s: the 17 MiB segment takes about 9 s, long enough to be seen on its way.
        try await learnDesiredState(sim, upload: #"{"mode": "all", "max_kbps": 16000}"#)
        let start = WallClock.nowMilliseconds() - 600_000
        let sizes = [17 * Self.mib + 1, Self.mib + 2, Self.mib + 3]
        let files = try sizes.enumerated().map { i, size in
            try writeSegment(data: data, camera: "front", startMs: start + Int64(i) * 60_000, bytes: size, seed: seed &+ UInt64(i))
        }
        let agent = try startAgent(sim)
        defer { agent.signal(SIGKILL) }

        // Recovery queues the files one by one (ffprobe each) while the first one already goes out.
        var midway: JSONValue = .null
        let seen = try await waitUntil(timeout: .seconds(60), every: .milliseconds(200)) {
            guard let block = try? await uploadsBlock(), let p = Self.fraction(block["current"]?["progress"]), p > 0, p < 1,
                  Self.int(block["queued"]) + Self.int(block["uploading"]) == 3 else { return false }
            midway = block
            return true
        }
        try #require(seen, "no upload seen on its way with the 3 segments queued: \(agent.log.suffix(3000))")
        #expect(midway["mode"]?.stringValue == "all" && Self.int(midway["max_kbps"]) == 16000 && Self.int(midway["done"]) == 0)
        #expect(Self.int(midway["pending_bytes"]) == Int64(sizes.reduce(0, +)))
        #expect(midway["current"]?["file"]?.stringValue == FileSystem.basename(files[0].path) && Self.int(midway["current"]?["bytes"]) == Int64(sizes[0]))
        #expect(Self.int(midway["bytes_sent"]) > 0 && Self.int(midway["lost"]) == 0)

        let page1 = try #require(try await api("/api/v1/uploads?limit=2").json)
        guard case .array(let first)? = page1["uploads"], case .int(let after)? = page1["next_after"] else {
            Issue.record("page 1: \(page1)")
            return
        }
        let page2 = try #require(try await api("/api/v1/uploads?limit=2&after=\(after)").json)
        guard case .array(let second)? = page2["uploads"] else { Issue.record("page 2: \(page2)"); return }
        #expect(first.count == 2 && second.count == 1 && page2["next_after"] == .null)
        #expect((first + second).compactMap { $0["file"]?.stringValue } == files.map { FileSystem.basename($0.path) })
        #expect(["uploading", "done"].contains(first[0]["state"]?.stringValue ?? ""), "the 17 MiB segment went first: \(first[0])")
        #expect(try await api("/api/v1/uploads?state=sent").status == 400)
        let text = try runProgram(Repository.camgate, ["status", "--data-dir", data]).output
        #expect(text.contains("uploads: all, cap 16000 kbit/s") && text.contains("uploading: front/\(FileSystem.basename(files[0].path))"), "\(text)")

        let items = try await waitForUploads(sim, 3)
        try #require(items.count == 3, "seed \(seed): \(agent.log.suffix(3000))")
        let after3 = try #require(try await waitForQueueToSettle())
        #expect(Self.int(after3["done"]) == 3 && Self.int(after3["queued"]) == 0 && Self.int(after3["pending_bytes"]) == 0)
        #expect(Self.int(after3["bytes_sent"]) >= Int64(sizes.reduce(0, +)) && after3["current"] == .null && after3["last_error"] == .null)
        let done = try #require(try await api("/api/v1/uploads?state=done").json)
        guard case .array(let rows)? = done["uploads"] else { Issue.record("\(done)"); return }
        #expect(rows.count == 3 && rows.allSatisfy { $0["key"]?.stringValue != nil && $0["etag"]?.stringValue != nil && $0["sent_bytes"] == $0["bytes"] })
        let listing = done.serialized()
        #expect(!listing.contains("X-Amz") && !listing.contains("upload_id"), "no URL, no upload id: \(listing)")

        agent.signal(SIGTERM)
        _ = await agent.waitForExit(timeout: .seconds(30))
        let offline = try JSONValue.parse(try runProgram(Repository.camgate, ["status", "--json", "--data-dir", data]).output)
        #expect(offline["answered_by"]?.stringValue == "database" && Self.int(offline["uploads"]?["done"]) == 3)
        #expect(offline["uploads"]?["bytes_sent"] == .null, "no uploader answered: nothing counted since a start")
    }

    /// The `uploads` block once nothing is queued or on its way.
    func waitForQueueToSettle(timeout: Duration = .seconds(30)) async throws -> JSONValue? {
        var last: JSONValue?
        _ = try await waitUntil(timeout: timeout, every: .milliseconds(250)) {
            last = try? await uploadsBlock()
            return Self.int(last?["queued"]) == 0 && Self.int(last?["uploading"]) == 0 && last?["current"] == .null
        }
        return last
    }
}
