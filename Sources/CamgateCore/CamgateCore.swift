/// CamgateCore owns the agent's domain values (cameras, sources, desired
/// state, workloads) and its pure decision logic: the reconciler, restart
/// backoff and circuit breaker, retention planning and redaction.
///
/// Nothing in this module touches the file system, the network, processes or
/// the clock: callers pass `now` in, which keeps every decision testable with
/// a table of cases.
public enum CamgateCore {
    /// The agent's version, reported to the cloud and by `camgate --version`.
    public static let version = "0.1.0"
}
