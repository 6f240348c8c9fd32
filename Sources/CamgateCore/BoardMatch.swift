/// What the system says about the board it runs on, read once from
/// `/proc/device-tree`, `/sys/class/dmi/id`, `/proc/cpuinfo` and `uname`.
public struct BoardFacts: Sendable, Equatable {
    public var architecture: String
    /// `/proc/device-tree/model`, trailing NULs removed.
    public var deviceTreeModel: String?
    /// `/proc/device-tree/compatible`, split at NUL.
    public var deviceTreeCompatible: [String]
    /// `sys_vendor`, `product_name`, `board_name`, `board_vendor`.
    public var dmi: [String: String]
    /// The first `model name` of `/proc/cpuinfo`.
    public var cpuModel: String?

    public init(architecture: String, deviceTreeModel: String? = nil, deviceTreeCompatible: [String] = [],
                dmi: [String: String] = [:], cpuModel: String? = nil) {
        self.architecture = architecture
        self.deviceTreeModel = deviceTreeModel
        self.deviceTreeCompatible = deviceTreeCompatible
        self.dmi = dmi
        self.cpuModel = cpuModel
    }
}

/// One match rule: every key must match; each key lists alternatives.
public struct BoardRule: Sendable, Equatable {
    public enum Key: String, Sendable, CaseIterable, Comparable {
        case deviceTreeModel = "device_tree_model"
        case deviceTreeCompatible = "device_tree_compatible"
        case dmiSysVendor = "dmi_sys_vendor"
        case dmiProductName = "dmi_product_name"
        case dmiBoardName = "dmi_board_name"
        case dmiBoardVendor = "dmi_board_vendor"
        case cpuModel = "cpu_model"
        case architecture

        public static func < (a: Key, b: Key) -> Bool { a.rawValue < b.rawValue }
    }

    public var alternatives: [Key: [String]]

    public init(_ alternatives: [Key: [String]]) {
        self.alternatives = alternatives
    }

    /// How specific the rule is: the number of keys, with `architecture`
    /// not counted (a rule of architecture alone is a generic fallback).
    public var specificity: Int { alternatives.keys.filter { $0 != .architecture }.count }

    /// The evidence for each key when every key matches; nil otherwise.
    public func evidence(_ facts: BoardFacts) -> [String]? {
        var found: [String] = []
        for key in alternatives.keys.sorted() {
            guard let line = BoardRule.match(key, alternatives[key]!, facts) else { return nil }
            found.append(line)
        }
        return found
    }

    static func match(_ key: Key, _ options: [String], _ facts: BoardFacts) -> String? {
        switch key {
        case .deviceTreeModel:
            guard let model = facts.deviceTreeModel, let hit = options.first(where: { model.hasPrefix($0) }) else { return nil }
            return "device-tree model \(CameraID.quoted(model)) starts with \(CameraID.quoted(hit))"
        case .deviceTreeCompatible:
            guard let hit = options.first(where: facts.deviceTreeCompatible.contains) else { return nil }
            return "device-tree compatible lists \(CameraID.quoted(hit))"
        case .cpuModel:
            guard let cpu = facts.cpuModel, let hit = options.first(where: { contains(cpu, $0) }) else { return nil }
            return "CPU \(CameraID.quoted(cpu)) contains \(CameraID.quoted(hit))"
        case .architecture:
            guard options.contains(facts.architecture) else { return nil }
            return "architecture \(facts.architecture)"
        case .dmiSysVendor, .dmiProductName, .dmiBoardName, .dmiBoardVendor:
            let field = String(key.rawValue.dropFirst(4))
            guard let value = facts.dmi[field], let hit = options.first(where: { contains(value, $0) }) else { return nil }
            return "DMI \(field) \(CameraID.quoted(value)) contains \(CameraID.quoted(hit))"
        }
    }

    /// Case-insensitive ASCII substring.
    static func contains(_ text: String, _ part: String) -> Bool {
        text.lowercased().contains(part.lowercased())
    }

    static func list(_ reader: JSONObjectReader, _ key: String) throws(ConfigurationError) -> [BoardRule] {
        guard case .array(let items)? = reader.value(key), !items.isEmpty else {
            throw ConfigurationError(field: reader.fieldPath(key), reason: "expected a non-empty array of rules")
        }
        var rules: [BoardRule] = []
        for (i, item) in items.enumerated() {
            let rule = try JSONObjectReader(item, path: "\(reader.fieldPath(key))[\(i)]")
            try rule.rejectUnknown(allowed: Set(Key.allCases.map(\.rawValue)))
            var alternatives: [Key: [String]] = [:]
            for k in Key.allCases where rule.value(k.rawValue) != nil {
                alternatives[k] = try rule.strings(k.rawValue, required: true)
            }
            guard !alternatives.isEmpty else { throw ConfigurationError(field: rule.path, reason: "a rule needs at least one key") }
            rules.append(BoardRule(alternatives))
        }
        return rules
    }
}

