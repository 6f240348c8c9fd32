import CamgateCore

/// The state file as JSON. Known fields are checked (a wrong type is an
/// error naming the field); unknown fields are *ignored on purpose* and kept
/// for the write back: the file is shared by binaries of different
/// versions (the committed one judges the candidate's trial), and an older
/// guard must read what a newer agent wrote. A new phase or reason is not
/// such a field: an unknown value is an error, and the caller's recovery
/// (docs/ota.md) runs the committed version.
extension UpdateState {
    static let knownFields: Set<String> = ["format", "floor", "bad_versions", "key_bundle_serial", "update"]

    public init(parsing bytes: some Collection<UInt8>) throws(UpdateRefusal) {
        do throws(ConfigurationError) {
            let r = try JSONObjectReader(try JSONValue.parse(bytes), path: "")
            let bad = try Self.versions(r.value("bad_versions"), path: "bad_versions")
            self.init(floor: try Self.optionalVersion(r, "floor"), badVersions: Set(bad),
                      keyBundleSerial: try r.int("key_bundle_serial", in: 0...(1 << 53)) ?? 0,
                      update: try r.object("update").map(UpdateRecord.init(reading:)),
                      unknownFields: r.fields.filter { !Self.knownFields.contains($0.key) })
        } catch {
            throw UpdateRefusal.malformed("OTA state", error)
        }
    }

    public var json: JSONValue {
        var doc = unknownFields
        doc["format"] = .int(1)
        doc["floor"] = floor.map { .string($0.description) } ?? .null
        doc["bad_versions"] = .array(badVersions.sorted().map { .string($0.description) })
        doc["key_bundle_serial"] = .int(keyBundleSerial)
        doc["update"] = update?.json ?? .null
        return .object(doc)
    }

    /// The file's content (compact JSON with sorted keys and a newline).
    public var fileContent: [UInt8] {
        Array((json.serialized() + "\n").utf8)
    }

    static func optionalVersion(_ r: JSONObjectReader, _ key: String) throws(ConfigurationError) -> SoftwareVersion? {
        guard let text = try r.string(key) else { return nil }
        do throws(ConfigurationError) {
            return try SoftwareVersion(parsing: text)
        } catch {
            throw ConfigurationError(field: r.fieldPath(key), reason: error.reason)
        }
    }

    static func versions(_ value: JSONValue?, path: String) throws(ConfigurationError) -> [SoftwareVersion] {
        guard let value else { return [] }
        guard case .array(let items) = value else { throw ConfigurationError(field: path, reason: "expected an array of versions") }
        var out: [SoftwareVersion] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue, let v = try? SoftwareVersion(parsing: text) else {
                throw ConfigurationError(field: "\(path)[\(i)]", reason: "expected a version")
            }
            out.append(v)
        }
        return out
    }

    static func times(_ value: JSONValue?, path: String) throws(ConfigurationError) -> [Int64] {
        guard let value else { return [] }
        guard case .array(let items) = value, items.count <= 1000 else {
            throw ConfigurationError(field: path, reason: "expected an array of at most 1000 times")
        }
        var out: [Int64] = []
        for (i, item) in items.enumerated() {
            guard let t = item.int64Value else { throw ConfigurationError(field: "\(path)[\(i)]", reason: "expected a time in milliseconds") }
            out.append(t)
        }
        return out
    }
}

extension UpdateRecord {
    static let knownFields: Set<String> = ["phase", "candidate", "previous", "downgrade", "cloud_was_reachable", "policy",
                                           "staged_at", "starts", "last_exit", "health", "rollback_reason", "finished_at", "ack_pending",
                                           "command_id"]
    static let time: ClosedRange<Int64> = Int64.min / 2...Int64.max / 2

