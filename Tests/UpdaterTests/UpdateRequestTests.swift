import Foundation
import CamgateCore
import OTA
import Platform
import Testing
import TestSupport
@testable import Updater

/// The cloud's update request between the agent and the root side: strict
/// parsing, one request at a time, taken without following links, and the
/// pure decision of when the agent acks it.
@Suite struct UpdateRequestTests {
    let dir = TemporaryDirectory("camgate-ota-request")
    var spool: UpdateSpool { UpdateSpool(dataDirectory: dir.path) }

    func request(_ id: String = "c-1") throws -> UpdateRequest {
        try UpdateRequest(commandID: id, manifestURL: "https://releases.example.com/0.2.0/manifest.json",
                          version: try SoftwareVersion(parsing: "0.2.0"), at: 1_000)
    }

    @Test func aSubmittedRequestIsTakenOnceAndRemoved() throws {
        try spool.submit(try request())
        #expect(try spool.take() == (try request()))
        #expect(!FileManager.default.fileExists(atPath: spool.requestFile))
    }

    @Test func aSecondRequestWaitsForTheFirstToBeTaken() throws {
        try spool.submit(try request("c-1"))
        #expect(throws: UpdateError.self) { try spool.submit(try request("c-2")) }
        #expect(try spool.take().commandID == "c-1")
    }

    @Test func aSymlinkPlantedAsTheRequestIsNotFollowed_andRemoved() throws {
        let secret = dir.file("secret")
        try "{\"command_id\": \"x\"}".write(toFile: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: spool.requestFile, withDestinationPath: secret)
        let error = #expect(throws: UpdateError.self) { try spool.take() }
        #expect(error?.description.contains("open") == true, "\(String(describing: error))")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: spool.requestFile)) == nil)
        #expect(FileManager.default.fileExists(atPath: secret))
    }

    @Test(arguments: [
        (#"{"command_id": "c", "url": "https://h/m.json", "version": "0.2.0", "extra": 1}"#, "unknown field"),
        (#"{"command_id": "c", "url": "file:///etc/shadow", "version": "0.2.0"}"#, "http(s) URL"),
        (#"{"command_id": "c", "url": "https://h/m.json x", "version": "0.2.0"}"#, "without spaces"),
        (#"{"command_id": "c", "url": "https://h/m.json", "version": "latest"}"#, "not a version"),
        (#"{"command_id": "", "url": "https://h/m.json", "version": "0.2.0"}"#, "command_id"),
        (#"{"command_id": "c\u0007", "url": "https://h/m.json", "version": "0.2.0"}"#, "command_id"),
        (#"{"url": "https://h/m.json", "version": "0.2.0"}"#, "command_id: is required"),
        ("[1, 2]", "expected an object"),
        ("not json", "request"),
    ])
    func aBadRequestIsRefusedAsMalformed_namingWhy(_ text: String, _ expected: String) throws {
        try text.write(toFile: spool.requestFile, atomically: true, encoding: .utf8)
        let error = #expect(throws: UpdateError.self) { try spool.take() }
        #expect(error?.code == "malformed" && error?.description.contains(expected) == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: spool.requestFile), "a bad request is removed too: the path unit must not loop on it")
    }

    @Test func anOversizedRequestIsRefused() throws {
        try String(repeating: " ", count: UpdateRequest.limit + 10).write(toFile: spool.requestFile, atomically: true, encoding: .utf8)
        let error = #expect(throws: UpdateError.self) { try spool.take() }
        #expect(error?.description.contains("over 8192 bytes") == true)
    }

    @Test func aHandoverIsTakenOnce_andOnlyWhileFresh() {
        spool.markHandover(now: 10_000)
        #expect(spool.takeHandover(now: 11_000))
        #expect(!spool.takeHandover(now: 11_000), "taken: removed")
        spool.markHandover(now: 10_000)
        #expect(!spool.takeHandover(now: 10_000 + 121_000), "stale after 2 min")
        #expect(!FileManager.default.fileExists(atPath: spool.handoverFile))
        spool.markHandover(now: 10_000)
        #expect(!spool.takeHandover(now: 9_000), "from the future: not trusted")
    }
}

/// When the agent acks a running ota_update (pure).
@Suite struct UpdateSettlementTests {
    static let v1 = try! SoftwareVersion(parsing: "0.1.0")
    static let v2 = try! SoftwareVersion(parsing: "0.2.0")

    static func record(_ phase: UpdateRecord.Phase, id: String? = "c-1", reason: RollbackReason? = nil) -> UpdateRecord {
        var r = UpdateRecord(candidate: v2, previous: v1, downgrade: false, cloudWasReachable: true, policy: TrialPolicy(), stagedAt: 0)
        r.phase = phase
        r.commandID = id
        r.rollbackReason = reason
        return r
    }

    static let refusal = UpdateRequestResult(commandID: "c-1", code: "wrong_signature", message: "manifest signed by k1 does not verify", at: 5)

    @Test(arguments: [
        ("taken, no outcome yet", false, nil, nil, Int64(60_000), UpdateSettlement.wait),
        ("staged", false, nil, record(.staged), 60_000, .wait),
        ("on trial", false, nil, record(.trial), 60_000, .wait),
        ("committed", false, nil, record(.committed), 60_000,
         .succeeded(detail: "0.2.0 committed (previous 0.1.0)", version: v2, previous: v1)),
        ("rolled back", false, nil, record(.rolledBack, reason: .crashLoop), 60_000,
         .failed(code: "crash_loop", detail: "0.2.0 rolled back to 0.1.0: crash_loop")),
        ("another command's record", false, nil, record(.committed, id: "c-0"), 60_000, .wait),
        ("an operator's update", false, nil, record(.committed, id: nil), 60_000, .wait),
        ("refused", false, refusal, nil, 60_000,
         .failed(code: "wrong_signature", detail: "refused: wrong_signature: manifest signed by k1 does not verify")),
        ("another command's refusal", false, UpdateRequestResult(commandID: "c-0", code: "x", message: "y", at: 1), nil, 60_000, .wait),
        ("waiting 9 min", true, nil, nil, 9 * 60_000, .wait),
        ("waiting 10 min: no updater", true, nil, nil, 10 * 60_000,
         .failed(code: "not_taken", detail: "the update request was not taken within 10 min (is camgate-ota-apply.path enabled?)")),
        ("taken 6 h ago, no outcome", false, nil, nil, 6 * 3_600_000, .failed(code: "no_outcome", detail: "no outcome 6 h after the request")),
        ("on trial for long: the trial decides", false, nil, record(.trial), 7 * 3_600_000, .wait),
    ] as [(String, Bool, UpdateRequestResult?, UpdateRecord?, Int64, UpdateSettlement)])
    func decides(_ name: String, _ waiting: Bool, _ result: UpdateRequestResult?, _ record: UpdateRecord?, _ now: Int64, _ expected: UpdateSettlement) {
        let got = UpdateSettlement.decide(commandID: "c-1", since: 0, requestWaiting: waiting, result: result, record: record, now: now)
        #expect(got == expected, "\(name)")
    }
}
