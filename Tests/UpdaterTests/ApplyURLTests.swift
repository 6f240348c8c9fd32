import Foundation
import Testing
import TestSupport

/// `camgate ota apply http://127.0.0.1:PORT/manifest.json` against
/// Tests/Fixtures/release_server.py: the payload is fetched only for a
/// release this device admits, at most `size` bytes of it, and a download
/// cut off resumes where it stopped.
@Suite struct ApplyURLTests {
    final class Server: @unchecked Sendable {
        let process: ChildProcess
        let port = freePort()
        let log: String

        init(_ dir: String, _ kit: ReleaseKit, cut: String? = nil) async throws {
            log = kit.dir.file("server-\(port).log")
            process = try ChildProcess("/usr/bin/python3", [Repository.fixture("release_server.py"), dir, "\(port)", log] + (cut.map { ["--cut", $0] } ?? []),
                                       logPath: kit.dir.file("server-\(port).out"))
            _ = await waitUntil(timeout: .seconds(10)) { (try? runProgram("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/keys.json"]).status) == 0 }
            try? FileManager.default.removeItem(atPath: log)
        }

        var url: String { "http://127.0.0.1:\(port)/manifest.json" }
        var requests: [String] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        deinit { process.signal(SIGKILL) }
    }

    func device(_ kit: ReleaseKit) throws -> DeviceTree {
        let d = try DeviceTree(binary: try kit.script("bin-0.1.0", "echo camgate 0.1.0"))
        try FileManager.default.createDirectory(atPath: "\(d.root)/var/lib/camgate", withIntermediateDirectories: true)
        return d
    }

    @Test func aReleaseThisDeviceRefuses_isRefusedBeforeItsPayloadIsFetched_andLeavesNothing() async throws {
        let kit = try ReleaseKit()
        let rel = try kit.release("r", binary: try kit.script("bin", "echo 0.2.0"), .init(boards: ["rockchip-rk3588"]))
        let server = try await Server(rel, kit)
        let d = try device(kit)
        let before = try d.listing()
        let out = try d.ota("apply", [server.url, "--board", "intel-n100", "--no-restart"], kit: kit, expect: 2)
        #expect(out.contains("refused: wrong_board"))
        #expect(!server.requests.contains { $0.hasSuffix(".xz -") }, "\(server.requests)")
        #expect(try d.listing() == before)
    }

    @Test func aPayloadLongerThanItsManifestSays_stopsAtTheSize_andLeavesNothing() async throws {
        let kit = try ReleaseKit()
        let rel = try kit.release("r", binary: try kit.script("bin", "echo 0.2.0"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(rel)/camgate-0.2.0-\(hostArch).xz"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0x55, count: 1 << 20))
        try handle.close()
        let server = try await Server(rel, kit)
        let d = try device(kit)
        let before = try d.listing()
        let out = try d.ota("apply", [server.url, "--board", "intel-n100", "--no-restart"], kit: kit, expect: 2)
        #expect(out.contains("refused: size_mismatch"), "\(out)")
        #expect(try d.listing() == before)
    }

    @Test func aDownloadCutOff_keepsItsPart_andTheNextApplyResumesAndStages() async throws {
        let kit = try ReleaseKit()
        let stripped = kit.dir.file("camgate")
        #expect(try runProgram("/usr/bin/strip", ["-o", stripped, Repository.camgate], timeout: .seconds(120)).status == 0)
        let rel = try kit.release("r", binary: stripped, .init(xzLevel: "-1"))
        let payload = "camgate-0.2.0-\(hostArch).xz"
        let server = try await Server(rel, kit, cut: "\(payload):1000000")
        let d = try device(kit)
        let cut = try d.ota("apply", [server.url, "--board", "intel-n100", "--no-restart"], kit: kit, expect: 1)
        #expect(cut.contains("refused: io_error: downloading"), "\(cut)")
        #expect(try d.listing().contains { $0.hasPrefix("var/lib/camgate/ota-download/\(payload).part 1000000") })
        #expect(!FileManager.default.fileExists(atPath: "\(d.lib)/0.2.0"))
        let out = try d.ota("apply", [server.url, "--board", "intel-n100", "--no-restart"], kit: kit)
        #expect(out.contains("staged 0.2.0"))
        #expect(server.requests.contains("\(payload) bytes=1000000-"), "\(server.requests)")
        #expect(FileManager.default.contentsEqual(atPath: "\(d.lib)/0.2.0/camgate", andPath: stripped))
        #expect(!FileManager.default.fileExists(atPath: "\(d.root)/var/lib/camgate/ota-download"))
    }
}