    init(reading r: JSONObjectReader) throws(ConfigurationError) {
        func required<T>(_ key: String, _ value: T?) throws(ConfigurationError) -> T {
            guard let value else { throw ConfigurationError(field: r.fieldPath(key), reason: "is required") }
            return value
        }
        let phaseText = try r.requiredString("phase")
        guard let phase = Phase(rawValue: phaseText) else {
            throw ConfigurationError(field: r.fieldPath("phase"), reason: "unknown phase \(CameraID.quoted(phaseText))")
        }
        self.init(candidate: try required("candidate", UpdateState.optionalVersion(r, "candidate")),
                  previous: try required("previous", UpdateState.optionalVersion(r, "previous")),
                  downgrade: try r.bool("downgrade") ?? false, cloudWasReachable: try r.bool("cloud_was_reachable") ?? false,
                  policy: try r.object("policy").map(TrialPolicy.init(reading:)) ?? TrialPolicy(),
                  stagedAt: try required("staged_at", r.int("staged_at", in: Self.time)))
        self.phase = phase
        starts = try UpdateState.times(r.value("starts"), path: r.fieldPath("starts"))
        lastExit = try r.object("last_exit").map(Self.exit(reading:))
        health = try r.object("health").map(HealthReport.init(reading:))
        if let reason = try r.string("rollback_reason") {
            guard let known = RollbackReason(rawValue: reason) else {
                throw ConfigurationError(field: r.fieldPath("rollback_reason"), reason: "unknown reason \(CameraID.quoted(reason))")
            }
            rollbackReason = known
        }
        finishedAt = try r.int("finished_at", in: Self.time)
        ackPending = try r.bool("ack_pending") ?? false
        commandID = try r.string("command_id")
        unknownFields = r.fields.filter { !Self.knownFields.contains($0.key) }
    }

    private static func exit(reading r: JSONObjectReader) throws(ConfigurationError) -> Exit {
        guard let at = try r.int("at", in: time) else { throw ConfigurationError(field: r.fieldPath("at"), reason: "is required") }
        return Exit(at: at, failed: try r.bool("failed") ?? true)
    }

    public var json: JSONValue {
        var doc = unknownFields
        doc["phase"] = .string(phase.rawValue)
        doc["candidate"] = .string(candidate.description)
        doc["previous"] = .string(previous.description)
        doc["downgrade"] = .bool(downgrade)
        doc["cloud_was_reachable"] = .bool(cloudWasReachable)
        doc["policy"] = policy.json
        doc["staged_at"] = .int(stagedAt)
        doc["starts"] = .array(starts.map(JSONValue.int))
        doc["last_exit"] = lastExit.map { .object(["at": .int($0.at), "failed": .bool($0.failed)]) } ?? .null
        doc["health"] = health?.json ?? .null
        doc["rollback_reason"] = rollbackReason.map { .string($0.rawValue) } ?? .null
        doc["finished_at"] = finishedAt.map(JSONValue.int) ?? .null
        doc["ack_pending"] = .bool(ackPending)
        doc["command_id"] = commandID.map(JSONValue.string) ?? .null
        return .object(doc)
    }
}

extension TrialPolicy {
    /// Unknown keys ignored; a missing key keeps its default.
    init(reading r: JSONObjectReader) throws(ConfigurationError) {
        let d = TrialPolicy()
        let ms: ClosedRange<Int64> = 0...86_400_000
        self.init(healthyDeadline: try r.int("healthy_deadline_ms", in: ms) ?? d.healthyDeadline,
                  minimumRun: try r.int("minimum_run_ms", in: ms) ?? d.minimumRun,
                  exitedAtOnceWindow: try r.int("exited_at_once_ms", in: ms) ?? d.exitedAtOnceWindow,
                  maxStarts: Int(try r.int("max_starts", in: 1...100) ?? Int64(d.maxStarts)),
                  restartGrace: try r.int("restart_grace_ms", in: ms) ?? d.restartGrace)
    }

    var json: JSONValue {
        .object(["healthy_deadline_ms": .int(healthyDeadline), "minimum_run_ms": .int(minimumRun),
                 "exited_at_once_ms": .int(exitedAtOnceWindow), "max_starts": .int(Int64(maxStarts)),
                 "restart_grace_ms": .int(restartGrace)])
    }
}

extension HealthReport {
    init(reading r: JSONObjectReader) throws(ConfigurationError) {
        guard let at = try r.int("at", in: UpdateRecord.time) else { throw ConfigurationError(field: r.fieldPath("at"), reason: "is required") }
        self.init(at: at, ready: try r.bool("ready") ?? false, storeOpen: try r.bool("store_open") ?? false,
                  recordersAdopted: try r.bool("recorders_adopted") ?? false, cloudReachable: try r.bool("cloud_reachable") ?? false)
    }

    var json: JSONValue {
        .object(["at": .int(at), "ready": .bool(ready), "store_open": .bool(storeOpen),
                 "recorders_adopted": .bool(recordersAdopted), "cloud_reachable": .bool(cloudReachable)])
    }
}
