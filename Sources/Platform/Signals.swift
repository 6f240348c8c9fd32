#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

/// Signal dispositions of the agent itself (children get every signal back
/// at its default: `csys_spawn` resets them).
public enum Signals {
    /// Ignores each of `signals` (SIG_IGN).
    public static func ignore(_ signals: [Int32]) throws(SystemError) {
        for signo in signals {
            _ = try syscall("sigaction", "signal \(signo) to SIG_IGN") { csys_ignore_signal(signo) }
        }
    }
}
