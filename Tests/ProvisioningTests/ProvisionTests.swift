import CamgateCore
import Foundation
import Platform
import Testing
import TestSupport

/// `camgate provision`, the real binary, against the real cloud simulator
/// on loopback, into a temporary root (as an image build does).
@Suite(.serialized) struct ProvisionTests {
    static let profiles = "\(Repository.root)/board/profiles"
    static let camerasConfig = #"{"revision": 3, "cameras": {"gate": {"source": {"kind": "test"}, "record": true}}, "recording": {"segment_seconds": 60, "retain_days": 2, "min_free_percent": 5}, "api": {"listen": "127.0.0.1:8080", "token_file": "/etc/camgate/api-token"}}"#

    /// A temporary root with an enrollment token file and, optionally, a config.
    struct Setup {
        let dir: TemporaryDirectory
        let sim: CloudSimulatorProcess
        var root: String { "\(dir.path)/root" }
        var tokenFile: String { "\(dir.path)/enroll.token" }
        var config: String { "\(root)/etc/camgate/config.json" }
        var deviceToken: String { "\(root)/etc/camgate/device-token" }

        init(enrollmentTokens: [String] = ["enroll-secret-1"], config: String? = nil) async throws {
            dir = try TemporaryDirectory()
            sim = try await CloudSimulatorProcess(directory: dir.path, extraArguments: enrollmentTokens.flatMap { ["--enrollment-token", $0] })
            try FileManager.default.createDirectory(atPath: "\(dir.path)/root/etc/camgate", withIntermediateDirectories: true)
            try "enroll-secret-1\n".write(toFile: "\(dir.path)/enroll.token", atomically: true, encoding: .utf8)
            chmod("\(dir.path)/enroll.token", 0o600)
            if let config { try config.write(toFile: "\(dir.path)/root/etc/camgate/config.json", atomically: true, encoding: .utf8) }
        }

        func provision(_ extra: [String] = [], endpoint: String? = nil, tokenFile: String? = nil, environment: [String: String] = Subprocess.defaultEnvironment,
                       probe: Bool = false) throws -> (status: Int32, output: String) {
            var args = ["provision", "--endpoint", endpoint ?? sim.base, "--root", root, "--profiles-dir", ProvisionTests.profiles, "--timeout", "5"]
            if !probe { args.append("--skip-probe") }
            if let file = tokenFile ?? (environment["CAMGATE_ENROLLMENT_TOKEN"] == nil ? self.tokenFile : nil) { args += ["--token-file", file] }
            return try runProgram(Repository.camgate, args + extra, environment: environment)
        }

        func enrollments() async throws -> [JSONValue] {
            guard case .array(let items)? = try await sim.stats()["enrollments"] else { return [] }
            return items
        }

        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

        func stop() async { await sim.stop() }
    }

    @Test func enrollmentWritesAPrivateTokenAndKeepsTheCamerasAndSettingsThere() async throws {
        let s = try await Setup(config: Self.camerasConfig)
        let result = try s.provision(["--name", "gate-box", "--board", "raspberry-pi-4"], probe: true)
        let sent = try await s.enrollments()
        await s.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("enrolled as dev-1"))
        let st = try FileSystem.status(s.deviceToken)
        #expect(st.mode == 0o600 && st.kind == .regular)
        #expect(s.read(s.deviceToken)?.trimmingCharacters(in: .newlines) == s.sim.token)
        let config = try JSONValue.parse(#require(s.read(s.config)))
        #expect(config["cameras"]?["gate"] != nil)
        #expect(config["revision"] == .int(3))
        #expect(config["recording"]?["segment_seconds"] == .int(60), "the config's own recording settings win over the board's")
        #expect(config["api"]?["listen"] == .string("127.0.0.1:8080"))
        #expect(config["cloud"]?["device_id"] == .string("dev-1"))
        #expect(config["cloud"]?["token_file"] == .string("/etc/camgate/device-token"), "the device's path, not the image builder's")
        #expect(config["hardware"]?["board"] == .string("raspberry-pi-4"))
        #expect(try FileSystem.status(s.config).mode == 0o640)
        #expect(sent.count == 1)
        #expect(sent.first?["name"] == .string("gate-box") && sent.first?["board"] == .string("raspberry-pi-4"))
        #expect(sent.first?["hardware"]?["encoders"] != nil, "the probed inventory goes with the request")
    }

