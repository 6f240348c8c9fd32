import Foundation
import Testing
import CamgateCore
@testable import MediaMTX
import TestSupport

@Suite struct PathRendererTests {
    static let renderer = PathRenderer(camgate: "/usr/bin/camgate", dataDirectory: "/var/lib/camgate")

    static func desired() throws -> DesiredState {
        DesiredState(cameras: [
            try CameraID("rec"): CameraSpec(source: .rtsp(url: "rtsp://admin:s3cr$t@10.0.0.5/s1"), record: true, view: true),
            try CameraID("live"): CameraSpec(source: .v4l2(device: "/dev/v4l/by-id/usb-cam-video-index0"), record: false, view: true),
            try CameraID("snap"): CameraSpec(source: .test(try TestPattern(size: Resolution(width: 640, height: 360))), record: false, view: false),
        ])
    }

    @Test func eachLifecycleGetsItsSettings() throws {
        let paths = try Self.renderer.render(try Self.desired(), sizes: [try CameraID("live"): Resolution(width: 1280, height: 720)])
        let byName = Dictionary(uniqueKeysWithValues: paths.map { ($0.name, $0) })
        #expect(Set(byName.keys) == ["rec", "rec_1080p", "rec_720p", "rec_480p", "live", "live_480p", "snap"],
                "variants only below the camera's size; all of them when the size is unknown (an RTSP camera)")

        let rec = try #require(byName["rec"])
        #expect(rec.lifecycle == .recording && rec.settings.map(\.key) == ["source"] && rec["source"] == .string("publisher"))
        #expect(rec["runOnDemand"] == nil, "a recording camera never runs on demand")

