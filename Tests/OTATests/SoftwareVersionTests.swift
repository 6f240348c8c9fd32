import CamgateCore
import Testing
@testable import OTA

@Suite struct SoftwareVersionTests {
    @Test(arguments: ["0.1.0", "1.2.3", "10.20.30", "1.0.0-rc.1", "1.0.0-alpha", "1.0.0-0.3.7", "1.0.0-x-y.7z", "4294967295.0.0"])
    func parsesAndPrintsTheSameText(_ text: String) throws {
        #expect(try SoftwareVersion(parsing: text).description == text)
    }

    @Test(arguments: ["", "1", "1.2", "1.2.3.4", "v1.2.3", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-01", "1.2.3-a..b",
                      "1.2.3+build", "1.2.3-rc_1", " 1.2.3", "1.2.3 ", "-1.2.3", "4294967296.0.0", "1.2.x"])
    func refusesAnythingNotStrictlyMajorMinorPatch(_ text: String) {
        #expect(throws: ConfigurationError.self) { try SoftwareVersion(parsing: text) }
    }

    @Test func ordersBySemVerPrecedence() throws {
        let ascending = ["0.1.0", "0.1.1", "0.2.0", "0.10.0", "1.0.0-0", "1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-alpha",
                         "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "2.0.0"]
        let versions = try ascending.map { try SoftwareVersion(parsing: $0) }
        for (i, a) in versions.enumerated() {
            for (j, b) in versions.enumerated() {
                #expect((a < b) == (i < j), "\(a) < \(b)")
                #expect((a == b) == (i == j), "\(a) == \(b)")
            }
        }
        #expect(versions.shuffled().sorted() == versions)
    }

    @Test func theAgentsOwnVersionParses() throws {
        #expect(try SoftwareVersion(parsing: CamgateCore.version) == SoftwareVersion.agent)
        #expect(SoftwareVersion.agent == SoftwareVersion(0, 1, 0))
    }
}
