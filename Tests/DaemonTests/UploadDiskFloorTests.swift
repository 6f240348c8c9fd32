import Foundation
import Testing
import CamgateCore
import Platform
import TestSupport

/// A backlog on a disk at its floor (issue 12): the agent records 720p in
/// 2 s segments on a 24 MB tmpfs (its own mount namespace, as
/// DiskFullTests) holding 10 MB of something else, with a 30 % floor;
/// every segment is queued and none can leave (the S3 endpoint the cloud
/// presigns for is a port nobody listens on). Retention must then delete
/// queued segments, and each one must reach the cloud as a
/// `recording_lost` item: every finished segment the cloud heard of is
/// either still indexed and on disk, or reported lost.
extension UploadAgentTests {
    func reports(_ sim: CloudSimulatorProcess, _ kind: String) async throws -> [JSONValue] {
        try await sim.reports().filter { $0["kind"]?.stringValue == kind }
    }

    @Test(.enabled(if: DiskFullTests.available, DiskFullTests.skipReason))
    func queuedSegmentsTheFloorForcesOutReachTheCloudAsRecordingLost() async throws {
        let sim = try await CloudSimulatorProcess(directory: dir.path, extraArguments: ["--s3-endpoint", "http://127.0.0.1:\(freePort())"])
        defer { Task { await sim.stop() } }
        let camera = #"{"front": {"source": {"kind": "test", "size": "1280x720", "fps": 15}, "record": true}}"#
        let policy = #""recording": {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 30}, "upload": {"mode": "all"}"#
        try await sim.control("POST", "desired", #"{"cameras": \#(camera), \#(policy)}"#)
        let config = dir.file("config.json")
        try #"{"cloud": \#(sim.cloudSection())}"#.write(toFile: config, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let script = #"mount -t tmpfs -o size=24m tmpfs "$0" || exit 97; head -c 10000000 /dev/zero > "$0/other"; exec "$1" run --config "$2" --data-dir "$0""#
        let agent = try AgentProcess("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script, data, Repository.camgate, config],
                                     logPath: dir.file("agent-floor.log"))
        defer { agent.signal(SIGKILL) }
        let forced = try await waitUntil(timeout: .seconds(90), every: .milliseconds(500)) { try await reports(sim, "recording_lost").count >= 4 }
        try #require(forced, "no recording_lost item: \(agent.log.suffix(3000))")

        // The camera stops; then nothing changes any more: the index and the reports can be compared.
        try await sim.control("POST", "desired", #"{"cameras": \#(Self.camera), \#(policy)}"#)
        var count = -1
        _ = try await waitUntil(timeout: .seconds(30), every: .seconds(3)) {
            let now = try await sim.reports().count
            defer { count = now }
            return now == count
        }
        let index = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "recordings", "--json", "--data-dir", data]).output
        guard case .array(let rows) = try JSONValue.parse(index) else { Issue.record("index: \(index)"); return }
        let indexed = Set(rows.compactMap { $0["file"]?.stringValue.map(FileSystem.basename) })
        let lost = try await reports(sim, "recording_lost")
        let lostFiles = lost.compactMap { $0["file"]?.stringValue }
        let finished = try await reports(sim, "recording").compactMap { $0["file"]?.stringValue.map(FileSystem.basename) }
        print("UploadAgentTests: \(finished.count) segments finished, \(indexed.count) indexed, \(lostFiles.count) reported lost")
        #expect(Set(lostFiles).count == lostFiles.count, "each lost segment reported once")
        for item in lost {
            let file = item["file"]?.stringValue ?? ""
            let day = Timestamp.utcDate(milliseconds: item["start"]?.stringValue.flatMap(Timestamp.parseRFC3339) ?? 0)
            let dayDirectory = "/proc/\(agent.pid)/root\(data)/recordings/front/\(day)"
            #expect(FileManager.default.fileExists(atPath: dayDirectory) && !FileManager.default.fileExists(atPath: "\(dayDirectory)/\(file)"),
                    "\(file) is gone from disk")
            #expect(!indexed.contains(file) && item["camera"]?.stringValue == "front" && (item["bytes"]?.int64Value ?? 0) > 0)
            #expect(item["reason"]?.stringValue?.contains("floor") == true, "\(item)")
        }
        let silent = Set(finished).subtracting(indexed).subtracting(lostFiles)
        #expect(silent.isEmpty, "deleted without a recording_lost item: \(silent.sorted())")
        let status = try runProgram("/usr/bin/nsenter", ["-t", "\(agent.pid)", "-m", Repository.camgate, "status", "--json", "--data-dir", data]).output
        #expect(try JSONValue.parse(status)["uploads"]?["lost"]?.int64Value == Int64(lostFiles.count), "\(status)")
        agent.signal(SIGTERM)
        _ = await agent.waitForExit(timeout: .seconds(30))
    }
}
