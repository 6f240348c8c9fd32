import CamgateCore
import Daemon
import Testing

/// The config file's `upload` and `s3` sections (issue 12): parsed and
/// checked together, nothing uploaded yet.
@Suite struct ConfigFileUploadTests {
    static let s3 = #""s3": {"endpoint": "http://127.0.0.1:9000", "bucket": "camgate-test", "credentials_file": "/etc/camgate/s3-credentials"}"#
    static let cloud = #""cloud": {"endpoint": "https://cloud.example", "device_id": "dev-1", "token_file": "/etc/camgate/token"}"#

    static func parse(_ text: String) throws -> ConfigFile {
        try ConfigFile.parse(JSONValue.parse(text), path: "/etc/camgate/config.json")
    }

    @Test func aStandaloneConfigUploadsToItsS3Target() throws {
        let file = try Self.parse(#"{"upload": {"mode": "all", "max_kbps": 800}, \#(Self.s3)}"#)
        #expect(file.desired.upload == UploadPolicy(mode: .all, maxKbps: 800))
        #expect(file.s3?.bucket == "camgate-test" && file.s3?.region == "us-east-1")
    }

    @Test func aCloudConfigUploadsWithoutS3Keys() throws {
        let file = try Self.parse(#"{"upload": {"mode": "on_demand"}, \#(Self.cloud)}"#)
        #expect(file.desired.upload.mode == .onDemand && file.s3 == nil)
    }

    @Test(arguments: [
        (#"{"upload": {"mode": "all"}}"#, "upload.mode", "needs somewhere to upload"),
        (#"{\#(s3), \#(cloud)}"#, "s3", "not with \"cloud\""),
        (#"{"upload": {"mode": "motion"}, \#(s3)}"#, "upload.mode", "no camera has \"motion\""),
        (#"{"upload": {"mode": "motion", "post_roll_s": 301}, \#(s3)}"#, "upload.post_roll_s", "between 0 and 300"),
        (#"{"s3": {"endpoint": "http://s3.example.com", "bucket": "b-1", "credentials_file": "/k"}}"#, "s3.endpoint", "loopback"),
        (#"{"s3": {"endpoint": "https://s3.example.com", "bucket": "b-1", "credentials_file": "k"}}"#, "s3.credentials_file", "absolute path"),
        (#"{"s3": {"endpoint": "https://s3.example.com", "bucket": "b-1", "credentials_file": "/k", "secret": "x"}}"#, "s3.secret", "unknown field"),
    ])
    func refusesUploadConfigsThatCannotWorkNamingTheField(_ text: String, _ field: String, _ reason: String) {
        #expect { try Self.parse(text) } throws: {
            guard let error = $0 as? ConfigurationError else { return false }
            return error.field == field && error.reason.contains(reason)
        }
    }

    @Test func uploadsOffNeedNoTarget() throws {
        #expect(try Self.parse(#"{"upload": {"mode": "none"}}"#).s3 == nil)
        #expect(try Self.parse("{\(Self.s3)}").desired.upload.mode == .none)
    }
}
