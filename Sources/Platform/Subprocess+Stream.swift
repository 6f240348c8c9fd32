#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

extension Subprocess {
    /// How a streamed child ended.
    public struct StreamResult: Sendable {
        public var exitCode: Int32?
        public var signal: Int32?
        /// `onChunk` asked to stop; the group was killed.
        public var stopped: Bool
    }

    /// Runs `executable` with `stdin` as its standard input and hands its
    /// standard output to `onChunk` as it comes (64 KiB at most a chunk),
    /// never holding it whole: a decompressor's output written to a file.
    /// `onChunk` throws to stop; the child's process group is then killed
    /// and the error rethrown. Its standard error goes to /dev/null (the
    /// caller judges by the exit code and the output).
    public static func stream(_ executable: String, _ arguments: [String], stdin: Int32,
                              environment: [String: String] = defaultEnvironment,
                              onChunk: ([UInt8]) throws -> Void) throws -> StreamResult {
        var pipeFDs: [Int32] = [0, 0]
        _ = try syscall("pipe2") { csys_pipe_cloexec(&pipeFDs) }
        let readFD = pipeFDs[0], writeFD = pipeFDs[1]
        defer { close(readFD) }
        let pid: pid_t
        do {
            pid = try ProcessLauncher.spawnSplit(executable, arguments, environment: environment, stdin: stdin, stdout: writeFD)
            close(writeFD)
        } catch {
            close(writeFD)
            throw error
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        do {
            while true {
                let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; throw SystemError(call: "read", errno: errno, subject: executable) }
                if n == 0 { break }
                try onChunk(Array(buffer[0..<n]))
            }
        } catch {
            kill(-pid, SIGKILL)
            _ = waitFor(pid)
            throw error
        }
        let status = waitFor(pid)
        if status & 0x7f == 0 { return StreamResult(exitCode: (status >> 8) & 0xff, signal: nil, stopped: false) }
        return StreamResult(exitCode: nil, signal: status & 0x7f, stopped: false)
    }

    private static func waitFor(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }
}

extension ProcessLauncher {
    /// `spawn` with standard error to /dev/null and standard output to `stdout`.
    static func spawnSplit(_ executable: String, _ arguments: [String], environment: [String: String],
                           stdin: Int32, stdout: Int32) throws(SystemError) -> pid_t {
        var pid: pid_t = 0
        let argv = [executable] + arguments
        let envp = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer { if null >= 0 { close(null) } }
        guard null >= 0 else { throw SystemError(call: "open", errno: errno, subject: "/dev/null") }
        let rc = withCStringArray(argv) { a in withCStringArray(envp) { e in csys_spawn3(executable, a, e, stdin, stdout, null, &pid) } }
        guard rc == 0 else { throw SystemError(call: "posix_spawn", errno: rc, subject: executable) }
        return pid
    }
}
