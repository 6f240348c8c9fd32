
/// Everything needed to start one child process. No shell is involved:
/// `arguments` is the argv the program receives, exactly.
public struct ProcessSpec: Hashable, Sendable {
    /// Absolute path of the program.
    public var executable: String
    /// argv[1...].
    public var arguments: [String]
    /// The child's whole environment (the agent's own is not inherited, so
    /// that no secret leaks into children by accident).
    public var environment: [String: String]
    /// stdout and stderr go here (appended), not to a pipe to the agent, so
    /// the child survives an agent restart.
    public var logFile: String

    public init(executable: String, arguments: [String], environment: [String: String] = [:], logFile: String) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
    }

    /// A stable digest of the command line and environment (FNV-1a, 64 bit).
    /// Unlike `hashValue` it is the same in every process, so it can be
    /// stored and compared after an agent restart.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            hash ^= 0xff
            hash &*= 0x100_0000_01b3
        }
        mix(executable)
        arguments.forEach(mix)
        for key in environment.keys.sorted() { mix("\(key)=\(environment[key]!)") }
        mix(logFile)
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The command line with credentials removed, for logs.
    public var redactedCommandLine: String {
        ([executable] + arguments).map(Redactor.redact).joined(separator: " ")
    }
}

