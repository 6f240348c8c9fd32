import Testing
@testable import CamgateCore

@Suite struct RedactorTests {
    @Test(arguments: [
        ("rtsp://admin:secret@10.0.0.5:554/stream", "rtsp://admin:***@10.0.0.5:554/stream"),
        ("rtsp://token@cam/x", "rtsp://***@cam/x"),
        ("rtsp://10.0.0.5/stream", "rtsp://10.0.0.5/stream"),
        ("rtmp://live.example/app/streamkey", "rtmp://live.example/app/***"),
        ("rtmps://u:p@live.example/app/key", "rtmps://u:***@live.example/app/***"),
        ("https://bucket.s3/obj?X-Amz-Signature=abc", "https://bucket.s3/obj?***"),
        ("rtsp://a:b@c@host/x", "rtsp://a:***@host/x"),
    ])
    func redactsURLs(_ url: String, _ expected: String) {
        #expect(Redactor.redactURL(url) == expected)
    }

    @Test func redactsURLsInsideFreeText() {
        let line = "[error] rtsp://admin:p4ss@192.0.2.10:554/s1: Connection refused; pushing to 'rtmp://x/live/k3y'"
        let out = Redactor.redact(line)
        #expect(out == "[error] rtsp://admin:***@192.0.2.10:554/s1: Connection refused; pushing to 'rtmp://x/live/***'")
        #expect(!out.contains("p4ss") && !out.contains("k3y"))
    }

    @Test func leavesPlainTextAlone() {
        #expect(Redactor.redact("no urls here: a://") == "no urls here: a://")
        #expect(Redactor.redact("://x") == "://x")
    }
}

@Suite struct TimestampTests {
    @Test func formatsRFC3339InUTC() {
        #expect(Timestamp.rfc3339(milliseconds: 0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.rfc3339(milliseconds: 1_795_343_400_250) == "2026-11-22T10:30:00.250Z")
        #expect(Timestamp.utcDate(milliseconds: 1_795_343_400_250) == "2026-11-22")
    }

    @Test func parsesWhatItFormatsAndOffsets() {
        #expect(Timestamp.parseRFC3339("2026-11-22T10:30:00.250Z") == 1_795_343_400_250)
        #expect(Timestamp.parseRFC3339("2026-11-22T11:30:00+01:00") == 1_795_343_400_000)
        #expect(Timestamp.parseRFC3339("2026-11-22T10:30:00.1Z") == 1_795_343_400_100)
        // More than three fraction digits (RFC 3339 allows any number): truncated to milliseconds, never a trap.
        #expect(Timestamp.parseRFC3339("2026-11-22T10:30:00.123456Z") == 1_795_343_400_123)
        #expect(Timestamp.parseRFC3339("2026-11-22T10:30:00.1234567890123Z") == 1_795_343_400_123)
        #expect(Timestamp.parseRFC3339("2026-11-22 10:30:00Z") == 1_795_343_400_000)
    }

    @Test(arguments: ["", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T10:30:00", "2026-11-22T10:30:00.Z", "x026-11-22T10:30:00Z", "2026-11-22T10:30:00Zjunk"])
    func rejectsMalformedTimes(_ text: String) {
        #expect(Timestamp.parseRFC3339(text) == nil)
    }

    /// timegm rolls an impossible date forward (2026-02-31 would be March
    /// 3): it must be refused instead.
    @Test(arguments: ["2026-02-31T00:00:00Z", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-06-31T12:00:00Z",
                      "2026-09-31T00:00:00+02:00", "2026-11-31T00:00:00Z", "2026-01-32T00:00:00Z", "2026-01-00T00:00:00Z",
                      "2026-11-22T10:30:00+24:00", "2026-11-22T10:30:00-01:60"])
    func rejectsDatesAndOffsetsThatDoNotExist(_ text: String) {
        #expect(Timestamp.parseRFC3339(text) == nil)
    }

    @Test func acceptsTheLastDayOfEveryMonthAndLeapDays() throws {
        let lastDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for (index, day) in lastDays.enumerated() {
            let text = "2026-\(index < 9 ? "0" : "")\(index + 1)-\(day)T23:59:59Z"
            let ms = try #require(Timestamp.parseRFC3339(text), "\(text)")
            #expect(Timestamp.rfc3339(milliseconds: ms) == text, "not rolled over")
        }
        for leap in ["2024-02-29T00:00:00Z", "2000-02-29T00:00:00Z"] {
            #expect(Timestamp.parseRFC3339(leap).map { Timestamp.rfc3339(milliseconds: $0) } == leap)
        }
    }
}

@Suite struct ProcessSpecTests {
    @Test func fingerprintIsStableAndSensitiveToEveryPart() {
        let base = ProcessSpec(executable: "/usr/bin/ffmpeg", arguments: ["-i", "x"], environment: ["TZ": "UTC"], logFile: "/l")
        #expect(base.fingerprint == ProcessSpec(executable: "/usr/bin/ffmpeg", arguments: ["-i", "x"], environment: ["TZ": "UTC"], logFile: "/l").fingerprint)
        #expect(base.fingerprint.count == 16)
        var other = base; other.arguments = ["-i", "y"]
        #expect(other.fingerprint != base.fingerprint)
        other = base; other.arguments = ["-ix"]
        #expect(other.fingerprint != base.fingerprint, "argument boundaries matter")
        other = base; other.environment["TZ"] = "CET"
        #expect(other.fingerprint != base.fingerprint)
    }
}
