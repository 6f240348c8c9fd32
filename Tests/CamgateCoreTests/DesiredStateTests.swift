import Testing
@testable import CamgateCore

@Suite struct DesiredStateTests {
    /// The example of PROTOCOL.md, as the cloud sends it.
    static let protocolExample = """
    {"revision": 42,
     "cameras": {
       "front": {"source": {"kind": "v4l2", "device": "/dev/v4l/by-id/usb-Logi_C920-video-index0"},
                 "record": true, "view": false,
                 "video": {"size": "1280x720", "fps": 15, "encoder": "auto", "bitrate_kbps": 2000},
                 "restream": null},
       "gate":  {"source": {"kind": "rtsp", "url": "rtsp://user:pass@192.0.2.10:554/stream1"},
                 "record": true, "view": true,
                 "restream": {"url": "rtmp://live.example/app/key"}},
       "demo":  {"source": {"kind": "test", "pattern": "testsrc2"}, "record": false, "view": true}},
     "recording": {"segment_seconds": 1800, "retain_days": 14, "min_free_percent": 10}}
    """

    @Test func readsTheProtocolExample() throws {
        let state = try DesiredState(json: JSONValue.parse(Self.protocolExample), strict: true)
        #expect(state.revision == 42)
        #expect(state.cameras.count == 3)
        let front = try #require(state.cameras[CameraID("front")])
        #expect(front.source == .v4l2(device: "/dev/v4l/by-id/usb-Logi_C920-video-index0"))
        #expect(front.record && !front.view)
        #expect(front.video.size == Resolution(width: 1280, height: 720))
        #expect(front.video.bitrateKbps == 2000)
        let gate = try #require(state.cameras[CameraID("gate")])
        #expect(gate.restream?.url == "rtmp://live.example/app/key")
        let demo = try #require(state.cameras[CameraID("demo")])
        #expect(demo.source == .test(try TestPattern(pattern: "testsrc2")))
        #expect(state.recording == RecordingPolicy(segmentSeconds: 1800, retainDays: 14, minFreePercent: 10))
    }

    @Test func appliesDefaultsToAnEmptyDocument() throws {
        let state = try DesiredState(json: JSONValue.parse("{}"), strict: true)
        #expect(state == DesiredState())
        #expect(state.recording.segmentSeconds == 1800)
    }

    @Test func roundTripsThroughItsStoredForm() throws {
        let state = try DesiredState(json: JSONValue.parse(Self.protocolExample), strict: true)
        let again = try DesiredState(json: JSONValue.parse(state.json.serialized()), strict: true)
        #expect(again == state)
        #expect(again.json.serialized() == state.json.serialized())
    }

