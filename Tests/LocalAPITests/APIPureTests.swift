import CamgateCore
import Store
@testable import Daemon
@testable import LocalAPI
import Testing

@Suite struct ByteRangeTests {
    @Test(arguments: [
        (nil as String?, 100 as Int64, ByteRange.whole),
        ("bytes=0-9", 100, .range(first: 0, last: 9)),
        ("bytes=90-", 100, .range(first: 90, last: 99)),
        ("bytes=-10", 100, .range(first: 90, last: 99)),
        ("bytes=-500", 100, .range(first: 0, last: 99)),
        ("bytes=50-5000", 100, .range(first: 50, last: 99)),
        ("bytes=100-", 100, .unsatisfiable),
        ("bytes=200-300", 100, .unsatisfiable),
        ("bytes=-0", 100, .unsatisfiable),
        ("bytes=0-0,5-9", 100, .whole),
        ("items=0-9", 100, .whole),
        ("bytes=9-0", 100, .whole),
        ("bytes=abc", 100, .whole),
        ("bytes=0-", 0, .unsatisfiable),
    ])
    func parsesOneRangeAndServesAnythingElseWhole(header: String?, size: Int64, expected: ByteRange) {
        #expect(ByteRange.parse(header, size: size) == expected)
    }
}

@Suite struct TimelineTests {
    @Test func mergesTouchingSegmentsAndKeepsRealGaps() {
        let spans = Timeline.spans([(0, 10_000), (10_500, 20_000), (60_000, 70_000)], from: 0, to: 100_000)
        #expect(spans == [.init(start: 0, end: 20_000), .init(start: 60_000, end: 70_000)])
    }

    @Test func clipsToTheWindowAndDropsWhatIsOutside() {
        let spans = Timeline.spans([(-5_000, 5_000), (200_000, 210_000), (95_000, 120_000)], from: 0, to: 100_000)
        #expect(spans == [.init(start: 0, end: 5_000), .init(start: 95_000, end: 100_000)])
    }

    @Test func unsortedAndOverlappingSegmentsMakeOneSpan() {
        let spans = Timeline.spans([(30_000, 40_000), (0, 35_000)], from: 0, to: 100_000)
        #expect(spans == [.init(start: 0, end: 40_000)])
    }
}

@Suite struct RouteTests {
    @Test(arguments: [
        ([], APIRoute.page),
        (["metrics"], .metrics),
        (["api", "v1", "status"], .status),
        (["api", "v1", "cameras"], .cameras),
        (["api", "v1", "cameras", "front"], .camera("front")),
        (["api", "v1", "cameras", "front", "snapshot"], .snapshot("front")),
        (["api", "v1", "cameras", "front", "restart"], .restart("front")),
        (["api", "v1", "cameras", "front", "timeline"], .timeline("front")),
        (["api", "v1", "cameras", "front", "other"], .unknown),
        (["api", "v1", "recordings", "17"], .recording(17)),
        (["api", "v1", "recordings", "17", "download"], .download(17)),
        (["api", "v1", "recordings", "x", "download"], .unknown),
        (["api", "v1", "uploads"], .uploads),
        (["api", "v1", "uploads", "3"], .unknown),
        (["api", "v1", "hardware", "rescan"], .rescan),
        (["api", "v1", "cloud", "reconnect"], .reconnect),
        (["api", "v1", "cloud"], .cloud),
        (["api", "v1", "cloud", "events"], .cloudEvents),
        (["api", "stream", "status"], .streamStatus),
        (["api", "stream", "start"], .streamStart),
        (["api", "stream", "stop"], .streamStop),
        (["api", "stream", "pause"], .unknown),
        (["api", "config", "urls"], .configURLs),
        (["api", "v2", "status"], .unknown),
    ])
    func mapsPathsToRoutes(segments: [String], expected: APIRoute) {
        #expect(APIRoute(segments) == expected)
    }

    @Test(arguments: ["/api/v1/recordings/../../etc/passwd", "/api/v1/%2e%2e/status", "/a/%2Fetc", "/a/%00", "/a/%zz", "/a/%C3"])
    func refusesPathsThatCouldWalkOrDoNotDecode(path: String) {
        let request = APIRequest(method: "GET", uri: path, headers: [], body: [], viaTCP: false)
        #expect(request.segments == nil)
    }

    @Test func decodesSegmentsAndQuery() {
        let request = APIRequest(method: "GET", uri: "/api/v1/cameras/a%2Db?camera=x+y&limit=5&limit=6", headers: [], body: [], viaTCP: false)
        #expect(request.segments == ["api", "v1", "cameras", "a-b"])
        #expect(request.query == ["camera": "x y", "limit": "5"])
    }
}

