import Synchronization

/// Wakes one waiting task: `ring()` ends the current (or the next) `wait`.
/// Rings while nobody waits are remembered as one. Waiting is
/// cancellation-aware and may have a timeout.
public final class Doorbell: Sendable {
    private struct State {
        var pending = false
        var generation = 0
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    }

    private let state = Mutex(State())

    public init() {}

    public func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w.continuation
            }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns true when rung, false when the timeout passed first.
    @discardableResult
    public func wait(timeout: Duration? = nil) async -> Bool {
        if state.withLock({ s in defer { s.pending = false }; return s.pending }) { return true }
        guard let timeout else {
            await waitForRing()
            return !Task.isCancelled
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.waitForRing(); return !Task.isCancelled }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    private func waitForRing() async {
        let id = state.withLock { s -> Int in s.generation += 1; return s.generation }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.pending || Task.isCancelled {
                        s.pending = false
                        return true
                    }
                    s.waiter?.continuation.resume()
                    s.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let w = s.waiter, w.id == id else { return nil }
                s.waiter = nil
                return w.continuation
            }
            waiter?.resume()
        }
    }
}
