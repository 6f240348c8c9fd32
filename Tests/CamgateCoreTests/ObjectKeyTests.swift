import Testing
@testable import CamgateCore

@Suite struct ObjectKeyTests {
    static let cam = try! CameraID("gate-2")
    /// 2026-11-29T22:00:00Z
    static let start: Int64 = 1_795_989_600_000

    @Test func keysASegmentByPrefixDeviceCameraAndUTCDate() throws {
        let key = try ObjectKey(prefix: "site-7/rec", device: "dev-01.a", camera: Self.cam, startMs: Self.start, file: "20261129T220000Z.ts")
        #expect(key.rawValue == "site-7/rec/dev-01.a/gate-2/2026/11/29/20261129T220000Z.ts")
        let bare = try ObjectKey(prefix: "", device: "d", camera: Self.cam, startMs: 0, file: "x.ts")
        #expect(bare.rawValue == "d/gate-2/1970/01/01/x.ts")
    }

    @Test func theDateIsTheUTCDayOfTheStartEvenJustBeforeMidnight() throws {
        let key = try ObjectKey(prefix: "", device: "d", camera: Self.cam, startMs: Self.start + 7_199_999, file: "a.ts")
        #expect(key.rawValue == "d/gate-2/2026/11/29/a.ts")
        #expect(try ObjectKey(prefix: "", device: "d", camera: Self.cam, startMs: Self.start + 7_200_000, file: "a.ts").rawValue == "d/gate-2/2026/11/30/a.ts")
    }

    @Test(arguments: [
        ("file", "../../etc/passwd.ts"),
        ("file", "a/b.ts"),
        ("file", "..ts"),
        ("file", ".ts"),
        ("file", "a.ts\u{0}"),
        ("file", "a\nb.ts"),
        ("file", "a\u{7F}.ts"),
        ("file", "%2e%2e%2fx.ts"),
        ("file", "a%00.ts"),
        ("file", "a b.ts"),
        ("file", "a\\b.ts"),
        ("file", "a\u{2215}b.ts"),         // DIVISION SLASH, a '/' look-alike
        ("file", "\u{FF0E}\u{FF0E}.ts"),  // fullwidth dots
        ("file", "segment.mp4"),
        ("file", String(repeating: "a", count: 253) + ".ts"),
        ("file", ""),
        ("device", ".."),
        ("device", "dev/1"),
        ("device", "dev%2F1"),
        ("device", ""),
        ("prefix", "../x"),
        ("prefix", "x/.."),
        ("prefix", "/x"),
        ("prefix", "x//y"),
        ("prefix", "x/"),
        ("prefix", "x\ty"),
        ("prefix", "x?y"),
        ("prefix", "x#y"),
    ])
    func hostileComponentsAreRefusedNamingWhichOne(_ subject: String, _ value: String) {
        let prefix = subject == "prefix" ? value : "p"
        let device = subject == "device" ? value : "d"
        let file = subject == "file" ? value : "a.ts"
        #expect(throws: UploadError.self) { try ObjectKey(prefix: prefix, device: device, camera: Self.cam, startMs: Self.start, file: file) }
        do {
            _ = try ObjectKey(prefix: prefix, device: device, camera: Self.cam, startMs: Self.start, file: file)
        } catch {
            #expect(error.subject == subject, "\(error)")
            #expect(error.code == .unsafeKeyComponent, "\(error)")
        }
    }

    @Test func aCameraIdIsCheckedAgainEvenThoughCameraIDValidatedIt() {
        // The reserved ids are built without CameraID's public check.
        #expect(throws: Never.self) { try ObjectKey(prefix: "", device: "d", camera: .mediamtx, startMs: Self.start, file: "a.ts") }
        #expect { try ObjectKey.check("../x", subject: "camera") } throws: { ($0 as? UploadError)?.subject == "camera" }
    }

    @Test func keysOverTenTwentyFourBytesAreRefused() throws {
        let prefix = Array(repeating: String(repeating: "p", count: 200), count: 4).joined(separator: "/")   // 803 bytes
        let fits = String(repeating: "f", count: 1024 - 803 - "/d/gate-2/2026/11/29/".utf8.count - 3) + ".ts"
        let key = try ObjectKey(prefix: prefix, device: "d", camera: Self.cam, startMs: Self.start, file: fits)
        #expect(key.rawValue.utf8.count == 1024)
        #expect { try ObjectKey(prefix: prefix, device: "d", camera: Self.cam, startMs: Self.start, file: "f" + fits) } throws: {
            ($0 as? UploadError)?.code == .keyTooLong && ($0 as? UploadError)?.subject == "key"
        }
    }

    @Test(arguments: [Int64(-1), 253_402_300_800_000])
    func startsOutsideFourDigitYearsAreRefused(_ startMs: Int64) {
        #expect { try ObjectKey(prefix: "", device: "d", camera: Self.cam, startMs: startMs, file: "a.ts") } throws: {
            ($0 as? UploadError)?.code == .timeOutOfRange
        }
    }
}