        let live = try #require(byName["live"])
        #expect(live.lifecycle == .viewing)
        #expect(live["runOnDemandRestart"] == .bool(true) && live["runOnDemandStartTimeout"] == .string("10s") && live["runOnDemandCloseAfter"] == .string("300s"))
        #expect(live.commands["runOnDemand"] == ["/usr/bin/camgate", "capture", "live", "--data-dir", "/var/lib/camgate", "--publish",
                                                 "rtsp://127.0.0.1:$RTSP_PORT/$MTX_PATH"])

        let snap = try #require(byName["snap"])
        #expect(snap.lifecycle == .snapshot)
        #expect(snap["runOnDemandRestart"] == .bool(false) && snap["runOnDemandStartTimeout"] == .string("5s") && snap["runOnDemandCloseAfter"] == .string("60s"))

        let variant = try #require(byName["rec_480p"])
        #expect(variant.commands["runOnDemand"]?.contains("480p") == true && variant.commands["runOnDemand"]?[1] == "transcode")
    }

    @Test func aFourKCameraGetsTheWholeLadder() throws {
        let desired = DesiredState(cameras: [try CameraID("uhd"): CameraSpec(source: .rtsp(url: "rtsp://10.0.0.9/s"), view: true)])
        let paths = try Self.renderer.render(desired, sizes: [try CameraID("uhd"): Resolution(width: 3840, height: 2160)])
        #expect(paths.map(\.name) == ["uhd", "uhd_1080p", "uhd_720p", "uhd_480p"])
        #expect(Variant.ladder.map { "\($0.name) \($0.bitrateKbps)k" } == ["1080p 5000k", "720p 3000k", "480p 1500k"], "seeds/004")
    }

    @Test func noCameraURLOrPasswordReachesMediaMTX() throws {
        let paths = try Self.renderer.render(try Self.desired())
        for path in paths {
            for setting in path.settings {
                let text = YAMLWriter.scalar(setting.value)
                #expect(!text.contains("s3cr") && !text.contains("10.0.0.5") && !text.contains("by-id"), "\(path.name).\(setting.key): \(text)")
            }
        }
    }

    @Test func hostileDataDirectoriesAreQuotedOrRefused() throws {
        let desired = try Self.desired()
        let odd = PathRenderer(camgate: "/opt/cam gate/bin/camgate", dataDirectory: "/data/it's \"mine\"; rm -rf /|x")
        let paths = try odd.render(desired)
        let live = try #require(paths.first { $0.name == "live" })
        guard case .string(let command)? = live["runOnDemand"] else { Issue.record("no command"); return }
        #expect(try ShellQuote.split(command) == live.commands["runOnDemand"])
        #expect(try ShellQuote.split(command)[4] == "/data/it's \"mine\"; rm -rf /|x")

        #expect(throws: MediaMTXRenderError.self) { try PathRenderer(camgate: "/usr/bin/camgate", dataDirectory: "/data/$HOME").render(desired) }
        #expect(throws: MediaMTXRenderError.self) { try PathRenderer(camgate: "/opt/${X}/camgate", dataDirectory: "/data").render(desired) }
    }

    @Test func aCameraNamedLikeAnotherCamerasVariantIsRefused() throws {
        let desired = DesiredState(cameras: [
            try CameraID("gate"): CameraSpec(source: .test(try TestPattern()), view: true),
            try CameraID("gate_720p"): CameraSpec(source: .test(try TestPattern())),
        ])
        #expect { try Self.renderer.render(desired) } throws: { "\($0)".contains("collides") }
    }

    @Test(arguments: [("front", nil), ("a/b", nil), ("", "empty"), ("~re", "regular expression"), ("/x", "start or end"), ("x/", "start or end"),
                      ("a/../b", "'..'"), ("a//b", "empty segments"), ("sp ace", "contains"), ("dollar$", "contains"), ("é", "contains")])
    func pathNamesFollowMediaMTXRules(_ name: String, _ problem: String?) {
        let found = MediaMTXValidation.pathNameProblem(name)
        if let problem { #expect(found?.contains(problem) == true, "\(found ?? "nil")") } else { #expect(found == nil) }
    }

    @Test func validationRejectsUnknownKeysWrongTypesAndStrayDollars() {
        func path(_ settings: [MediaMTXPath.Setting], commands: [String: [String]] = [:]) -> MediaMTXPath {
            MediaMTXPath(name: "p", camera: try! CameraID("p"), lifecycle: .viewing, variant: nil, settings: settings, commands: commands)
        }
        #expect { try MediaMTXValidation.check([path([.init(key: "runOnDemandNever", value: .bool(true))])]) } throws: { "\($0)".contains("not a MediaMTX path setting") }
        #expect { try MediaMTXValidation.check([path([.init(key: "runOnDemandRestart", value: .string("yes"))])]) } throws: { "\($0)".contains("must be boolean") }
        #expect { try MediaMTXValidation.check([path([.init(key: "runOnDemandCloseAfter", value: .string("never"))])]) } throws: { "\($0)".contains("must be duration") }
        #expect { try MediaMTXValidation.check([path([.init(key: "runOnDemand", value: .string("ffmpeg -i $URL"))], commands: ["runOnDemand": ["ffmpeg", "-i", "$URL"]])]) }
            throws: { "\($0)".contains("MediaMTX would expand") }
        #expect { try MediaMTXValidation.check([path([.init(key: "runOnDemand", value: .string("a b"))], commands: ["runOnDemand": ["a b"]])]) }
            throws: { "\($0)".contains("would run") }
        #expect(throws: Never.self) { try MediaMTXValidation.check([path([.init(key: "runOnDemand", value: .string("x rtsp://h:$RTSP_PORT/$MTX_PATH"))],
                                                                         commands: ["runOnDemand": ["x", "rtsp://h:$RTSP_PORT/$MTX_PATH"]])]) }
        #expect(MediaMTXValidation.unexpandable("rtsp://h:$RTSP_PORTX/") == "$RTSP_PORTX/")
    }
}

@Suite struct MediaMTXConfigFileTests {
    static func paths() throws -> [MediaMTXPath] { try PathRendererTests.renderer.render(try PathRendererTests.desired()) }

