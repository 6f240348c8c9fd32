#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

/// posix_spawn with the agent's rules for children (see `csys_spawn`): a new
/// process group, an empty signal mask and default dispositions (whatever the
/// parent blocked: libdispatch blocks signals on its threads), stdin and
/// output descriptors, nothing else inherited. No shell.
public enum ProcessLauncher {
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String],
                             stdin: Int32, output: Int32) throws(SystemError) -> pid_t {
        var pid: pid_t = 0
        let argv = [executable] + arguments
        let envp = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        let rc = withCStringArray(argv) { a in withCStringArray(envp) { e in csys_spawn(executable, a, e, stdin, output, &pid) } }
        guard rc == 0 else { throw SystemError(call: "posix_spawn", errno: rc, subject: executable) }
        return pid
    }

    /// Calls `body` with a NULL-terminated array of C strings.
    static func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension ProcessLauncher {
    /// Replaces this process with `executable` (execve): used where the
    /// process is itself supervised by someone else (MediaMTX's on-demand
    /// commands), so that signals reach ffmpeg directly.
    public static func exec(_ executable: String, _ arguments: [String], environment: [String: String]) -> SystemError {
        let argv = [executable] + arguments
        let envp = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        _ = withCStringArray(argv) { a in withCStringArray(envp) { e in execve(executable, a, e) } }
        return SystemError(call: "execve", errno: errno, subject: executable)
    }
}
