import CamgateCore
import CloudLink
import ObjectStore
import Testing

/// SigV4 presigning, the cloud's upload answers and S3's answers (issue 12): pure, table-tested.
@Suite struct UploadTargetTests {
    /// The worked example of the S3 documentation ("Authenticating Requests:
    /// Using Query Parameters"): GET examplebucket/test.txt, 24 May 2013, 86400 s.
    @Test func presignsTheDocumentedExampleWithItsPublishedSignature() {
        let signer = SigV4(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1")
        let nowMs = Timestamp.parseRFC3339("2013-05-24T00:00:00Z")!
        let query = signer.presignedQuery(method: "GET", hostHeader: "examplebucket.s3.amazonaws.com", path: "/test.txt", query: [],
                                          nowMs: nowMs, expiresSeconds: 86400)
        #expect(query.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"), "\(query)")
        #expect(query.contains("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"))
    }

    @Test func encodesLikeRFC3986WithUpperCaseHex() {
        let table: [(String, Bool, String)] = [
            ("a b", false, "a%20b"), ("a/b", false, "a%2Fb"), ("a/b", true, "a/b"), ("~-_.", false, "~-_."), ("é", false, "%C3%A9"), ("=&", false, "%3D%26"),
        ]
        for (text, keepSlash, expected) in table { #expect(SigV4.encode(text, keepSlash: keepSlash) == expected, "\(text)") }
    }

    static let request = UploadTargetRequest(camera: try! CameraID("front"), file: "20261129T220000Z.ts", startMs: 0, size: 17 << 20,
                                             sha256: String(repeating: "a", count: 64))
    static let now: Int64 = 1_800_000_000_000
    static let later = Timestamp.rfc3339(milliseconds: now + 3_600_000)

    static func multipart(partSize: Int64 = 8 << 20, parts: [Int] = [1, 2, 3], url: String = "https://s3.example/b/k?x=1",
                          key: String = "fleet/dev-1/front/2026/11/29/20261129T220000Z.ts", expires: String = later) -> String {
        let list = parts.map { #"{"number": \#($0), "url": "\#(url)"}"# }.joined(separator: ",")
        return #"{"key": "\#(key)", "multipart": {"upload_id": "u-1", "part_size": \#(partSize), "parts": [\#(list)], "complete_url": "\#(url)", "expires_at": "\#(expires)"}}"#
    }

    @Test func acceptsAnswersThatFollowTheRules() throws {
        for body in [Self.multipart(), Self.multipart(url: "http://127.0.0.1:9000/b/k?X-Amz-Signature=1"),
                     #"{"key": "a/b.ts", "put": {"url": "https://s3.example/x", "expires_at": "\#(Self.later)"}}"#] {
            let answer = try UploadTargetClient.interpret(status: 200, body: Array(body.utf8), request: Self.request, nowMs: Self.now)
            guard case .target = answer else { Issue.record("\(body) → \(answer)"); continue }
        }
    }

    /// Everything docs/protocol.md says the device refuses: each a protocol error (backoff), never used.
    @Test func refusesAnswersThatBreakTheRules() {
        let past = Timestamp.rfc3339(milliseconds: Self.now - 1000)
        let table: [(String, String)] = [
            ("http to a public host", Self.multipart(url: "http://s3.example/b/k")),
            ("credentials in a URL", Self.multipart(url: "https://u:p@s3.example/b/k")),
            ("ftp", Self.multipart(url: "ftp://s3.example/b/k")),
            ("part size under 5 MiB", Self.multipart(partSize: 4 << 20, parts: [1, 2, 3, 4, 5])),
            ("a part missing", Self.multipart(parts: [1, 2])),
            ("a part too many", Self.multipart(parts: [1, 2, 3, 4])),
            ("parts from 0", Self.multipart(parts: [0, 1, 2])),
            ("expired", Self.multipart(expires: past)),
            ("key climbing out", Self.multipart(key: "fleet/../etc/passwd")),
            ("key with a percent", Self.multipart(key: "fleet/%2e%2e/x.ts")),
            ("key with a space", Self.multipart(key: "fleet/a b/x.ts")),
            ("key with a leading slash", Self.multipart(key: "/fleet/x.ts")),
            ("key too long", Self.multipart(key: Array(repeating: String(repeating: "k", count: 200), count: 6).joined(separator: "/"))),
            ("both put and multipart", #"{"key": "a", "put": {"url": "https://x/y", "expires_at": "\#(Self.later)"}, "multipart": {}}"#),
            ("neither", #"{"key": "a"}"#),
            ("not JSON", "<html>"),
        ]
        for (name, body) in table {
            #expect(throws: (any Error).self, "\(name)") { try UploadTargetClient.interpret(status: 200, body: Array(body.utf8), request: Self.request, nowMs: Self.now) }
        }
    }

    @Test func aResumeAnswerListsOnlyThePartsAskedForTheSameUpload() throws {
        var resume = Self.request
        resume.uploadID = "u-1"
        resume.parts = [2, 3]
        _ = try UploadTargetClient.interpret(status: 200, body: Array(Self.multipart(parts: [2, 3]).utf8), request: resume, nowMs: Self.now)
        #expect(throws: UploadError.self) { try UploadTargetClient.interpret(status: 200, body: Array(Self.multipart().utf8), request: resume, nowMs: Self.now) }
        resume.uploadID = "u-other"
        #expect(throws: UploadError.self) { try UploadTargetClient.interpret(status: 200, body: Array(Self.multipart(parts: [2, 3]).utf8), request: resume, nowMs: Self.now) }
    }

    @Test func statusesOfTheTargetRequestMeanWhatTheProtocolSays() throws {
        let table: [(Int, UploadTargetAnswer)] = [
            (409, .alreadyUploaded), (404, .unknownUpload("nope")), (400, .refused("nope")),
            (401, .credentialRejected("HTTP 401: the device token was rejected")), (403, .credentialRejected("HTTP 403: the device token was rejected")),
        ]
        for (status, expected) in table {
            #expect(try UploadTargetClient.interpret(status: status, body: Array(#"{"error": "nope"}"#.utf8), request: Self.request, nowMs: Self.now) == expected)
        }
        for status in [429, 500, 502, 503] {
            #expect(throws: UploadTargetUnavailable.self) { try UploadTargetClient.interpret(status: status, body: [], request: Self.request, nowMs: Self.now) }
        }
    }

    @Test func classifiesS3Answers() {
        let error = { (code: String) in Array("<?xml version=\"1.0\"?><Error><Code>\(code)</Code><Message>m</Message></Error>".utf8) }
        let result = Array("<CompleteMultipartUploadResult><ETag>&quot;abc-3&quot;</ETag></CompleteMultipartUploadResult>".utf8)
        let table: [(Int, [UInt8], Bool, S3Answer)] = [
            (200, [], false, .stored(etag: "\"h\"")),
            (200, result, true, .stored(etag: "\"abc-3\"")),
            (200, error("InternalError"), true, .retry("HTTP 200 InternalError")),
            (200, error("InvalidPart"), true, .startOver("HTTP 200 InvalidPart")),
            (403, error("AccessDenied"), false, .urlRefused("HTTP 403 AccessDenied")),
            (404, error("NoSuchUpload"), false, .uploadGone("HTTP 404 NoSuchUpload")),
            (400, error("EntityTooSmall"), true, .startOver("HTTP 400 EntityTooSmall")),
            (400, error("BadDigest"), false, .resend("HTTP 400 BadDigest")),
            (400, error("InvalidDigest"), false, .resend("HTTP 400 InvalidDigest")),
            (400, error("BadDigest"), true, .startOver("HTTP 400 BadDigest")),
            (400, error("InvalidArgument"), false, .retry("HTTP 400 InvalidArgument")),
            (500, error("InternalError"), true, .retry("HTTP 500 InternalError")),
            (503, [], false, .retry("HTTP 503")),
        ]
        for (status, body, completing, expected) in table {
            #expect(S3Answer.classify(status: status, etagHeader: "\"h\"", body: body, completing: completing) == expected, "\(status) \(completing)")
        }
    }

    @Test func theCompleteBodyListsPartsInOrderWithTheirETagsAsSent() {
        let body = S3XML.completeBody([(number: 2, etag: "\"b\""), (number: 1, etag: "\"a&\"")])
        #expect(body.hasSuffix("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"a&amp;\"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>\"b\"</ETag></Part></CompleteMultipartUpload>"))
    }
}