    @Test func anOperatorsFileKeepsEveryLineButTheAgentsOwn() throws {
        let merged = try MediaMTXConfigFile.merge(existing: Reference.text, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        let before = Reference.text.split(separator: "\n", omittingEmptySubsequences: false)
        let after = merged.split(separator: "\n", omittingEmptySubsequences: false)
        let added = after.filter { !before.contains($0) }
        let removed = before.filter { !after.contains($0) }
        #expect(removed == ["api: false", "apiAddress: :9997"], "\(removed)")
        #expect(added.contains("api: true") && added.contains("apiAddress: 127.0.0.1:9997"))
        #expect(added.allSatisfy { $0.hasPrefix("  ") || $0.hasPrefix("api") }, "only paths and API lines are added")
        let doc = try YAMLParser.parse(merged)
        #expect(doc["paths"]?["all_others"] != nil, "the operator's paths stay")
        #expect(doc["paths"]?["live"]?["runOnDemandCloseAfter"] == .string("300s"))
        #expect(MediaMTXConfigFile.managedNames(in: merged) == (try Self.paths()).map(\.name))
    }

    @Test func mergingTwiceChangesNothingAndRemovedCamerasGo() throws {
        let once = try MediaMTXConfigFile.merge(existing: Reference.text, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        #expect(try MediaMTXConfigFile.merge(existing: once, paths: try Self.paths(), apiAddress: "127.0.0.1:9997") == once)
        let fewer = try MediaMTXConfigFile.merge(existing: once, paths: [try Self.paths()[0]], apiAddress: "127.0.0.1:9997")
        #expect(MediaMTXConfigFile.managedNames(in: fewer) == [try Self.paths()[0].name])
    }

    @Test func aHandEditBetweenTwoWritesIsKept() throws {
        let once = try MediaMTXConfigFile.merge(existing: nil, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        let edited = once.replacingOccurrences(of: "paths:\n", with: "logLevel: debug\npaths:\n  mine:\n    source: rtsp://example/cam\n")
        let again = try MediaMTXConfigFile.merge(existing: edited, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        let doc = try YAMLParser.parse(again)
        #expect(doc["logLevel"] == .string("debug") && doc["paths"]?["mine"]?["source"] == .string("rtsp://example/cam"))
        // Hand edits inside the managed block are overwritten.
        let tampered = again.replacingOccurrences(of: "runOnDemandCloseAfter: \"300s\"", with: "runOnDemandCloseAfter: \"0s\"")
        #expect(try YAMLParser.parse(try MediaMTXConfigFile.merge(existing: tampered, paths: try Self.paths(), apiAddress: "127.0.0.1:9997"))["paths"]?["live"]?["runOnDemandCloseAfter"] == .string("300s"))
    }

    @Test func anOperatorPathWithTheSameNameOrABrokenFileIsNotTouched() throws {
        let clash = "paths:\n  live:\n    source: publisher\n"
        #expect { try MediaMTXConfigFile.merge(existing: clash, paths: try Self.paths(), apiAddress: "127.0.0.1:9997") } throws: { "\($0)".contains("also defined by hand") }
        let broken = "paths:\n  x: \"unterminated\n"
        #expect { try MediaMTXConfigFile.merge(existing: broken, paths: try Self.paths(), apiAddress: "127.0.0.1:9997") } throws: { "\($0)".contains("cannot be read") }
        #expect { try MediaMTXConfigFile.merge(existing: "bogusKey: 1\npaths:\n", paths: [], apiAddress: "127.0.0.1:9997") } throws: { "\($0)".contains("unknown top-level setting bogusKey") }
    }

    /// Camera ids that YAML would read as something else (`on`/`yes` are
    /// booleans to MediaMTX's loader, `123` a number) stay strings: path
    /// names are written quoted.
    @Test func pathNamesThatLookLikeYAMLValuesStayStrings() throws {
        var desired = DesiredState()
        for name in ["on", "yes", "no", "off", "123", "null", "1e3", "y"] {
            desired.cameras[try CameraID.init(name)] = CameraSpec(source: .test(try TestPattern()))
        }
        let paths = try PathRendererTests.renderer.render(desired)
        let merged = try MediaMTXConfigFile.merge(existing: nil, paths: paths, apiAddress: "127.0.0.1:9997")
        #expect(Set(MediaMTXConfigFile.managedNames(in: merged)) == Set(paths.map(\.name)))
        let dir = TemporaryDirectory("mtx-names")
        try merged.write(toFile: dir.file("m.yml"), atomically: true, encoding: .utf8)
        let script = "import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(json.dumps(sorted(str(type(k).__name__) + ':' + str(k) for k in d['paths'])))"
        let result = try runProgram("/usr/bin/python3", ["-c", script, dir.file("m.yml")])
        let keys = try JSONValue.parse(result.output)
        #expect(keys == .array(paths.map(\.name).sorted().map { .string("str:\($0)") }), "\(result.output)")
    }

    @Test func anOperatorsFileWithCRLFACommentedPathsLineOrWiderIndentIsKept() throws {
        let crlf = "logLevel: info\r\napiAddress: :9997\r\npaths: # my cameras\r\n    mine:\r\n        source: publisher\r\n"
        let merged = try MediaMTXConfigFile.merge(existing: crlf, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        #expect(!merged.unicodeScalars.split(separator: "\n").contains { $0.last != "\r" }, "every line still ends in CR LF")
        #expect(merged.components(separatedBy: "apiAddress:").count == 2, "one apiAddress")
        let doc = try YAMLParser.parse(merged)
        #expect(doc["paths"]?["mine"]?["source"] == .string("publisher"))
        #expect(doc["paths"]?["live"] != nil && doc["logLevel"] == .string("info"))
        #expect(merged.contains("\r\n    \"live\":\r\n        source:"), "the agent's block lines up with the operator's 4-space paths")
        #expect(MediaMTXConfigFile.managedNames(in: merged) == (try Self.paths()).map(\.name))
        #expect(MediaMTXConfigFile.isInStep(merged, paths: try Self.paths()))
        // Removing the block by hand is noticed.
        let removed = YAMLParser.lines(merged).lines.filter { !$0.contains("live") && !$0.contains("camgate") }.joined(separator: "\n")
        #expect(!MediaMTXConfigFile.isInStep(removed, paths: try Self.paths()))
    }

    @Test func markersThatDoNotPairUpStopTheMergeInsteadOfGuessing() throws {
        let once = try MediaMTXConfigFile.merge(existing: "logLevel: info\npaths:\n  mine:\n    source: publisher\n", paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        let noEnd = once.replacingOccurrences(of: MediaMTXConfigFile.endMarker + "\n", with: "")
        let twoBegins = once.replacingOccurrences(of: MediaMTXConfigFile.endMarker, with: MediaMTXConfigFile.beginMarker)
        let swapped = once.replacingOccurrences(of: MediaMTXConfigFile.beginMarker, with: "@@")
            .replacingOccurrences(of: MediaMTXConfigFile.endMarker, with: MediaMTXConfigFile.beginMarker)
            .replacingOccurrences(of: "@@", with: MediaMTXConfigFile.endMarker)
        for edited in [noEnd, twoBegins, swapped] {
            #expect(edited != once)
            #expect { try MediaMTXConfigFile.merge(existing: edited, paths: try Self.paths(), apiAddress: "127.0.0.1:9997") } throws: {
                "\($0)".contains("do not pair up") && "\($0)".contains("the file was not changed")
            }
        }
        // One pair, in order: merged again to the same text.
        #expect(try MediaMTXConfigFile.merge(existing: once, paths: try Self.paths(), apiAddress: "127.0.0.1:9997") == once)
    }

    @Test func anIndependentYAMLParserReadsTheSameConfiguration() throws {
        let merged = try MediaMTXConfigFile.merge(existing: Reference.text, paths: try Self.paths(), apiAddress: "127.0.0.1:9997")
        let dir = TemporaryDirectory("mtx-yaml")
        try merged.write(toFile: dir.file("mediamtx.yml"), atomically: true, encoding: .utf8)
        // PyYAML (Debian's python3-yaml): the file is standard YAML, and reads back to the agent's values.
        let script = "import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); print(json.dumps({'api': d['api'], 'addr': d['apiAddress'], 'paths': {k: v for k, v in d['paths'].items() if k != 'all_others'}}))"
        let result = try runProgram("/usr/bin/python3", ["-c", script, dir.file("mediamtx.yml")])
        #expect(result.status == 0, "\(result.output)")
        let json = try JSONValue.parse(result.output)
        #expect(json["api"] == .bool(true) && json["addr"]?.stringValue == "127.0.0.1:9997")
        for path in try Self.paths() {
            #expect(json["paths"]?[path.name] == path.json, "\(path.name)")
        }
    }
}
