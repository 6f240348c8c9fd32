/// Who a process is, across agent restarts: PIDs are reused, so a PID alone
/// proves nothing. (boot id, pid, start time) names one process for the
/// life of the machine: the start time is field 22 of /proc/PID/stat, in
/// clock ticks since boot, and the boot id changes at every reboot.
public struct ProcessIdentity: Hashable, Sendable, CustomStringConvertible {
    public var bootID: String
    public var pid: Int32
    public var startTime: UInt64

    public init(bootID: String, pid: Int32, startTime: UInt64) {
        self.bootID = bootID
        self.pid = pid
        self.startTime = startTime
    }

    public var description: String { "pid \(pid) (start \(startTime), boot \(bootID.prefix(8)))" }
}
