import Foundation
import Testing
import TestSupport

/// `camgate ota apply` with every bad local input of issue 11: refused with
/// the code and the reason, the device tree byte for byte as before, no
/// partial file left.
@Suite struct ApplyRefusalTests {
    enum Bad: String, CaseIterable, Sendable {
        case wrongSignature, unknownKey, revokedKey, tamperedPayload, tamperedBinary, truncatedPayload, binaryLargerThanDeclared
        case sizeOverLimit, wrongArchitecture, wrongBoard, downgrade, staleBundle
    }

    struct Case {
        var release: String
        var args: [String] = []
        var code: String
    }

    /// Builds the bad release for `bad` (and whatever the device must have seen before).
    func make(_ bad: Bad, _ kit: ReleaseKit, _ device: DeviceTree) throws -> Case {
        let bin = try kit.script("bin-0.2.0", "echo camgate 0.2.0")
        switch bad {
        case .wrongSignature:
            let rel = try kit.release("r", binary: bin)
            let m = "\(rel)/manifest.json"
            try (try String(contentsOfFile: m, encoding: .utf8)).replacingOccurrences(of: "\"0.2.0\"", with: "\"0.2.1\"").write(toFile: m, atomically: true, encoding: .utf8)
            return Case(release: rel, code: "wrong_signature")
        case .unknownKey:
            return Case(release: try kit.release("r", binary: bin, .init(key: "release-b")), code: "unknown_key")
        case .revokedKey:
            try kit.bundle(serial: 2, keys: ["release-b"], revoked: ["release-a"], out: "\(kit.keys)/keys-2.json")
            return Case(release: try kit.release("r", binary: bin, .init(bundle: "\(kit.keys)/keys-2.json")), code: "revoked_key")
        case .tamperedPayload:
            let rel = try kit.release("r", binary: bin)
            let p = "\(rel)/camgate-0.2.0-\(hostArch).xz"
            var data = try Data(contentsOf: URL(fileURLWithPath: p))
            data[data.count / 2] ^= 0x40
            try data.write(to: URL(fileURLWithPath: p))
            return Case(release: rel, code: "checksum_mismatch")
        case .tamperedBinary:
            // A signed manifest whose binary digest is not the packed binary's (same size).
            let other = try kit.script("bin-other", "echo camgate 0.2.X")
            return Case(release: try kit.release("r", binary: bin, .init(describedBinary: other)), code: "checksum_mismatch")
        case .truncatedPayload:
            let rel = try kit.release("r", binary: bin)
            let p = "\(rel)/camgate-0.2.0-\(hostArch).xz"
            let data = try Data(contentsOf: URL(fileURLWithPath: p))
            try data.prefix(data.count - 7).write(to: URL(fileURLWithPath: p))
            return Case(release: rel, code: "size_mismatch")
        case .binaryLargerThanDeclared:
            // The manifest declares a smaller binary: decompression stops there (no xz bomb).
            let short = try kit.script("bin-short", "exit 0")
            return Case(release: try kit.release("r", binary: bin, .init(describedBinary: short)), code: "size_mismatch")
        case .sizeOverLimit:
            return Case(release: try kit.release("r", binary: bin), args: ["--size-limit", "16"], code: "too_large")
        case .wrongArchitecture:
            return Case(release: try kit.release("r", binary: bin, .init(arch: otherArch)), code: "wrong_architecture")
        case .wrongBoard:
            return Case(release: try kit.release("r", binary: bin, .init(boards: ["rockchip-rk3588"])), code: "wrong_board")
        case .downgrade:
            return Case(release: try kit.release("r", binary: bin, .init(version: "0.0.9", minVersion: "0.0.1")), code: "downgrade")
        case .staleBundle:
            // The device accepted serial 2 once (a 0.1.5 applied and staged, then rolled back by the operator).
            try kit.bundle(serial: 2, keys: ["release-a"], revoked: [], out: "\(kit.keys)/keys-2.json")
            let first = try kit.release("r-0.1.5", binary: bin, .init(version: "0.1.5", bundle: "\(kit.keys)/keys-2.json"))
            _ = try device.ota("apply", ["\(first)/manifest.json", "--board", "intel-n100", "--no-restart"], kit: kit)
            _ = try device.ota("rollback")
            return Case(release: try kit.release("r", binary: bin), code: "stale_key_bundle")
        }
    }

    @Test(arguments: Bad.allCases)
    func apply_isRefusedWithItsCode_andChangesNothing(_ bad: Bad) throws {
        let kit = try ReleaseKit()
        let device = try DeviceTree(binary: try kit.script("bin-0.1.0", "echo camgate 0.1.0"))
        let c = try make(bad, kit, device)
        let before = try device.listing()
        let out = try device.ota("apply", ["\(c.release)/manifest.json", "--board", "intel-n100", "--no-restart"] + c.args, kit: kit, expect: 2)
        #expect(out.contains("camgate: refused: \(c.code): "), "\(bad): \(out)")
        #expect(try device.listing() == before, "\(bad) changed the tree")
        #expect(!(try device.listing()).contains { $0.contains("partial") })
    }

    @Test func sameUpdateReplayed_whileStagedIsSameVersion_afterRollbackIsKnownBad() throws {
        let kit = try ReleaseKit()
        let device = try DeviceTree(binary: try kit.script("bin-0.1.0", "echo camgate 0.1.0"))
        let rel = try kit.release("r", binary: try kit.script("bin-0.2.0", "echo camgate 0.2.0"))
        let apply = ["\(rel)/manifest.json", "--board", "intel-n100", "--no-restart"]
        _ = try device.ota("apply", apply, kit: kit)
        var before = try device.listing()
        #expect(try device.ota("apply", apply, kit: kit, expect: 2).contains("refused: same_version"))
        #expect(try device.listing() == before)
        // Committed by the guard and a healthy check is the trial suite's; here the state says so.
        _ = try device.ota("guard")
        #expect(device.link("current") == "0.2.0")
        _ = try device.ota("rollback")
        before = try device.listing()
        #expect(try device.ota("apply", apply, kit: kit, expect: 2).contains("refused: known_bad"))
        #expect(try device.listing() == before)
    }
}
