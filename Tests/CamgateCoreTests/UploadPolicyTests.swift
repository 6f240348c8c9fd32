import Testing
@testable import CamgateCore

@Suite struct UploadPolicyTests {
    @Test func uploadsNothingByDefault() throws {
        let state = try DesiredState(json: JSONValue.parse("{}"), strict: true)
        #expect(state.upload == UploadPolicy())
        #expect(state.upload.mode == .none && !state.upload.isEnabled)
        #expect(state.upload.maxKbps == 0 && state.upload.order == .oldest && !state.upload.deleteAfterUpload)
    }

    @Test func readsEveryFieldOfTheUploadPolicy() throws {
        let document = #"{"upload": {"mode": "on_demand", "max_kbps": 2000, "order": "newest", "delete_after_upload": true}}"#
        let state = try DesiredState(json: JSONValue.parse(document), strict: true)
        #expect(state.upload == UploadPolicy(mode: .onDemand, maxKbps: 2000, order: .newest, deleteAfterUpload: true))
    }

    @Test(arguments: [UploadPolicy(), UploadPolicy(mode: .all, maxKbps: 512, order: .newest, deleteAfterUpload: true),
                      UploadPolicy(mode: .onDemand, maxKbps: 10_000_000), UploadPolicy(mode: .motion, preRollSeconds: 0, postRollSeconds: 300)])
    func roundTripsThroughItsStoredForm(_ policy: UploadPolicy) throws {
        let state = DesiredState(revision: 3, upload: policy)
        let again = try DesiredState(json: JSONValue.parse(state.json.serialized()), strict: true)
        #expect(again == state)
        #expect(again.json.serialized() == state.json.serialized())
    }

