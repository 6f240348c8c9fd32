import OTA

/// When the agent acks a running `ota_update` command, and how (pure:
/// the agent reads the files, this decides). The command's id ties it to
/// the root side's result file (a refusal) or to the state file's record
/// (a staged update, to its end). Whichever agent runs then — the old
/// version, the new one on trial, the old one again after a rollback —
/// decides the same, and the command table's `done` makes the ack once.
public enum UpdateSettlement: Equatable, Sendable {
    /// Still going: not taken yet, downloading, staged, on trial.
    case wait
    case succeeded(detail: String, version: SoftwareVersion, previous: SoftwareVersion)
    case failed(code: String, detail: String)

    /// The request was not taken by the root side within this time: the
    /// path unit is missing or stopped (an agent run by hand, a broken install).
    public static let pickupTimeout: Int64 = 10 * 60_000
    /// Taken but with no outcome within this time (a download that never ends).
    public static let outcomeTimeout: Int64 = 6 * 3_600_000

    public static func decide(commandID: String, since: Int64, requestWaiting: Bool, result: UpdateRequestResult?,
                              record: UpdateRecord?, now: Int64) -> UpdateSettlement {
        if let record, record.commandID == commandID {
            switch record.phase {
            case .staged, .trial:
                return .wait
            case .committed:
                return .succeeded(detail: "\(record.candidate) committed (previous \(record.previous))", version: record.candidate,
                                  previous: record.previous)
            case .rolledBack:
                let reason = (record.rollbackReason ?? .notHealthyInTime).rawValue
                return .failed(code: reason, detail: "\(record.candidate) rolled back to \(record.previous): \(reason)")
            }
        }
        if let result, result.commandID == commandID {
            return .failed(code: result.code, detail: "refused: \(result.code): \(result.message)")
        }
        if requestWaiting, now - since >= pickupTimeout {
            return .failed(code: "not_taken", detail: "the update request was not taken within \(pickupTimeout / 60_000) min (is camgate-ota-apply.path enabled?)")
        }
        if now - since >= outcomeTimeout {
            return .failed(code: "no_outcome", detail: "no outcome \(outcomeTimeout / 3_600_000) h after the request")
        }
        return .wait
    }
}