@Suite struct PrometheusTextTests {
    @Test func writesHelpAndTypeOnceAndEscapesLabels() {
        var out = PrometheusText()
        out.gauge("camgate_x", "An x.\nSecond line", [([("camera", "a\"b\\c\nd")], 1.5), ([("camera", "b")], 2)])
        out.counter("camgate_y_total", "Ys.", [([], 3)])
        #expect(out.text == """
            # HELP camgate_x An x.\\nSecond line
            # TYPE camgate_x gauge
            camgate_x{camera="a\\"b\\\\c\\nd"} 1.5
            camgate_x{camera="b"} 2
            # HELP camgate_y_total Ys.
            # TYPE camgate_y_total counter
            camgate_y_total 3

            """)
    }

    @Test func histogramBucketsAreCumulative() {
        var histogram = Histogram(bounds: [0.1, 1])
        for value in [0.05, 0.5, 0.7, 3] { histogram.observe(value) }
        var out = PrometheusText()
        out.histogram("camgate_h_seconds", "H.", histogram)
        #expect(out.text.contains("camgate_h_seconds_bucket{le=\"0.1\"} 1\n"))
        #expect(out.text.contains("camgate_h_seconds_bucket{le=\"1\"} 3\n"))
        #expect(out.text.contains("camgate_h_seconds_bucket{le=\"+Inf\"} 4\n"))
        #expect(out.text.contains("camgate_h_seconds_count 4\n"))
        #expect(out.text.contains("camgate_h_seconds_sum 4.25\n"))
    }
}

@Suite struct BearerTokenTests {
    @Test(arguments: [
        ("Bearer 0123456789abcdef", true), ("bearer 0123456789abcdef", true), ("Bearer 0123456789abcdeX", false),
        ("Bearer 0123456789abcdef0", false), ("Bearer ", false), ("Basic 0123456789abcdef", false), ("0123456789abcdef", false),
    ])
    func acceptsOnlyTheExactToken(header: String, accepted: Bool) {
        #expect(BearerToken.matches(header, "0123456789abcdef") == accepted)
    }
}

@Suite struct UploadReportTests {
    static func report(_ progress: UploadProgress?) throws -> UploadReport {
        var summary = UploadQueueSummary()
        (summary.queued, summary.uploading, summary.done, summary.failed, summary.pendingBytes) = (4, 1, 9, 1, 50_000_000)
        var report = UploadReport(policy: UploadPolicy(mode: .all, maxKbps: 8000), summary: summary)
        if let progress {
            report.bytesSent = progress.bytesSent
            report.segmentsLost = 0
            report.current = progress.current.map { .init(camera: $0.camera, file: $0.file, bytes: $0.bytes, sentBytes: $0.sentBytes) }
            report.lastError = progress.lastError
        }
        return report
    }

    @Test func showsTheQueueTheSegmentOnItsWayAndARedactedError() throws {
        var progress = UploadProgress()
        progress.bytesSent = 123_000_000
        progress.current = .init(camera: try CameraID("front"), file: "20261130T010000Z.ts", bytes: 1000, sentBytes: 1250)
        progress.lastError = "PUT https://s3.example/b/k?X-Amz-Signature=deadbeef: HTTP 503"
        let json = try Self.report(progress).json
        #expect(json["current"]?["sent_bytes"] == .int(1000) && json["current"]?["progress"] == .double(1), "a resend never shows more than the file")
        #expect(json["last_error"]?.stringValue?.contains("deadbeef") == false && json["bytes_sent"] == .int(123_000_000))
        let text = UploadReport.text(of: try JSONValue.parse(json.serialized())).joined(separator: "\n")
        #expect(text.contains("uploads: all, cap 8000 kbit/s; 4 queued, 1 uploading, 9 done, 1 failed; 50.0 MB to send, 123.0 MB sent since start"), "\(text)")
        #expect(text.contains("uploading: front/20261130T010000Z.ts 100% of 1.0 KB") && !text.contains("deadbeef"), "\(text)")
    }

    @Test func fromTheDatabaseWhatOnlyARunningUploaderKnowsIsNull() throws {
        let json = try Self.report(nil).json
        #expect(json["bytes_sent"] == .null && json["lost"] == .null && json["held_until"] == .null)
        #expect(UploadReport.text(of: .object(["mode": .string("none"), "queued": .int(0)])) == ["uploads: none"])
    }
}
