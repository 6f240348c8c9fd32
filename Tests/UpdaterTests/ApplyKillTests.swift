import Foundation
import Testing
import TestSupport

/// `kill -9` of `camgate ota apply` while it decompresses into the staging
/// file: nothing is recorded, the device keeps running the old version, and
/// the next apply removes the partial file and stages the update whole.
@Suite struct ApplyKillTests {
    @Test func applyKilledWhileStaging_leavesNoUpdate_andTheNextApplyCleansUpAndStages() async throws {
        let kit = try ReleaseKit()
        let stripped = kit.dir.file("camgate")
        #expect(try runProgram("/usr/bin/strip", ["-o", stripped, Repository.camgate], timeout: .seconds(120)).status == 0)
        let device = try DeviceTree(binary: try kit.script("bin-0.1.0", "echo camgate 0.1.0"))
        let rel = try kit.release("r", binary: stripped, .init(xzLevel: "-1"))
        let args = ["ota", "apply", "--root", device.root, "--root-keys", kit.rootKeysFile, "\(rel)/manifest.json",
                    "--board", "intel-n100", "--no-restart"]
        // The kill lands mid-stream every time: `xz` found first on PATH passes
        // 1 MB of the real xz's output, then holds the pipe open.
        let bin = kit.dir.file("slow-xz")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\n/usr/bin/xz \"$@\" | head -c 1000000\nexec sleep 60\n".write(toFile: "\(bin)/xz", atomically: true, encoding: .utf8)
        chmod("\(bin)/xz", 0o755)
        var environment = ChildProcess.inheritedEnvironment
        environment["PATH"] = "\(bin):/usr/bin:/bin"
        let apply = try ChildProcess(Repository.camgate, args, logPath: kit.dir.file("apply.log"), environment: environment)
        let staging = "\(device.lib)/0.2.0"
        // Generous: the debug build hashes 12 MB of xz and 1 MB of binary
        // with unoptimized SHA-256, beside the other suites on 2 cores.
        let caught = await waitUntil(timeout: .seconds(120), every: .milliseconds(20)) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []
            guard let partial = names.first(where: { $0.hasPrefix("camgate.partial-") }) else { return false }
            return ((try? FileManager.default.attributesOfItem(atPath: "\(staging)/\(partial)")[.size] as? Int) ?? 0) == 1_000_000
        }
        try #require(caught, "never saw the partial file: \(apply.log)")
        apply.signal(SIGKILL)
        _ = await apply.waitForExit()
        #expect(try device.listing().contains { $0.contains("camgate.partial-") })
        #expect(!FileManager.default.fileExists(atPath: "\(device.root)/var/lib/camgate/ota.json"), "nothing recorded")
        #expect(device.link("current") == "0.1.0" && device.link("committed") == "0.1.0")
        #expect(try device.ota("status").contains("last update: none"))

        let out = try device.ota("apply", ["\(rel)/manifest.json", "--board", "intel-n100", "--no-restart"], kit: kit)
        #expect(out.contains("staged 0.2.0"))
        #expect(!(try device.listing()).contains { $0.contains("partial") })
        #expect(FileManager.default.contentsEqual(atPath: "\(staging)/camgate", andPath: stripped))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
