import Foundation
import Testing
import TestSupport

/// ota/README.md's release steps, run as written with the real binary.
@Suite struct OperatorCLITests {
    @Test func keygen_writesPrivateKey0600_andRefusesToOverwriteIt() throws {
        let dir = TemporaryDirectory("camgate-ota-keygen")
        let key = dir.file("root.key")
        let out = try camgate(["ota", "keygen", "--id", "root-2026", "--out", key])
        #expect(out.contains("\"id\":\"root-2026\"") && !out.contains("private_key"))
        var st = stat()
        #expect(stat(key, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let pub = try String(contentsOfFile: dir.file("root.pub"), encoding: .utf8)
        #expect(pub.contains("public_key") && !pub.contains("private_key"))
        let before = try Data(contentsOf: URL(fileURLWithPath: key))
        let again = try camgate(["ota", "keygen", "--id", "root-2026", "--out", key], expect: 1)
        #expect(again.contains("never overwritten"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == before)
    }

    /// The README's steps: root key, signing key, bundle, build (the test's
    /// own build of camgate, stripped), xz (-1 here: the README's -9 takes a
    /// minute on the 47 MB debug build; the release payload's size is
    /// bench/ota.py's), manifest, sign, verify; then `ota apply` into a
    /// device tree and `ota status`.
    @Test func releaseSteps_fromFreshKeysToVerifiedAndStaged_withTheRealBinary() throws {
        let kit = try ReleaseKit()
        let stripped = kit.dir.file("camgate")
        let strip = try runProgram("/usr/bin/strip", ["-o", stripped, Repository.camgate], timeout: .seconds(120))
        #expect(strip.status == 0, "\(strip.output)")
        let rel = try kit.release("release-0.2.0", binary: stripped, .init(boards: ["rockchip-rk3588", "intel-n100"], xzLevel: "-1"))
        let verified = try camgate(["ota", "verify", "\(rel)/manifest.json", "--root-keys", kit.rootKeysFile, "--board", "intel-n100",
                                    "--root", kit.dir.file("no-device")])
        #expect(verified.contains("signature: ok") && verified.contains("payload: ok") && verified.contains("admission: ok"))
        let wrongBoard = try camgate(["ota", "verify", "\(rel)/manifest.json", "--root-keys", kit.rootKeysFile, "--board", "raspberry-pi-5",
                                      "--root", kit.dir.file("no-device")], expect: 2)
        #expect(wrongBoard.contains("refused: wrong_board"))

        let device = try DeviceTree(binary: stripped)
        let applied = try device.ota("apply", ["\(rel)/manifest.json", "--board", "intel-n100", "--no-restart"], kit: kit)
        #expect(applied.contains("staged 0.2.0"))
        #expect(FileManager.default.contentsEqual(atPath: "\(device.lib)/0.2.0/camgate", andPath: stripped))
        let status = try device.ota("status", ["--json"])
        #expect(status.contains("\"phase\":\"staged\"") && status.contains("\"committed\":\"0.1.0\""))
    }

    @Test func sign_refusesAManifestNamingAnotherKey() throws {
        let kit = try ReleaseKit()
        let bin = try kit.script("bin", "exit 0")
        let rel = try kit.release("r", binary: bin)
        let out = try camgate(["ota", "sign", "--key", "\(kit.keys)/release-b.key", "\(rel)/manifest.json"], expect: 2)
        #expect(out.contains("refused: unknown_key"))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
