import ArgumentParser
import CamgateCore

/// `camgate`: the agent daemon (`run`) and the commands that inspect it.
@main
struct Camgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camgate",
        abstract: "Camera gateway agent: records cameras, keeps MediaMTX in step, follows the cloud.",
        version: CamgateCore.version,
        subcommands: [Run.self, Status.self, Recordings.self, Detect.self, View.self, Snapshot.self, Cloud.self, MediaMTXConfig.self, Capture.self, Transcode.self]
    )
}

/// The data directory option every command shares.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "The agent's data directory (database, recordings, logs).")
    var dataDir: String = "/var/lib/camgate"
}

/// Prints `camgate: error: …` to stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> ExitCode {
    printError("camgate: error: \(message)")
    return ExitCode(code)
}

func printError(_ message: String) {
    var stderr = StandardError()
    print(message, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var copy = string
        copy.withUTF8 { buffer in _ = Glibc.write(2, buffer.baseAddress, buffer.count) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
