import Testing
@testable import CamgateCore

/// A camera's `motion` block in the desired state (issue 13).
@Suite struct MotionSettingsTests {
    static func document(_ motion: String, record: Bool = true) -> String {
        #"{"cameras": {"a": {"source": {"kind": "rtsp", "url": "rtsp://h/s"}, "record": \#(record), "motion": \#(motion)}}}"#
    }

    func camera(_ motion: String, strict: Bool = true) throws -> CameraSpec {
        try #require(try DesiredState(json: JSONValue.parse(Self.document(motion)), strict: strict).cameras[CameraID("a")])
    }

    @Test func motionIsOffByDefaultWithTheMeasuredDefaults() throws {
        let state = try DesiredState(json: JSONValue.parse(#"{"cameras": {"a": {"source": {"kind": "test"}, "record": true}}}"#), strict: true)
        let motion = try #require(state.cameras[CameraID("a")]).motion
        #expect(motion == MotionSettings(enabled: false, sensitivity: 25, minLengthMs: 500, gapMs: 1000, ignoreLighting: true, masks: []))
        #expect(abs(motion.tracker.thresholdPercent - 1.28) < 0.01)
    }

    @Test func readsEveryFieldAndRoundTrips() throws {
        let spec = try camera(#"{"enabled": true, "sensitivity": 60, "min_length_ms": 0, "gap_ms": 2500, "ignore_lighting": false, "masks": [{"x": 0, "y": 0, "w": 0.2, "h": 0.2}, {"x": 0.5, "y": 0.25, "w": 0.5, "h": 0.75}]}"#)
        #expect(spec.motion == MotionSettings(enabled: true, sensitivity: 60, minLengthMs: 0, gapMs: 2500, ignoreLighting: false,
                                              masks: [try MaskRect(x: 0, y: 0, w: 0.2, h: 0.2), try MaskRect(x: 0.5, y: 0.25, w: 0.5, h: 0.75)]))
        let state = DesiredState(cameras: [try CameraID("a"): spec])
        #expect(try DesiredState(json: JSONValue.parse(state.json.serialized()), strict: true) == state)
    }

    @Test(arguments: [
        (#"{"enabled": "yes"}"#, "cameras.a.motion.enabled", "expected true or false"),
        (#"{"sensitivity": 101}"#, "cameras.a.motion.sensitivity", "between 0 and 100"),
        (#"{"sensitivity": -1}"#, "cameras.a.motion.sensitivity", "between 0 and 100"),
        (#"{"min_length_ms": 60001}"#, "cameras.a.motion.min_length_ms", "between 0 and 60000"),
        (#"{"gap_ms": 100}"#, "cameras.a.motion.gap_ms", "between 500 and 600000"),
        (#"{"masks": {"x": 0}}"#, "cameras.a.motion.masks", "expected an array"),
        (#"{"masks": [{"x": 0, "y": 0, "w": 0.2}]}"#, "cameras.a.motion.masks[0].h", "is required"),
        (#"{"masks": [{"x": 0.9, "y": 0, "w": 0.2, "h": 0.2}]}"#, "cameras.a.motion.masks[0].w", "inside the picture"),
        (#"{"masks": [{"x": 0, "y": 0.5, "w": 0.2, "h": 0.6}]}"#, "cameras.a.motion.masks[0].h", "inside the picture"),
        (#"{"masks": [{"x": -0.1, "y": 0, "w": 0.2, "h": 0.2}]}"#, "cameras.a.motion.masks[0].x", "between 0 and 1"),
        (#"{"masks": [{"x": 0, "y": 0, "w": 0, "h": 0.2}]}"#, "cameras.a.motion.masks[0].w", "more than 0"),
        (#"{"masks": [{"x": 0, "y": 0, "w": "0.2", "h": 0.2}]}"#, "cameras.a.motion.masks[0].w", "expected a number"),
        (#"{"masks": [{"x": 0, "y": 0, "w": 0.2, "h": 0.2, "z": 1}]}"#, "cameras.a.motion.masks[0].z", "unknown field"),
        (#"{"masks": [{"x": 0, "y": 0, "w": 1, "h": 1}]}"#, "cameras.a.motion.masks", "at least 5 % must stay watched"),
        (#"{"sensitivty": 50}"#, "cameras.a.motion.sensitivty", "unknown field"),
        (#"{"substream": "http://h/sub"}"#, "cameras.a.motion.substream", "scheme must be rtsp or rtsps"),
        (#"{"substream": "rtsp://h/sub -f"}"#, "cameras.a.motion.substream", "whitespace"),
        (#"{"substream": "rtsp:///sub"}"#, "cameras.a.motion.substream", "no host"),
        (#"{"substream": "sub"}"#, "cameras.a.motion.substream", "not a URL"),
        (#"{"substream": 5}"#, "cameras.a.motion.substream", "expected a string"),
        (#"{"substream": "rtsp://h/s"}"#, "cameras.a.motion.substream", "is the camera's main stream"),
        (#"{"masks": [\#(Array(repeating: #"{"x": 0, "y": 0, "w": 0.1, "h": 0.1}"#, count: 17).joined(separator: ","))]}"#, "cameras.a.motion.masks", "at most 16"),
    ])
    func badValuesAreRefusedNamingTheField(_ motion: String, _ field: String, _ reason: String) {
        do {
            _ = try camera(motion)
            Issue.record("accepted \(motion)")
        } catch let error as ConfigurationError {
            #expect(error.field == field, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func motionNeedsTheRecorder() {
        #expect { try DesiredState(json: JSONValue.parse(Self.document(#"{"enabled": true}"#, record: false)), strict: true) } throws: {
            ($0 as? ConfigurationError)?.field == "cameras.a.motion.enabled" && "\($0)".contains("record")
        }
    }

    @Test func aSubstreamIsReadKeptAndOnlyForAnRTSPCamera() throws {
        let spec = try camera(#"{"enabled": true, "substream": "rtsp://user:pw@h/sub?ch=1"}"#)
        #expect(spec.motion.substream == "rtsp://user:pw@h/sub?ch=1")
        let state = DesiredState(cameras: [try CameraID("a"): spec])
        #expect(try DesiredState(json: JSONValue.parse(state.json.serialized()), strict: true) == state)
        #expect(try camera(#"{"enabled": true}"#).motion.substream == nil)
        let test = #"{"cameras": {"a": {"source": {"kind": "test"}, "record": true, "motion": {"enabled": true, "substream": "rtsp://h/sub"}}}}"#
        #expect { try DesiredState(json: JSONValue.parse(test), strict: true) } throws: {
            ($0 as? ConfigurationError)?.field == "cameras.a.motion.substream" && "\($0)".contains("RTSP camera")
        }
    }

    /// ffmpeg names the input it could not open as it was given, and a
    /// camera's two streams may differ only in their query (Dahua's
    /// `subtype=0` / `subtype=1`): the raw line is matched, URL and ": ".
    @Test func aLogBlamesTheSubstreamOnlyWhenItNamesItAsTheInputThatFailed() {
        let sub = "rtsp://u:p@cam/cam/realmonitor?channel=1&subtype=1"
        let main = "rtsp://u:p@cam/cam/realmonitor?channel=1&subtype=0"
        #expect(Substream.isBlamed(sub, rawLogTail: ["[tcp @ 0x1] [error] Connection to tcp://cam:554 failed", "[error] \(sub): Connection refused"]))
        #expect(!Substream.isBlamed(sub, rawLogTail: ["[error] \(main): Connection refused"]), "the main stream failed first")
        #expect(!Substream.isBlamed(sub, rawLogTail: ["[error] rtsp://u:***@cam/cam/realmonitor?***"]), "a redacted line names no stream")
        #expect(!Substream.isBlamed("rtsp://cam/s", rawLogTail: ["[error] rtsp://cam/s2: Connection refused"]), "a longer name is another stream")
        #expect(!Substream.isBlamed(sub, rawLogTail: []))
    }

    @Test func aRecordersSubstreamIsItsSecondInput() {
        #expect(Substream.input(ofCommandLine: ["ffmpeg", "-rtsp_transport", "tcp", "-i", "rtsp://cam/main", "-threads", "1", "-i", "rtsp://cam/sub", "-map", "0:v:0"]) == "rtsp://cam/sub")
        #expect(Substream.input(ofCommandLine: ["ffmpeg", "-i", "rtsp://cam/main", "-map", "0:v:0", "-f", "null", "-"]) == nil)
        #expect(Substream.input(ofCommandLine: ["ffmpeg", "-f", "lavfi", "-i"]) == nil, "a dangling -i is no input")
    }

    @Test func theCloudMayAddFieldsButNotBadValues() throws {
        #expect(try camera(#"{"enabled": true, "zones": [1], "masks": [{"x": 0, "y": 0, "w": 0.5, "h": 0.5, "label": "tree"}]}"#, strict: false).motion.masks.count == 1)
        #expect(throws: ConfigurationError.self) { try camera(#"{"sensitivity": 500, "zones": []}"#, strict: false) }
    }

    @Test(arguments: [
        ([], 1.0),
        ([(0.0, 0.0, 0.2, 0.2)], 0.96),
        ([(0.0, 0.0, 0.5, 1.0), (0.25, 0.0, 0.5, 1.0)], 0.25),
        ([(0.0, 0.0, 0.2, 0.2), (0.0, 0.0, 0.2, 0.2)], 0.96),
        ([(0.1, 0.1, 0.2, 0.2), (0.5, 0.5, 0.5, 0.5)], 0.71),
    ] as [([(Double, Double, Double, Double)], Double)])
    func theWatchedShareCountsOverlapsOnce(_ rects: [(Double, Double, Double, Double)], _ share: Double) throws {
        let masks = try rects.map { try MaskRect(x: $0.0, y: $0.1, w: $0.2, h: $0.3) }
        #expect(abs(MotionSettings(masks: masks).watchedShare - share) < 1e-9)
    }
}
