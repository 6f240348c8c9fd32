import ArgumentParser
import CamgateCore
import LocalAPI
import Platform

/// `camgate`: the agent daemon (`run`) and the commands that inspect it.
@main
struct Camgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "camgate",
        abstract: "Camera gateway agent: records cameras, keeps MediaMTX in step, follows the cloud.",
        version: CamgateCore.version,
        subcommands: [Run.self, Provision.self, Board.self, Status.self, Cameras.self, Events.self, Recordings.self, Detect.self, View.self, Snapshot.self, Cloud.self, MediaMTXConfig.self, Capture.self, Transcode.self, OTACommand.self]
    )
}

/// The data directory option every command shares.
struct DataDirectoryOptions: ParsableArguments {
    @Option(name: .long, help: "The agent's data directory (database, recordings, logs).")
    var dataDir: String = "/var/lib/camgate"

    @Option(name: .long, help: "The agent's API socket. Default: /run/camgate/api.sock for /var/lib/camgate, else DATA/api.sock.")
    var apiSocket: String?

    /// The socket the agent serves and the CLI asks.
    var socketPath: String {
        apiSocket.map(FileSystem.absolute) ?? APISocketPath.resolve(dataDirectory: FileSystem.absolute(dataDir))
    }
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
        copy.withUTF8 { buffer in _ = LibC.write(2, buffer.baseAddress, buffer.count) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