    @Test func aNewConfigGetsTheBoardsRecordingDefaults() async throws {
        let s = try await Setup()
        let result = try s.provision(["--board", "raspberry-pi-5"])
        await s.stop()
        #expect(result.status == 0, "\(result.output)")
        let config = try JSONValue.parse(#require(s.read(s.config)))
        #expect(config["recording"]?["segment_seconds"] == .int(900))
        #expect(config["cameras"] == .object([:]))
    }

    @Test func rerunningOnAnEnrolledDeviceSendsNothingAndForceEnrollsAgain() async throws {
        let s = try await Setup(enrollmentTokens: ["enroll-secret-1", "enroll-secret-2"], config: Self.camerasConfig)
        #expect(try s.provision().status == 0)
        let before = s.read(s.config)
        let again = try s.provision()
        #expect(again.status == 0)
        #expect(again.output.contains("already enrolled as dev-1"))
        #expect(try await s.enrollments().count == 1, "a re-run sends no request")
        #expect(s.read(s.config) == before)
        try "enroll-secret-2\n".write(toFile: s.tokenFile, atomically: true, encoding: .utf8)
        chmod(s.tokenFile, 0o600)
        let forced = try s.provision(["--force"])
        #expect(forced.status == 0, "\(forced.output)")
        #expect(try await s.enrollments().count == 2)
        await s.stop()
    }

    @Test func theTokenComesFromTheEnvironmentAndAppearsNowhere() async throws {
        let s = try await Setup(config: Self.camerasConfig)
        var env = Subprocess.defaultEnvironment
        env["CAMGATE_ENROLLMENT_TOKEN"] = "enroll-secret-1"
        let result = try s.provision(environment: env)
        await s.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(!result.output.contains("enroll-secret-1"))
        #expect(!result.output.contains(s.sim.token), "the device token is never printed")
        #expect(s.read(s.config)?.contains(s.sim.token) == false, "the config names the token file, never the token")
    }

    @Test func serverErrorsAreRetriedUntilEnrollmentSucceeds() async throws {
        let s = try await Setup()
        try await s.sim.control("POST", "faults", #"{"enroll_statuses": [503, 500]}"#)
        let result = try s.provision()
        await s.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("answered 503") && result.output.contains("retrying"))
        #expect(try FileSystem.status(s.deviceToken).mode == 0o600)
    }

    /// Every bad input: a clear message, its exit code, nothing written
    /// (the config there stays byte for byte, no token file appears).
    @Test(arguments: [
        ("a wrong token (401)", "wrong", Int32(77), "refused (401)"),
        ("a used token (409)", "used", 77, "used already (409)"),
        ("a 200 with garbage", "garbage", 76, "without a valid device_id"),
        ("a redirect to another host", "redirect", 76, "another host"),
        ("a token file readable by others", "mode644", 65, "readable by others"),
        ("a directory as token file", "directory", 65, "a directory"),
        ("no token at all", "none", 64, "no enrollment token"),
        ("an unknown board", "board", 65, "no board profile"),
        ("an invalid existing config", "badconfig", 65, "is invalid"),
        ("an unreachable endpoint", "unreachable", 69, "unreachable"),
        ("a plain-http endpoint that is not loopback", "http", 64, "https"),
    ])
    func badInputIsRefusedWithItsReasonAndLeavesEverythingAsItWas(_ name: String, _ kind: String, _ code: Int32, _ message: String) async throws {
        let s = try await Setup(config: kind == "badconfig" ? #"{"cameras": {"../x": {"source": {"kind": "test"}}}}"# : Self.camerasConfig)
        var args: [String] = []
        var tokenFile: String?
        var endpoint: String?
        switch kind {
        case "wrong": try "not-the-token\n".write(toFile: s.tokenFile, atomically: true, encoding: .utf8); chmod(s.tokenFile, 0o600)
        case "used":
            // Another device spent the token first.
            let other = "\(s.dir.path)/other-root"
            try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
            let first = try runProgram(Repository.camgate, ["provision", "--endpoint", s.sim.base, "--root", other, "--token-file", s.tokenFile,
                                                             "--profiles-dir", Self.profiles, "--skip-probe"])
            #expect(first.status == 0, "\(first.output)")
        case "garbage": try await s.sim.control("POST", "faults", #"{"enroll_garbage": true}"#)
        case "redirect": try await s.sim.control("POST", "faults", #"{"enroll_redirect": "https://evil.example/v1/enroll"}"#)
        case "mode644": chmod(s.tokenFile, 0o644)
        case "directory": tokenFile = s.dir.path
        case "none": tokenFile = "-"
        case "board": args = ["--board", "raspberry-pi-9"]
        case "unreachable": endpoint = "http://127.0.0.1:\(freePort())"; args = ["--timeout", "3"]
        case "http": endpoint = "http://cloud.example"
        default: break
        }
        let before2 = s.read(s.config)
        let result = tokenFile == "-" ? try runProgram(Repository.camgate, ["provision", "--endpoint", s.sim.base, "--root", s.root, "--profiles-dir", Self.profiles, "--skip-probe"])
                                       : try s.provision(args, endpoint: endpoint, tokenFile: tokenFile)
        await s.stop()
        #expect(result.status == code, "\(name): \(result.output)")
        #expect(result.output.contains(message), "\(name): \(result.output)")
        #expect(s.read(s.config) == before2, "\(name): the config is untouched")
        #expect(!FileManager.default.fileExists(atPath: s.deviceToken), "\(name): no token file")
    }

    @Test func aReadOnlyEtcIsFoundBeforeTheOneTimeTokenIsSpent() async throws {
        guard getuid() == 0, (try? runProgram("/usr/bin/unshare", ["-m", "/bin/true"]))?.status == 0 else { return }
        let s = try await Setup(config: Self.camerasConfig)
        let before = s.read(s.config)
        let etc = "\(s.root)/etc"
        let script = #"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@""#
        let result = try runProgram("/usr/bin/unshare", ["-m", "--propagation", "private", "/bin/sh", "-c", script, etc, Repository.camgate,
                                                         "provision", "--endpoint", s.sim.base, "--root", s.root, "--token-file", s.tokenFile,
                                                         "--profiles-dir", Self.profiles, "--skip-probe", "--force"])
        let sent = try await s.enrollments().count
        await s.stop()
        #expect(result.status == 73, "\(result.output)")
        #expect(result.output.contains("Read-only file system") && result.output.contains("nothing was sent"))
        #expect(sent == 0, "the enrollment token is not spent")
        #expect(s.read(s.config) == before)
    }
}
