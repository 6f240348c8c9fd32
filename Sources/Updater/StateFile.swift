import CamgateCore
import OTA
import Platform

/// The OTA state file under its lock: read, one judge step, write
/// (atomic rename), in that order, so that the actions a caller performs
/// afterwards always follow a state already on disk (docs/ota.md, "Crash
/// safety"). The lock is a separate file (`ota.json.lock`): the state file
/// itself is replaced by every write.
public struct StateFile: Sendable {
    public let layout: InstallLayout

    public init(layout: InstallLayout) {
        self.layout = layout
    }

    /// What reading found.
    public enum Reading: Sendable {
        case state(UpdateState)
        /// The file exists but does not parse (a bad disk, a foreign
        /// writer): `TrialJudge.recover` decides.
        case unreadable(UpdateRefusal)
    }

    /// Reads without the lock (writes are atomic renames: a reader sees a
    /// whole file). A missing file is the empty state.
    public func read() throws(UpdateError) -> Reading {
        guard FileSystem.exists(layout.stateFile) else { return .state(UpdateState()) }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(layout.stateFile, limit: 1 << 20) } catch { throw UpdateError(error, "reading the OTA state") }
        do { return .state(try UpdateState(parsing: bytes)) } catch { return .unreadable(error) }
    }

    public func write(_ state: UpdateState) throws(UpdateError) {
        do {
            try FileSystem.createDirectories(layout.stateDirectory, mode: 0o750)
            try FileSystem.writeAtomically(layout.stateFile, state.fileContent, mode: 0o644, keepingAttributes: true)
        } catch {
            throw UpdateError(error, "writing the OTA state")
        }
    }

    /// Runs `body` holding the lock (waiting for it): the guard, the
    /// check, the exit hook, a stage and a rollback never interleave.
    public func locked<T>(_ body: () throws(UpdateError) -> T) throws(UpdateError) -> T {
        let lock: FileLock
        do {
            try FileSystem.createDirectories(layout.stateDirectory, mode: 0o750)
            lock = try FileLock(path: layout.lockFile, waiting: true)
        } catch {
            throw UpdateError(error, "locking the OTA state")
        }
        defer { withExtendedLifetime(lock) {} }
        return try body()
    }

    /// Under the lock: read, step, write when changed; the actions to
    /// perform (after the write). An unreadable state gives the judge's
    /// recovery (run the committed version) and is left for the operator.
    public func step(_ input: TrialInput, now: Int64, committed: SoftwareVersion) throws(UpdateError) -> (UpdateState?, [TrialAction]) {
        try locked { () throws(UpdateError) -> (UpdateState?, [TrialAction]) in
            switch try read() {
            case .unreadable:
                return (nil, TrialJudge.recover(committed: committed))
            case .state(let state):
                let (next, actions) = TrialJudge.step(state, input, now: now)
                if next != state { try write(next) }
                return (next, actions)
            }
        }
    }
}