    @Test(arguments: [
        (#"{"upload": []}"#, "upload", "expected an object"),
        (#"{"upload": {"mode": "motion", "pre_roll_s": -1}}"#, "upload.pre_roll_s", "between 0 and 300"),
        (#"{"upload": {"mode": "motion", "post_roll_s": 301}}"#, "upload.post_roll_s", "between 0 and 300"),
        (#"{"upload": {"mode": "motion", "pre_roll_s": 2.5}}"#, "upload.pre_roll_s", "expected an integer"),
        (#"{"upload": {"mode": "motion", "post_roll_s": "5"}}"#, "upload.post_roll_s", "expected an integer"),
        (#"{"upload": {"mode": "everything"}}"#, "upload.mode", "unknown upload mode"),
        (#"{"upload": {"mode": "ALL"}}"#, "upload.mode", "unknown upload mode"),
        (#"{"upload": {"mode": 1}}"#, "upload.mode", "expected a string"),
        (#"{"upload": {"max_kbps": -1}}"#, "upload.max_kbps", "between 0 and 10000000"),
        (#"{"upload": {"max_kbps": 10000001}}"#, "upload.max_kbps", "between 0 and 10000000"),
        (#"{"upload": {"max_kbps": 1.5}}"#, "upload.max_kbps", "expected an integer"),
        (#"{"upload": {"max_kbps": "100"}}"#, "upload.max_kbps", "expected an integer"),
        (#"{"upload": {"order": "random"}}"#, "upload.order", "unknown upload order"),
        (#"{"upload": {"order": true}}"#, "upload.order", "expected a string"),
        (#"{"upload": {"delete_after_upload": "yes"}}"#, "upload.delete_after_upload", "expected true or false"),
        (#"{"upload": {"delete_after_upload": 1}}"#, "upload.delete_after_upload", "expected true or false"),
        (#"{"upload": {"mode": "all", "bucket": "x"}}"#, "upload.bucket", "unknown field"),
        (#"{"upload": {"mode": "all", "mode": "none"}}"#, "upload.mode", "appears twice"),
    ])
    func refusesBadUploadPoliciesNamingTheField(_ document: String, _ field: String, _ reason: String) {
        do {
            _ = try DesiredState(json: JSONValue.parse(document), strict: true)
            Issue.record("accepted \(document)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func unknownFieldsOfCloudDocumentsAreTolerated() throws {
        let future = #"{"upload": {"mode": "all", "window": "night"}}"#
        #expect(try DesiredState(json: JSONValue.parse(future), strict: false).upload.mode == .all)
    }

    @Test func motionModeReadsItsRollsAndDefaultsToFiveSeconds() throws {
        let given = try DesiredState(json: JSONValue.parse(#"{"upload": {"mode": "motion", "pre_roll_s": 0, "post_roll_s": 300}}"#), strict: true)
        #expect(given.upload.motionWindow == MotionUploadWindow(preMs: 0, postMs: 300_000))
        let defaults = try DesiredState(json: JSONValue.parse(#"{"upload": {"mode": "motion"}}"#), strict: false)
        #expect(defaults.upload.motionWindow == MotionUploadWindow(preMs: 5000, postMs: 5000))
        #expect(UploadPolicy(mode: .all).motionWindow == nil, "other modes queue nothing around events")
    }

    /// Segment [s, e) against event [a, b] with pre 2 s and post 3 s: the
    /// segment goes when it overlaps [a − 2, b + 3).
    @Test(arguments: [
        (0, 10_000, 20_000, 25_000, false),   // ends 10 s before the pre-roll
        (0, 18_000, 20_000, 25_000, false),   // ends exactly where the pre-roll starts
        (0, 18_001, 20_000, 25_000, true),    // 1 ms of pre-roll
        (21_000, 22_000, 20_000, 25_000, true), // inside
        (28_000, 40_000, 20_000, 25_000, false), // starts exactly where the post-roll ends
        (27_999, 40_000, 20_000, 25_000, true), // 1 ms of post-roll
    ] as [(Int64, Int64, Int64, Int64, Bool)])
    func aSegmentGoesWithAnEventWhenItOverlapsTheRolls(_ s: Int64, _ e: Int64, _ a: Int64, _ b: Int64, _ covered: Bool) {
        #expect(MotionUploadWindow(preMs: 2000, postMs: 3000).covers(segmentStartMs: s, segmentEndMs: e, eventStartMs: a, eventEndMs: b) == covered)
    }
}

@Suite struct S3TargetTests {
    static let good: [String: JSONValue] = [
        "endpoint": .string("https://s3.eu-west-1.amazonaws.com"), "bucket": .string("fleet-recordings"),
        "region": .string("eu-west-1"), "credentials_file": .string("/etc/camgate/s3-credentials"), "prefix": .string("site-7/gate"),
    ]

    static func target(_ changes: [String: JSONValue?]) throws(ConfigurationError) -> S3Target {
        var fields = good
        for (key, value) in changes { fields[key] = value }
        return try S3Target(json: .object(fields), path: "s3")
    }

    @Test func readsAStandaloneTarget() throws {
        let target = try Self.target([:])
        #expect(target.endpoint == "https://s3.eu-west-1.amazonaws.com")
        #expect(target.bucket == "fleet-recordings" && target.region == "eu-west-1" && target.prefix == "site-7/gate")
        #expect(try S3Target(json: target.json, path: "s3") == target)
    }

    @Test func defaultsTheRegionAndThePrefixAndAcceptsLoopbackHTTP() throws {
        let target = try Self.target(["region": nil, "prefix": nil, "endpoint": .string("http://127.0.0.1:9000")])
        #expect(target.region == "us-east-1" && target.prefix == "")
        for endpoint in ["http://localhost:9000", "http://[::1]:9000/", "https://minio.example:9000/s3"] {
            #expect(throws: Never.self) { try Self.target(["endpoint": .string(endpoint)]) }
        }
    }

    /// field, bad value (nil: absent), what the reason says
    static let badFields: [(String, JSONValue?, String)] = [
        ("endpoint", nil, "is required"),
        ("endpoint", .string("http://s3.example.com"), "only for loopback"),
        ("endpoint", .string("http://127.example.com:9000"), "only for loopback"),
        ("endpoint", .string("ftp://s3.example.com"), "scheme must be http or https"),
        ("endpoint", .string("https://key:secret@s3.example.com"), "credentials in the endpoint URL"),
        ("endpoint", .string("https://s3.example.com/?x=1"), "no query or fragment"),
        ("endpoint", .string("https://s3.example.com/a b"), "whitespace"),
        ("endpoint", .string("https:///bucket"), "no host"),
        ("endpoint", .int(443), "expected a string"),
        ("bucket", nil, "is required"),
        ("bucket", .string("ab"), "3–63 characters"),
        ("bucket", .string(String(repeating: "a", count: 64)), "3–63 characters"),
        ("bucket", .string("Fleet"), "only lowercase letters"),
        ("bucket", .string("fleet_rec"), "only lowercase letters"),
        ("bucket", .string("-fleet"), "start and end"),
        ("bucket", .string("fleet."), "start and end"),
        ("bucket", .string("fleet..rec"), "contains \"..\""),
        ("bucket", .string("192.168.5.4"), "IP address"),
        ("region", .string("EU-WEST-1"), "lowercase letters"),
        ("region", .string(""), "lowercase letters"),
        ("region", .string("eu west"), "lowercase letters"),
        ("credentials_file", nil, "is required"),
        ("credentials_file", .string("s3-credentials"), "absolute path"),
        ("credentials_file", .string("/etc/camgate/../shadow"), "'..'"),
        ("credentials_file", .string("/etc/camgate/a\u{1}b"), "control character"),
        ("prefix", .string("/site"), "leading, trailing or doubled '/'"),
        ("prefix", .string("site/"), "leading, trailing or doubled '/'"),
        ("prefix", .string("a//b"), "leading, trailing or doubled '/'"),
        ("prefix", .string("a/../b"), "starts with '.'"),
        ("prefix", .string("a/%2e%2e/b"), "contains U+25"),
        ("prefix", .string("caf\u{E9}"), "contains U+E9"),
        ("prefix", .string(Array(repeating: "abcdefgh", count: 40).joined(separator: "/")), "at most 256"),
    ]

    @Test(arguments: badFields)
    func refusesEveryBadFieldNamingIt(_ key: String, _ value: JSONValue?, _ reason: String) {
        do {
            _ = try Self.target([key: value])
            Issue.record("accepted \(key) = \(String(describing: value))")
        } catch {
            #expect(error.field == "s3.\(key)", "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func refusesUnknownFields() {
        #expect { try Self.target(["secret_key": .string("x")]) } throws: { ($0 as? ConfigurationError)?.field == "s3.secret_key" }
    }
}
