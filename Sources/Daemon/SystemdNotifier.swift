#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPlatform

/// sd_notify(3) without libsystemd: datagrams to `$NOTIFY_SOCKET`.
/// `READY=1` once the agent has restored its state and started recording;
/// `WATCHDOG=1` at half of `$WATCHDOG_USEC` while the agent's loop answers.
public struct SystemdNotifier: Sendable {
    public let socketPath: String
    /// Half the watchdog period systemd asked for, when it asked.
    public let watchdogInterval: Duration?

    /// nil when not started by systemd with `Type=notify`.
    public init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        socketPath = path
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0 {
            watchdogInterval = .microseconds(usec / 2)
        } else {
            watchdogInterval = nil
        }
    }

    @discardableResult
    public func notify(_ message: String) -> Bool {
        csys_notify(socketPath, message) == 0
    }

    /// The environment of this process.
    public static var processEnvironment: [String: String] {
        var result: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }
}
