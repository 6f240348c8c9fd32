#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform
import Platform
import Synchronization

/// How a process ended.
public enum ExitStatus: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// An adopted process is not our child: its status goes to its new parent.
    case unknown

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        case .unknown: "exited (status unknown: adopted process)"
        }
    }

    init(waitStatus status: Int32) {
        if status & 0x7f == 0 { self = .exited((status >> 8) & 0xff) } else { self = .signaled(status & 0x7f) }
    }
}

/// Watches processes for exit on one background thread, with a pidfd per
/// process (which, unlike waitpid, also works for processes adopted after an
/// agent restart). Own children are reaped here and only here. Kernels
/// without pidfd_open fall back to a 500 ms /proc check.
final class ExitWatcher: Sendable {
    struct Event: Sendable {
        var pid: Int32
        var status: ExitStatus
    }

    private struct Entry {
        var pidfd: Int32
        var ownChild: Bool
    }

    private struct State: ~Copyable {
        var watched: [Int32: Entry] = [:]
        var running = true
    }

    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let state = Mutex(State())
    private let wakeFD: Int32
    private let thread = Mutex<pthread_t?>(nil)

    init() {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
        wakeFD = csys_eventfd()
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let watcher = Unmanaged<ExitWatcher>.fromOpaque(raw!).takeRetainedValue()
            watcher.loop()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        thread.withLock { $0 = tid }
    }

    /// Starts watching `pid`. A process that is already gone is reported at once.
    func watch(pid: Int32, ownChild: Bool) {
        let fd = csys_pidfd_open(pid)
        if fd < 0, errno == ESRCH, !ownChild {
            continuation.yield(Event(pid: pid, status: .unknown))
            return
        }
        state.withLock { $0.watched[pid] = Entry(pidfd: fd, ownChild: ownChild) }
        wake()
    }

    func shutdown() {
        state.withLock { $0.running = false }
        wake()
        if let tid = thread.withLock({ t -> pthread_t? in let v = t; t = nil; return v }) {
            pthread_join(tid, nil)
        }
        continuation.finish()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func loop() {
        while true {
            let (entries, running) = state.withLock { ($0.watched, $0.running) }
            guard running else { break }
            var fds = [pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0)]
            var pids: [Int32] = []
            var fallback: [Int32] = []
            for (pid, entry) in entries {
                if entry.pidfd >= 0 {
                    fds.append(pollfd(fd: entry.pidfd, events: Int16(POLLIN), revents: 0))
                    pids.append(pid)
                } else {
                    fallback.append(pid)
                }
            }
            let rc = poll(&fds, nfds_t(fds.count), fallback.isEmpty ? -1 : 500)
            if rc < 0, errno != EINTR { usleep(100_000) }
            if fds[0].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, 8)
            }
            var ended: [(Int32, ExitStatus?)] = []
            for (index, pid) in pids.enumerated() where fds[index + 1].revents != 0 { ended.append((pid, nil)) }
            for pid in fallback {
                if let status = fallbackCheck(pid, ownChild: entries[pid]!.ownChild) { ended.append((pid, status)) }
            }
            for (pid, known) in ended {
                guard let entry = state.withLock({ $0.watched.removeValue(forKey: pid) }) else { continue }
                if entry.pidfd >= 0 { close(entry.pidfd) }
                let status = known ?? (entry.ownChild ? reap(pid) : .unknown)
                continuation.yield(Event(pid: pid, status: status))
            }
        }
        let leftovers = state.withLock { s -> [Entry] in let v = Array(s.watched.values); s.watched.removeAll(); return v }
        for entry in leftovers where entry.pidfd >= 0 { close(entry.pidfd) }
        close(wakeFD)
    }

    private func reap(_ pid: Int32) -> ExitStatus {
        var status: Int32 = 0
        while true {
            let rc = waitpid(pid, &status, 0)
            if rc == pid { return ExitStatus(waitStatus: status) }
            if rc < 0, errno == EINTR { continue }
            return .unknown
        }
    }

    /// Without a pidfd: the exit status when `pid` has ended, nil while it runs.
    private func fallbackCheck(_ pid: Int32, ownChild: Bool) -> ExitStatus? {
        if ownChild {
            var status: Int32 = 0
            let rc = waitpid(pid, &status, WNOHANG)
            if rc == pid { return ExitStatus(waitStatus: status) }
            return rc < 0 && errno == ECHILD ? .unknown : nil
        }
        if kill(pid, 0) != 0 && errno == ESRCH { return .unknown }
        return ProcFS.stat(pid: pid)?.isAlive == false ? .unknown : nil
    }
}
