import Foundation
import Testing
import TestSupport

/// The installer, the unit and the whole first boot, run by their fixture
/// scripts against the release tarball (`scripts/build-release`, which
/// `scripts/test` runs first) and a real Debian 12 tree made by debootstrap.
@Suite(.serialized) struct InstallerTests {
    static let releaseDirectory = ProcessInfo.processInfo.environment["CAMGATE_RELEASE_DIR"] ?? "\(Repository.root)/dist"

    static func tarball() -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: releaseDirectory)) ?? []
        return names.filter { $0.hasPrefix("camgate-") && $0.hasSuffix(".tar.xz") }.sorted().last.map { "\(releaseDirectory)/\($0)" }
    }

    static var isRoot: Bool { getuid() == 0 }

    /// Runs a fixture; every `not ok` line and the output on failure go to the test's issue.
    static func runFixture(_ script: String, _ arguments: [String], timeout: Duration = .seconds(900)) throws -> (Int32, String) {
        let environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "TZ": "UTC"]
        let result = try runProgram("/bin/sh", [Repository.fixture(script)] + arguments, environment: environment, timeout: timeout)
        return (result.status, result.output)
    }

    @Test func theHardenedUnitVerifiesAndItsExposureIsAtMostTwo() throws {
        let (status, output) = try Self.runFixture("unit_check.sh", [])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok - systemd-analyze verify"), "\(output)")
        #expect(!output.contains("not ok"), "\(output)")
    }

    /// The root oneshots of OTA: the trial check and the cloud request's apply (it downloads: network allowed).
    @Test(arguments: [("camgate-ota-check.service", "2.0"), ("camgate-ota-apply.service", "2.5")])
    func theOTAServicesVerifyAndStayUnderTheirExposure(unit: String, max: String) throws {
        let (status, output) = try Self.runFixture("unit_check.sh", [Repository.root + "/board/systemd/" + unit, max])
        #expect(status == 0 && !output.contains("not ok"), "\(output)")
    }

    @Test(.enabled(if: isRoot, "needs root: debootstrap, chroot, owners"))
    func theReleaseInstallsIntoAFreshDebianTreeTwiceAndUninstalls() throws {
        let tarball = try #require(Self.tarball(), "no release tarball in \(Self.releaseDirectory): run scripts/build-release")
        let (status, output) = try Self.runFixture("install_check.sh", [tarball])
        #expect(status == 0, "\(output.split(separator: "\n").filter { !$0.hasPrefix("ok") }.joined(separator: "\n"))")
        #expect(output.contains(", 0 failed"))
    }

    @Test(.enabled(if: isRoot, "needs root: debootstrap, chroot, owners"))
    func aFreshDebianTreeIsEnrolledAndRecordingAfterOneInstallRun() throws {
        let tarball = try #require(Self.tarball(), "no release tarball in \(Self.releaseDirectory): run scripts/build-release")
        let simulator = "\(Self.releaseDirectory)/camgate-cloud-sim"
        let (status, output) = try Self.runFixture("install_enroll_check.sh", [tarball, FileManager.default.fileExists(atPath: simulator) ? simulator : "\(Repository.productsDirectory)/camgate-cloud-sim"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok - the agent records the cloud's test camera"), "\(output)")
        print(output.split(separator: "\n").filter { $0.hasPrefix("# timing") }.joined(separator: "\n"))
    }
}