/// The profile chosen for this board and why.
public struct BoardChoice: Sendable, Equatable {
    public var profile: BoardProfile?
    public var variant: BoardVariant?
    /// How the choice was made, one sentence per line.
    public var reasons: [String]
    /// Other profiles that also matched, weaker or tied.
    public var alsoMatched: [String]

    public init(profile: BoardProfile?, variant: BoardVariant?, reasons: [String], alsoMatched: [String]) {
        self.profile = profile
        self.variant = variant
        self.reasons = reasons
        self.alsoMatched = alsoMatched
    }

    public var id: String? { profile?.id }

    /// The profile's encoder order (a variant's when it has one).
    public var encoderNames: [String] { variant?.encoderPriority ?? profile?.encoderPriority ?? EncoderBackend.defaultPriority.map(\.rawValue) }
    public var advisedCameras: Int? { variant?.advisedCameras ?? profile?.advisedCameras }
    public var recording: RecordingPolicy? { variant?.recording ?? profile?.recording }
    public var notes: [String] { (profile?.notes ?? []) + (variant?.notes ?? []) }

    /// The order the agent tries proven encoders in: the profile's names
    /// this build knows, then every other backend in the default order, so
    /// a profile can never hide an encoder that `detect` proved. Names this
    /// build has no backend for come back in `unavailable`.
    public var encoderPriority: (order: [EncoderBackend], unavailable: [String]) {
        var order: [EncoderBackend] = []
        var unavailable: [String] = []
        for name in encoderNames {
            if let backend = EncoderBackend(rawValue: name) {
                if !order.contains(backend) { order.append(backend) }
            } else {
                unavailable.append(name)
            }
        }
        order += EncoderBackend.defaultPriority.filter { !order.contains($0) }
        return (order, unavailable)
    }
}

public enum BoardMatcher {
    public struct UnknownBoard: Error, Equatable, CustomStringConvertible {
        public var id: String
        public var known: [String]
        public var description: String {
            "no board profile \(CameraID.quoted(id)) (known: \(known.joined(separator: ", ")))"
        }
    }

    /// Chooses a profile: `forced` (the configuration's or `--board`'s id)
    /// wins when it names a known profile; otherwise the matching rule with
    /// the most keys among profiles for this architecture. A tie goes to
    /// the first id in alphabetical order and is said in the reasons.
    public static func choose(_ profiles: [BoardProfile], facts: BoardFacts, forced: String? = nil) throws(UnknownBoard) -> BoardChoice {
        let sorted = profiles.sorted { $0.id < $1.id }
        if let forced, forced != "auto" {
            guard let profile = sorted.first(where: { $0.id == forced }) else {
                throw UnknownBoard(id: forced, known: sorted.map(\.id))
            }
            var reasons = ["chosen by configuration (board \(CameraID.quoted(forced))), not detected"]
            if !profile.architectures.contains(facts.architecture) {
                reasons.append("warning: the profile is for \(profile.architectures.joined(separator: "/")), this system is \(facts.architecture)")
            }
            return withVariant(BoardChoice(profile: profile, variant: nil, reasons: reasons, alsoMatched: []), facts: facts)
        }
        var candidates: [(profile: BoardProfile, specificity: Int, evidence: [String])] = []
        for profile in sorted where profile.architectures.contains(facts.architecture) {
            let best = profile.rules.compactMap { rule in rule.evidence(facts).map { (rule.specificity, $0) } }.max { $0.0 < $1.0 }
            if let best { candidates.append((profile, best.0, best.1)) }
        }
        guard let top = candidates.max(by: { $0.specificity < $1.specificity || ($0.specificity == $1.specificity && $0.profile.id > $1.profile.id) }) else {
            return BoardChoice(profile: nil, variant: nil,
                               reasons: ["no profile matches this \(facts.architecture) system: built-in defaults (encoder order \(EncoderBackend.defaultPriority.map(\.rawValue).joined(separator: ", ")))"],
                               alsoMatched: [])
        }
        var reasons = top.evidence.map { "matched: \($0)" }
        if top.specificity == 0 { reasons.append("no specific profile matches: the generic profile for \(facts.architecture)") }
        let others = candidates.filter { $0.profile.id != top.profile.id }
        if let tie = others.first(where: { $0.specificity == top.specificity && top.specificity > 0 }) {
            reasons.append("warning: \(tie.profile.id) matches as well; \(top.profile.id) is first in alphabetical order")
        }
        return withVariant(BoardChoice(profile: top.profile, variant: nil, reasons: reasons, alsoMatched: others.map(\.profile.id)), facts: facts)
    }

    private static func withVariant(_ choice: BoardChoice, facts: BoardFacts) -> BoardChoice {
        var choice = choice
        guard let profile = choice.profile else { return choice }
        for variant in profile.variants {
            if let evidence = variant.rules.lazy.compactMap({ $0.evidence(facts) }).first {
                choice.variant = variant
                choice.reasons.append("variant \(variant.id): \(evidence.joined(separator: "; "))")
                break
            }
        }
        return choice
    }
}
