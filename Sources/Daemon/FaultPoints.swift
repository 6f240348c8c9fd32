#if canImport(Glibc)
import Glibc
#endif

/// Crash-test hooks: when `CAMGATE_FAULT` names a point, the agent kills
/// itself with SIGKILL on reaching it, exactly as a power cut or an OOM kill
/// would. Tests use it to land a crash between two steps deterministically
/// (e.g. a command stored but not yet executed). Unset in production: a
/// lookup of one environment variable, read once.
enum FaultPoints {
    static let armed: String? = getenv("CAMGATE_FAULT").map { String(cString: $0) }

    static func hit(_ name: String) {
        guard let armed, armed == name else { return }
        kill(getpid(), SIGKILL)
    }
}
