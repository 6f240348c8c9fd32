import Foundation
import CamgateCore
import Platform

/// A directory under /tmp removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "camgate-test") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed")
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
@discardableResult
public func waitUntil(timeout: Duration, every interval: Duration = .milliseconds(100), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// A loopback TCP port nobody listens on right now.
public func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}

/// Paths of the repository and of the built products.
public enum Repository {
    /// The repository root (this file is Tests/TestSupport/TestSupport.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    public static func fixture(_ name: String) -> String { "\(root)/Tests/Fixtures/\(name)" }

    /// The directory the test bundle was built into (.build/debug).
    public static let productsDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("camgate").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    public static var camgate: String { "\(productsDirectory)/camgate" }
}

/// Runs a program to completion (tests only): exit code and output
/// (stdout and stderr interleaved).
@discardableResult
public func runProgram(_ executable: String, _ arguments: [String], environment: [String: String] = Subprocess.defaultEnvironment,
                       timeout: Duration = .seconds(60)) throws -> (status: Int32, output: String) {
    let result = try Subprocess.runBlocking(executable, arguments, environment: environment, timeout: timeout, outputLimit: 16 << 20)
    return (result.exitCode ?? -1, result.text)
}

/// A child process started the way the agent starts its own (own process
/// group, clean signal mask), output to a file. Foundation's `Process` is
/// not used: it passes on the blocked signal mask of libdispatch's threads,
/// so its children ignore SIGTERM, and its waitUntilExit spins a core.
public final class ChildProcess: @unchecked Sendable {
    public let pid: Int32
    public let logPath: String
    private var status: Int32?

    public init(_ executable: String, _ arguments: [String], logPath: String, environment: [String: String] = ChildProcess.inheritedEnvironment) throws {
        self.logPath = logPath
        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { close(fd) }
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(null) }
        pid = try ProcessLauncher.spawn(executable, arguments, environment: environment, stdin: null, output: fd)
    }

    public static var inheritedEnvironment: [String: String] { ProcessInfo.processInfo.environment }

    public var isRunning: Bool { poll() == nil }
    public var exitStatus: Int32? { poll() }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func signal(_ sig: Int32) { if isRunning { kill(pid, sig) } }

    /// Waits for the process to exit and returns its exit code (128 + n
    /// when killed by signal n); nil on timeout.
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        await waitUntil(timeout: timeout, every: .milliseconds(20)) { poll() != nil }
        return poll()
    }

    private func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
        return status
    }

    deinit {
        if poll() == nil {
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
        }
    }
}

/// The camgate binary running as a daemon.
public typealias AgentProcess = ChildProcess

extension ChildProcess {
    public static func camgate(_ arguments: [String], logPath: String, environment: [String: String] = ChildProcess.inheritedEnvironment) throws -> ChildProcess {
        try ChildProcess(Repository.camgate, arguments, logPath: logPath, environment: environment)
    }
}

/// PIDs of running processes whose command line contains `needle`
/// (zombies excluded).
public func processes(matching needle: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let st = ProcFS.stat(pid: pid), st.isAlive else { return false }
        return ProcFS.commandLine(pid: pid).joined(separator: " ").contains(needle)
    }
}

/// ffprobe's view of a media file.
public enum Probe {
    public struct Timing: Sendable {
        public var start: Double
        public var duration: Double
        public var end: Double { start + duration }
    }

    /// Start and duration of the video stream, from its packets: the first
    /// pts and the last pts + its duration.
    public static func videoTiming(_ file: String) throws -> Timing? {
        let result = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,duration_time",
                                                         "-of", "csv=p=0", file])
        guard result.status == 0 else { return nil }
        let packets = result.output.split(separator: "\n").compactMap { line -> (Double, Double)? in
            let f = line.split(separator: ",")
            guard f.count >= 2, let pts = Double(f[0]), let dur = Double(f[1]) else { return nil }
            return (pts, dur)
        }.sorted { $0.0 < $1.0 }
        guard let first = packets.first, let last = packets.last else { return nil }
        return Timing(start: first.0, duration: last.0 + last.1 - first.0)
    }

    /// True when ffmpeg decodes the whole file without an error.
    public static func isPlayable(_ file: String) throws -> Bool {
        try playabilityProblem(file) == nil
    }

    /// Why ffmpeg cannot decode the file cleanly; nil when it can.
    /// - Parameter lastFrameMayBeCut: a source that vanished mid-frame
    ///   leaves its last access unit short; everything before it must decode.
    public static func playabilityProblem(_ file: String, lastFrameMayBeCut: Bool = false) throws -> String? {
        let result = try runProgram("/usr/bin/ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"])
        guard result.status == 0 else { return "ffmpeg exit \(result.status): \(result.output)" }
        let errors = result.output.split(separator: "\n").filter { !$0.isEmpty }
        if errors.isEmpty { return nil }
        if lastFrameMayBeCut, errors.count <= 3, let frames = try decodedFrames(file), frames > 0 { return nil }
        return errors.joined(separator: " | ")
    }

    /// The first video stream's size, "WxH" ("" when ffprobe finds none).
    public static func pictureSize(_ file: String) throws -> String {
        let result = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                                                         "-of", "csv=p=0:s=x", file])
        return result.output.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    public static func decodedFrames(_ file: String) throws -> Int? {
        let result = try runProgram("/usr/bin/ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                                         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file])
        return Int(result.output.split(separator: "\n").first ?? "")
    }
}

/// The GStreamer RTSP server of Tests/Fixtures/rtsp_server.py.
public final class RTSPTestServer: @unchecked Sendable {
    public let port: UInt16
    public let process: ChildProcess
    public var url: String { "rtsp://127.0.0.1:\(port)/cam" }

