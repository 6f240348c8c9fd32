#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

/// Runs a short-lived program to completion (ffprobe, a trial encode, a
/// one-frame snapshot): no shell, its own process group, output captured up
/// to a limit, and a deadline after which the whole group is killed.
public enum Subprocess {
    public struct Result: Sendable {
        /// nil when the deadline killed it.
        public var exitCode: Int32?
        public var signal: Int32?
        public var timedOut: Bool
        /// stdout and stderr, interleaved, at most `outputLimit` bytes.
        public var output: [UInt8]

        public var succeeded: Bool { exitCode == 0 && !timedOut }
        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// Runs `executable` and blocks the calling thread until it ends; use
    /// `run(...) async` from async code.
    public static func runBlocking(_ executable: String, _ arguments: [String], environment: [String: String] = defaultEnvironment,
                                   timeout: Duration, outputLimit: Int = 1 << 20) throws(SystemError) -> Result {
        var pipeFDs: [Int32] = [0, 0]
        _ = try syscall("pipe2") { csys_pipe_cloexec(&pipeFDs) }
        let readFD = pipeFDs[0], writeFD = pipeFDs[1]
        defer { close(readFD) }
        let nullFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { if nullFD >= 0 { close(nullFD) } }

        let pid: pid_t
        do {
            pid = try ProcessLauncher.spawn(executable, arguments, environment: environment, stdin: nullFD, output: writeFD)
            close(writeFD)
        } catch {
            close(writeFD)
            throw error
        }

        let deadline = ContinuousClock.now + timeout
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var timedOut = false
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { timedOut = true; break }
            let ms = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var fds = [pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, ms)
            if ready < 0 { if errno == EINTR { continue }; break }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; break }
            if n == 0 { break }
            if output.count < outputLimit { output.append(contentsOf: buffer[0..<min(n, outputLimit - output.count)]) }
        }
        if timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        // EOF came before exit, or the group was killed: wait for it (bounded).
        var waited: pid_t = 0
        let waitDeadline = ContinuousClock.now + .seconds(5)
        repeat {
            waited = waitpid(pid, &status, WNOHANG)
            if waited == 0 {
                if ContinuousClock.now > waitDeadline { kill(-pid, SIGKILL); waited = waitpid(pid, &status, 0); break }
                usleep(2_000)
            }
        } while waited == 0 || (waited < 0 && errno == EINTR)
        if status & 0x7f == 0 {
            return Result(exitCode: timedOut ? nil : (status >> 8) & 0xff, signal: nil, timedOut: timedOut, output: output)
        }
        return Result(exitCode: nil, signal: status & 0x7f, timedOut: timedOut, output: output)
    }

    /// Runs on a thread of its own, so that waiting for the program never
    /// blocks the (small) cooperative thread pool.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = defaultEnvironment,
                           timeout: Duration, outputLimit: Int = 1 << 20) async throws -> Result {
        try await BlockingThread.run {
            try runBlocking(executable, arguments, environment: environment, timeout: timeout, outputLimit: outputLimit)
        }
    }

    /// A minimal environment for children: no inherited secrets, UTC times.
    public static var defaultEnvironment: [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": "UTC", "LC_ALL": "C"]
    }
}

/// Runs blocking work on a dedicated thread and resumes the caller when it
/// finishes (for the rare blocking calls: child processes, ioctls).
public enum BlockingThread {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            var tid = pthread_t()
            let rc = pthread_create(&tid, &attributes, { raw in
                Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().work()
                return nil
            }, Unmanaged.passRetained(job).toOpaque())
            pthread_attr_destroy(&attributes)
            if rc != 0 {
                Unmanaged.passUnretained(job).release()
                continuation.resume(throwing: SystemError(call: "pthread_create", errno: rc))
            }
        }
    }

    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }
}