    @Test(arguments: [
        (#"{"cameras": []}"#, "cameras", "expected an object, got an array"),
        (#"{"revision": "7"}"#, "revision", "expected an integer, got a string"),
        (#"{"revision": -1}"#, "revision", "must be between 0"),
        (#"{"recoding": {}}"#, "recoding", "unknown field"),
        (#"{"cameras": {"a b": {"source": {"kind": "test"}}}}"#, "cameras.a b", "contains \" \""),
        (#"{"cameras": {"../x": {"source": {"kind": "test"}}}}"#, "cameras.../x", "must start with a letter"),
        (#"{"cameras": {"$HOME": {"source": {"kind": "test"}}}}"#, "cameras.$HOME", "must start with a letter"),
        (#"{"cameras": {"": {"source": {"kind": "test"}}}}"#, "cameras.", "camera id is empty"),
        (#"{"cameras": {"a": {}}}"#, "cameras.a.source", "is required"),
        (#"{"cameras": {"a": {"source": {"kind": "usb"}}}}"#, "cameras.a.source.kind", "unknown source kind"),
        (#"{"cameras": {"a": {"source": {"kind": "rtsp"}}}}"#, "cameras.a.source.url", "is required"),
        (#"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "http://x/y"}}}}"#, "cameras.a.source.url", "scheme must be rtsp or rtsps"),
        (#"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "rtsp://h/a b"}}}}"#, "cameras.a.source.url", "whitespace"),
        (#"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "rtsp://h/a\nb"}}}}"#, "cameras.a.source.url", "control character"),
        (#"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "rtsp:///nohost"}}}}"#, "cameras.a.source.url", "no host"),
        (#"{"cameras": {"a": {"source": {"kind": "v4l2", "device": "video0"}}}}"#, "cameras.a.source.device", "under /dev"),
        (#"{"cameras": {"a": {"source": {"kind": "v4l2", "device": "/dev/../etc/passwd"}}}}"#, "cameras.a.source.device", "'..'"),
        (#"{"cameras": {"a": {"source": {"kind": "test", "pattern": "movie=/etc/passwd"}}}}"#, "cameras.a.source.pattern", "unknown test pattern"),
        (#"{"cameras": {"a": {"source": {"kind": "test", "size": "1280x"}}}}"#, "cameras.a.source.size", "WIDTHxHEIGHT"),
        (#"{"cameras": {"a": {"source": {"kind": "test", "size": "99999x720"}}}}"#, "cameras.a.source.size", "out of range"),
        (#"{"cameras": {"a": {"source": {"kind": "test", "size": "641x361"}}}}"#, "cameras.a.source.size", "even"),
        (#"{"cameras": {"a": {"source": {"kind": "test", "fps": 0}}}}"#, "cameras.a.source.fps", "between 1 and 60"),
        (#"{"cameras": {"a": {"source": {"kind": "test"}, "record": "yes"}}}"#, "cameras.a.record", "expected true or false"),
        (#"{"cameras": {"a": {"source": {"kind": "test"}, "video": {"encoder": "x265"}}}}"#, "cameras.a.video.encoder", "unknown encoder"),
        (#"{"cameras": {"a": {"source": {"kind": "test"}, "video": {"encoder": "copy"}}}}"#, "cameras.a.video.encoder", "needs an encoded source"),
        (#"{"cameras": {"a": {"source": {"kind": "test"}, "video": {"bitrate_kbps": 1.5}}}}"#, "cameras.a.video.bitrate_kbps", "expected an integer"),
        (#"{"cameras": {"a": {"source": {"kind": "test"}, "restream": {"url": "rtsp://x/y"}}}}"#, "cameras.a.restream.url", "rtmp or rtmps"),
        (#"{"cameras": {"a": {"source": {"kind": "v4l2", "device": "/dev/video0"}}, "b": {"source": {"kind": "v4l2", "device": "/dev/video0"}}}}"#, "cameras.b.source.device", "already used by camera a"),
        (#"{"recording": {"segment_seconds": 1}}"#, "recording.segment_seconds", "between 2 and 86400"),
        (#"{"recording": {"min_free_percent": 99}}"#, "recording.min_free_percent", "between 0 and 95"),
        (#"{"recording": {"retain": 3}}"#, "recording.retain", "unknown field"),
        (#"{"cameras": {"a": "#, "", "not valid JSON"),
        (#"[1, 2]"#, "", "expected an object, got an array"),
    ])
    func rejectsBadDocumentsNamingTheField(_ document: String, _ field: String, _ reason: String) {
        do {
            _ = try DesiredState(json: JSONValue.parse(document), strict: true)
            Issue.record("accepted \(document)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test(arguments: [
        (#"{"cameras": {"c": {}, "c": {}}}"#, "cameras.c"),
        (#"{"cameras": {"c": {"record": true, "record": false}}}"#, "cameras.c.record"),
        (#"{"a": [{"k": 1}, {"k": 1, "k": 2}]}"#, "a[1].k"),
        (#"{"r\u0065cord": 1, "record": 2}"#, "record"),
        (#"{"a": {"b\"c": 1, "b\"c": 2}}"#, #"a.b"c"#),
        (#"{"a": {"\u0001": 1, "\u0001": 2}}"#, #"a."\u{1}""#),
    ])
    func aKeyTwiceInOneObjectIsRefusedWithItsPath(_ document: String, _ field: String) {
        #expect { try JSONValue.parse(document) } throws: { ($0 as? ConfigurationError)?.field == field && "\($0)".contains("appears twice") }
    }

    @Test func theSameKeyInDifferentObjectsOrAsAValueIsFine() throws {
        for document in [#"{"a": {"k": 1}, "b": {"k": 1}}"#, #"{"k": "k", "j": "k", "l": ["k", "k"]}"#, #"[{"k": 1}, {"k": 2}]"#, #"{"a\"": 1, "a": 2}"#] {
            #expect(throws: Never.self) { try JSONValue.parse(document) }
        }
    }

    @Test func toleratesUnknownFieldsFromTheCloud() throws {
        let document = #"{"revision": 3, "future": 1, "cameras": {"a": {"source": {"kind": "test", "lens": "wide"}, "ptz": true}}}"#
        let state = try DesiredState(json: JSONValue.parse(document), strict: false)
        #expect(state.revision == 3)
        #expect(state.cameras.count == 1)
        #expect(throws: ConfigurationError.self) { try DesiredState(json: JSONValue.parse(document), strict: true) }
    }

    @Test func redactsCredentialsInSourceDescriptions() throws {
        let source = CameraSource.rtsp(url: "rtsp://admin:hunter2@10.0.0.5:554/live")
        #expect(source.redacted == "rtsp rtsp://admin:***@10.0.0.5:554/live")
        #expect(!source.redacted.contains("hunter2"))
    }
}
