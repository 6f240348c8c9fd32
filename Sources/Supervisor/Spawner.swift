#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// Starts supervised children: stdin from /dev/null, stdout+stderr appended
/// to the log file (0600: it may contain camera URLs), in a new process
/// group, with nothing else inherited (see `ProcessLauncher`).
enum Spawner {
    static func spawn(_ spec: ProcessSpec) throws(SystemError) -> Int32 {
        let logFD = try syscall("open", spec.logFile) { open(spec.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
        defer { close(logFD) }
        let nullFD = try syscall("open", "/dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { close(nullFD) }
        return try ProcessLauncher.spawn(spec.executable, spec.arguments, environment: spec.environment, stdin: nullFD, output: logFD)
    }
}