    /// - Parameters:
    ///   - port: 0 lets the server pick a free one.
    ///   - keyframeInterval: frames between keyframes (15 fps: 15 is one a second).
    ///   - clip: serve this H.264 MP4 instead (each client gets it from its first frame).
    public init(port: UInt16 = 0, logDirectory: String, keyframeInterval: Int = 15, clip: String? = nil) async throws {
        let mode = clip.map { ["--file", $0] } ?? [String(keyframeInterval)]
        process = try ChildProcess("/usr/bin/python3", [Repository.fixture("rtsp_server.py"), String(port), "/cam"] + mode,
                                   logPath: "\(logDirectory)/rtsp-\(UInt32.random(in: 0...UInt32.max)).log")
        let process = process
        guard await waitUntil(timeout: .seconds(15), { process.log.contains("ready") || !process.isRunning }), process.isRunning,
              let line = process.log.split(separator: "\n").first(where: { $0.hasPrefix("ready") }),
              let bound = line.split(separator: " ").last.flatMap({ UInt16($0) }) else {
            throw RTSPServerError(message: "the RTSP test server did not start: \(process.log)")
        }
        self.port = bound
    }

    public func stop() {
        process.signal(SIGKILL)
        _ = process.exitStatus
    }

    public struct RTSPServerError: Error, CustomStringConvertible { public var message: String; public var description: String { message } }
}

/// A real RTMP server: nginx with the RTMP module, on a free loopback port.
public final class RTMPTestServer: @unchecked Sendable {
    public let port: UInt16
    public let process: ChildProcess

    public init(directory: String) async throws {
        port = freePort()
        let conf = "\(directory)/nginx-\(port).conf"
        try """
        load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
        daemon off;
        master_process off;
        pid \(directory)/nginx-\(port).pid;
        error_log \(directory)/nginx-\(port)-error.log info;
        events {}
        rtmp { server { listen 127.0.0.1:\(port); application live { live on; } } }
        """.write(toFile: conf, atomically: true, encoding: .utf8)
        process = try ChildProcess("/usr/sbin/nginx", ["-c", conf, "-p", directory, "-e", "\(directory)/nginx-\(port)-error.log"],
                                   logPath: "\(directory)/nginx-\(port).log")
        let port = port
        guard await waitUntil(timeout: .seconds(10), { canConnect(port) }) else {
            throw RTSPTestServer.RTSPServerError(message: "nginx-rtmp did not start: \(process.log)")
        }
    }

    public func url(_ key: String) -> String { "rtmp://127.0.0.1:\(port)/live/\(key)" }

    /// True when a stream is being published under `key` (ffprobe reads it).
    public func isPublishing(_ key: String) -> Bool {
        guard let result = try? runProgram("/usr/bin/ffprobe", ["-v", "error", "-rw_timeout", "3000000", "-show_entries", "stream=codec_name",
                                                                 "-of", "csv=p=0", url(key)], timeout: .seconds(8)) else { return false }
        return result.status == 0 && result.output.contains("h264")
    }

    public func stop() {
        process.signal(SIGKILL)
        _ = process.exitStatus
    }

    deinit { stop() }
}

/// True when something accepts TCP connections on the loopback port.
public func canConnect(_ port: UInt16) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = port.bigEndian
    return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
}

/// Tests/Fixtures/fake_mediamtx.py: MediaMTX's Control API as its spec
/// defines it, on loopback.
public final class FakeMediaMTX: @unchecked Sendable {
    public let process: ChildProcess
    public let port: Int
    public var address: String { "127.0.0.1:\(port)" }

    /// Started on a free port, or the way the agent starts MediaMTX: with a config file.
    public init(directory: String, config: String? = nil) async throws {
        let args: [String] = config.map { [$0] } ?? ["--port", "0"]
        process = try ChildProcess(Repository.fixture("fake_mediamtx.py"), args, logPath: "\(directory)/fake-mediamtx-\(UInt32.random(in: 0...UInt32.max)).log")
        let process = process
        guard await waitUntil(timeout: .seconds(10), { process.log.contains("listening on") || !process.isRunning }),
              let line = process.log.split(separator: "\n").first(where: { $0.contains("listening on") }),
              let bound = line.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw RTSPTestServer.RTSPServerError(message: "the fake MediaMTX did not start: \(process.log)")
        }
        port = bound
    }

    /// A request to the fake's API (JSON in, JSON out).
    @discardableResult
    public func call(_ method: String, _ path: String, _ body: String? = nil) throws -> JSONValue {
        var args = ["-s", "-X", method, "http://\(address)\(path)"]
        if let body { args += ["-H", "Content-Type: application/json", "-d", body] }
        let result = try runProgram("/usr/bin/curl", args, timeout: .seconds(10))
        return (try? JSONValue.parse(result.output)) ?? .null
    }

    public func calls() throws -> [(String, String)] {
        guard case .array(let items) = try call("GET", "/fake/calls") else { return [] }
        return items.compactMap { item in
            guard case .array(let pair) = item, pair.count == 2, let m = pair[0].stringValue, let p = pair[1].stringValue else { return nil }
            return (m, p)
        }
    }

    public func stop() {
        process.signal(SIGKILL)
        _ = process.exitStatus
    }

    deinit { stop() }
}

/// A seeded generator for a randomized test, its seed printed so that a
/// failure can be replayed: `CAMGATE_TEST_SEED=<seed> swift test --filter …`.
public func seededGenerator(_ test: String) -> SplitMix64 {
    let seed = ProcessInfo.processInfo.environment["CAMGATE_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    print("\(test): random seed \(seed) (replay with CAMGATE_TEST_SEED=\(seed))")
    return SplitMix64(seed: seed)
}
