#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Crash-test hooks: when `CAMGATE_FAULT` names a point, the agent kills
/// itself with SIGKILL on reaching it, exactly as a power cut or an OOM kill
/// would. Tests use it to land a crash between two steps deterministically
/// (e.g. a command stored but not yet executed). Unset in production: a
/// lookup of one environment variable, read once.
enum FaultPoints {
    static let armed: String? = getenv("CAMGATE_FAULT").map { String(cString: $0) }

    /// `qualifier` narrows a point: `CAMGATE_FAULT=event-stored:command`
    /// fires on a stored command event only.
    static func hit(_ name: String, _ qualifier: String? = nil) {
        guard let armed, armed == name || qualifier.map({ armed == "\(name):\($0)" }) == true else { return }
        kill(getpid(), SIGKILL)
    }
}
