import Foundation
import CamgateCore
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

        init(_ dir: String, _ kit: ReleaseKit, cut: String? = nil, pause: String? = nil) async throws {
            log = kit.dir.file("server-\(port).log")
            process = try ChildProcess("/usr/bin/python3", [Repository.fixture("release_server.py"), dir, "\(port)", log]
                                       + (cut.map { ["--cut", $0] } ?? []) + (pause.map { ["--pause", $0] } ?? []),
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

    /// A tmpfs of `megabytes` over the device's /var/lib/camgate (the download directory's file system).
    func smallDisk(_ d: DeviceTree, megabytes: Int) throws -> String {
        let state = "\(d.root)/var/lib/camgate"
        let mount = try runProgram("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "tmpfs", state])
        try #require(mount.status == 0, "\(mount.output)")
        return state
    }

    /// A 3 MiB release whose payload does not compress (seeded bytes: `xz -0` keeps it 3 MiB).
    func bigRelease(_ kit: ReleaseKit) throws -> String {
        var rng = SplitMix64(seed: 20261130)
        print("disk-full release: random bytes, seed 20261130")
        let bytes = (0..<(3 << 20) / 8).flatMap { _ in withUnsafeBytes(of: rng.next()) { Array($0) } }
        try Data(bytes).write(to: URL(fileURLWithPath: kit.dir.file("big.bin")))
        return try kit.release("big", binary: kit.dir.file("big.bin"), .init(xzLevel: "-0"))
    }

    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs"))
    func aDiskTooSmallForThePayload_isRefusedBeforeTheDownload_andChangesNothing() async throws {
        let kit = try ReleaseKit()
        let server = try await Server(try bigRelease(kit), kit)
        let d = try device(kit)
        let state = try smallDisk(d, megabytes: 2)
        defer { _ = try? runProgram("/usr/bin/umount", [state]) }
        let before = try d.listing()
        let out = try d.ota("apply", [server.url, "--board", "intel-n100", "--no-restart"], kit: kit, expect: 1)
        #expect(out.contains("refused: io_error: no space left for the payload") && out.contains("it needs"), "\(out)")
        #expect(!server.requests.contains { $0.hasPrefix("camgate-") }, "\(server.requests)")
        #expect(try d.listing() == before)
    }

    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs"))
    func aDiskFillingUpWhileDownloading_isRefused_andItsPartialFileRemoved() async throws {
        let kit = try ReleaseKit()
        let payload = "camgate-0.2.0-\(hostArch).xz"
        let go = kit.dir.file("go")
        let server = try await Server(try bigRelease(kit), kit, pause: "\(payload):1000000:\(go)")
        let d = try device(kit)
        let state = try smallDisk(d, megabytes: 5)
        defer { _ = try? runProgram("/usr/bin/umount", [state]) }
        let before = try d.listing()
        let apply = try ChildProcess(Repository.camgate, ["ota", "apply", "--root", d.root, "--root-keys", kit.rootKeysFile, server.url,
                                                          "--board", "intel-n100", "--no-restart"], logPath: kit.dir.file("apply.log"))
        let part = "\(state)/ota-download/\(payload).part"
        let started = await waitUntil(timeout: .seconds(30)) { ((try? FileManager.default.attributesOfItem(atPath: part)[.size] as? Int) ?? 0) >= 1_000_000 }
        try #require(started, "\(apply.log)")
        // Another writer takes the rest of the file system.
        _ = try runProgram("/usr/bin/dd", ["if=/dev/zero", "of=\(state)/filler", "bs=64k"])
        FileManager.default.createFile(atPath: go, contents: nil)
        let status = await apply.waitForExit(timeout: .seconds(60))
        #expect(status == 1, "\(apply.log)")
        #expect(apply.log.contains("refused: io_error: no space left in") && apply.log.contains("the partial download is removed"), "\(apply.log)")
        try FileManager.default.removeItem(atPath: "\(state)/filler")
        #expect(try d.listing() == before, "the partial file and the download directory are gone")
    }

    /// kill -9 of `ota apply URL` in the middle of the payload: nothing is
    /// recorded or staged, only the `.part` stays; the next apply resumes it.
    @Test func applyKilledWhileDownloading_keepsOnlyThePart_andTheNextApplyResumesAndStages() async throws {
        let kit = try ReleaseKit()
        let payload = "camgate-0.2.0-\(hostArch).xz"
        let server = try await Server(try bigRelease(kit), kit, pause: "\(payload):1000000:\(kit.dir.file("never"))")
        let d = try device(kit)
        let before = try d.listing()
        let apply = try ChildProcess(Repository.camgate, ["ota", "apply", "--root", d.root, "--root-keys", kit.rootKeysFile, server.url,
                                                          "--board", "intel-n100", "--no-restart"], logPath: kit.dir.file("apply.log"))
        let part = "\(d.root)/var/lib/camgate/ota-download/\(payload).part"
        let midway = await waitUntil(timeout: .seconds(30)) { ((try? FileManager.default.attributesOfItem(atPath: part)[.size] as? Int) ?? 0) >= 1_000_000 }
        try #require(midway, "\(apply.log)")
        apply.signal(SIGKILL)
        _ = await apply.waitForExit()
        let after = try d.listing()
        #expect(after.filter { !before.contains($0) }.allSatisfy { $0.hasPrefix("var/lib/camgate/ota-download") }, "\(after)")
        #expect(!FileManager.default.fileExists(atPath: "\(d.root)/var/lib/camgate/ota.json"), "nothing recorded")
        #expect(d.link("current") == "0.1.0" && !FileManager.default.fileExists(atPath: "\(d.lib)/0.2.0"))
        server.process.signal(SIGKILL)
        _ = await server.process.waitForExit()
        let again = try await Server("\(kit.dir.path)/big", kit)
        let out = try d.ota("apply", [again.url, "--board", "intel-n100", "--no-restart"], kit: kit)
        #expect(out.contains("staged 0.2.0"), "\(out)")
        #expect(again.requests.contains("\(payload) bytes=1000000-"), "resumed from the part: \(again.requests)")
        #expect(FileManager.default.contentsEqual(atPath: "\(d.lib)/0.2.0/camgate", andPath: kit.dir.file("big.bin")))
    }
}
