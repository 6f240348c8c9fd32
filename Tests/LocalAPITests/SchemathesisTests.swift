import Foundation
import Testing
import LocalAPI
import Platform
import TestSupport

/// docs/openapi.yaml against the real agent: Schemathesis
/// (Tests/Fixtures/schemathesis_run.sh, from the venv scripts/setup makes)
/// fuzzes every route over the TCP listener with the bearer token, with a
/// fixed seed and a time budget. Any 5xx, crash, answer that breaks the
/// spec, or schema-invalid request that is accepted fails the run.
@Suite(.serialized) struct SchemathesisTests {
    let dir = TemporaryDirectory("schemathesis")
    let port = freePort()
    let token = "t0ken-\(UInt64.random(in: 1...UInt64.max))"

    /// Two small test cameras, recorded, and the TCP listener with its token file.
    func writeConfig() throws -> (config: String, tokenFile: String) {
        let tokenFile = dir.file("api-token")
        try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        let camera = #"{"source": {"kind": "test", "size": "320x180", "fps": 5}, "record": true}"#
        let config = #"""
            {"revision": 1, "cameras": {"front": \#(camera), "back": \#(camera)},
             "recording": {"segment_seconds": 2, "retain_days": 7, "min_free_percent": 1},
             "api": {"listen": "127.0.0.1:\#(port)", "token_file": "\#(tokenFile)"}}
            """#
        let path = dir.file("config.json")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, tokenFile)
    }

    /// As root, the agent and Schemathesis share a network namespace of
    /// their own with only loopback: whatever camera URL the fuzzer invents,
    /// no packet can leave the machine (not even a DNS query).
    var isolated: Bool { getuid() == 0 && FileSystem.exists("/usr/bin/unshare") && FileSystem.exists("/usr/sbin/ip") && FileSystem.exists("/usr/bin/nsenter") }

    func startAgent(config: String) throws -> ChildProcess {
        let run = [Repository.camgate, "run", "--config", config, "--data-dir", dir.file("data")]
        guard isolated else { return try AgentProcess.camgate(Array(run.dropFirst()), logPath: dir.file("agent.log")) }
        return try ChildProcess("/usr/bin/unshare", ["--net", "--", "/bin/sh", "-c", "/usr/sbin/ip link set lo up && exec \"$0\" \"$@\""] + run,
                                logPath: dir.file("agent.log"))
    }

    @Test func theAgentAnswersAsItsOpenAPIDocumentSays() async throws {
        let (config, tokenFile) = try writeConfig()
        let agent = try startAgent(config: config)
        defer { agent.signal(SIGTERM) }
        let client = LocalAPIClient(socketPath: dir.file("data/api.sock"), timeout: .seconds(10))
        let up = await waitUntil(timeout: .seconds(20)) { (try? await client.request("GET", "/api/v1/status"))?.status == 200 }
        #expect(up, "the API did not answer: \(agent.log)")
        guard up else { return }
        print("schemathesis: agent in \(isolated ? "its own network namespace (loopback only)" : "the host's network namespace")")

        // The token reaches Schemathesis through its file, never through argv.
        let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": dir.path]
        let script = ["/bin/bash", Repository.fixture("schemathesis_run.sh"), String(port), tokenFile]
        let command = isolated ? ["/usr/bin/nsenter", "-t", String(agent.pid), "-n", "--"] + script : script
        let run = try runProgram(command[0], Array(command.dropFirst()), environment: environment, timeout: .seconds(150))
        #expect(run.status == 0, "schemathesis exited \(run.status):\n\(run.output)\n--- agent log (end) ---\n\(String(agent.log.suffix(6000)))")
        #expect(agent.isRunning, "the agent died during the run:\n\(String(agent.log.suffix(6000)))")
        guard !isolated else { return }

        // Outside a namespace of its own, every camera and stream URL the
        // fuzzer sent must have been moved to loopback
        // (Tests/Fixtures/schemathesis_hooks.py).
        let hosts = Set(agent.log.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "'" || $0 == "\"" }).compactMap { word -> String? in
            let text = word.lowercased()
            guard let scheme = ["rtsp://", "rtsps://", "rtmp://", "rtmps://"].first(where: { text.hasPrefix($0) }) else { return nil }
            var rest = text.dropFirst(scheme.count)
            if let at = rest.lastIndex(of: "@"), !rest[..<at].contains("/") { rest = rest[rest.index(after: at)...] }
            return String(rest.prefix { !":/?#".contains($0) })
        })
        #expect(hosts.isSubset(of: ["127.0.0.1"]), "URLs off loopback in the agent log: \(hosts.sorted())")
    }
}
