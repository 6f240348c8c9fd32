import Foundation
import Testing
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

    @Test func theAgentAnswersAsItsOpenAPIDocumentSays() async throws {
        let (config, tokenFile) = try writeConfig()
        let agent = try AgentProcess.camgate(["run", "--config", config, "--data-dir", dir.file("data")], logPath: dir.file("agent.log"))
        defer { agent.signal(SIGTERM) }
        let statusURL = "http://127.0.0.1:\(port)/api/v1/status"
        let up = await waitUntil(timeout: .seconds(20)) {
            canConnect(port)
                && (try? runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", statusURL]))?.output == "200"
        }
        #expect(up, "the API did not answer on TCP: \(agent.log)")
        guard up else { return }

        // The token reaches Schemathesis through its file, never through argv.
        let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C.UTF-8", "HOME": dir.path]
        let run = try runProgram("/bin/bash", [Repository.fixture("schemathesis_run.sh"), String(port), tokenFile],
                                 environment: environment, timeout: .seconds(150))
        #expect(run.status == 0, "schemathesis exited \(run.status):\n\(run.output)\n--- agent log (end) ---\n\(String(agent.log.suffix(6000)))")
        #expect(agent.isRunning, "the agent died during the run:\n\(String(agent.log.suffix(6000)))")

        // Every camera and stream URL the fuzzer sent was moved to loopback
        // (Tests/Fixtures/schemathesis_hooks.py): no ffmpeg the agent started
        // was pointed anywhere else.
        let hosts = Set(agent.log.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "'" || $0 == "\"" }).compactMap { word -> String? in
            let text = word.lowercased()
            guard let scheme = ["rtsp://", "rtsps://", "rtmp://", "rtmps://"].first(where: { text.hasPrefix($0) }) else { return nil }
            var rest = text.dropFirst(scheme.count)
            if let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/") { rest = rest[rest.index(after: at)...] }
            return String(rest.prefix { !":/?#".contains($0) })
        })
        #expect(hosts.isSubset(of: ["127.0.0.1"]), "URLs off loopback in the agent log: \(hosts.sorted())")
    }
}
