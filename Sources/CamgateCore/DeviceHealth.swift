/// The box's own health, as the status report, the API and the metrics
/// show it: temperature, power and throttling, uptime, storage wear. Every
/// field is optional: a board shows what it exposes.
public struct DeviceHealth: Sendable, Equatable {
    public var temperatureCelsius: Double?
    /// The thermal zone's `type` the temperature came from.
    public var thermalZone: String?
    public var warnCelsius: Int?
    public var criticalCelsius: Int?
    public var throttling: ThrottleState?
    public var uptimeSeconds: Double?
    public var storageWear: [StorageWear]

    public init(temperatureCelsius: Double? = nil, thermalZone: String? = nil, warnCelsius: Int? = nil, criticalCelsius: Int? = nil,
                throttling: ThrottleState? = nil, uptimeSeconds: Double? = nil, storageWear: [StorageWear] = []) {
        self.temperatureCelsius = temperatureCelsius
        self.thermalZone = thermalZone
        self.warnCelsius = warnCelsius
        self.criticalCelsius = criticalCelsius
        self.throttling = throttling
        self.uptimeSeconds = uptimeSeconds
        self.storageWear = storageWear
    }

    /// "ok", "warm" (at or over the warning mark), "hot" (at or over the
    /// critical mark), nil when unknown.
    public var temperatureLevel: String? {
        guard let t = temperatureCelsius else { return nil }
        if let c = criticalCelsius, t >= Double(c) { return "hot" }
        if let w = warnCelsius, t >= Double(w) { return "warm" }
        return "ok"
    }

    /// `/sys/class/thermal/thermal_zone*/temp`: millidegrees Celsius.
    public static func celsius(fromMillidegrees text: String) -> Double? {
        guard let milli = Int64(text.trimmingWhitespace()), (-273_150...500_000).contains(milli) else { return nil }
        return Double(milli) / 1000
    }

    /// `/proc/uptime`: "12345.67 23456.78".
    public static func uptime(from text: String) -> Double? {
        guard let first = text.trimmingWhitespace().split(separator: " ").first, let value = Double(first), value >= 0 else { return nil }
        return value
    }
}

/// Under-voltage and throttling, now and since boot.
public struct ThrottleState: Sendable, Equatable {
    public var underVoltageNow: Bool?
    public var underVoltageOccurred: Bool?
    public var throttledNow: Bool?
    public var throttledOccurred: Bool?
    /// What the board printed, for the operator (e.g. "0x50005").
    public var raw: String

    public init(underVoltageNow: Bool? = nil, underVoltageOccurred: Bool? = nil, throttledNow: Bool? = nil,
                throttledOccurred: Bool? = nil, raw: String) {
        self.underVoltageNow = underVoltageNow
        self.underVoltageOccurred = underVoltageOccurred
        self.throttledNow = throttledNow
        self.throttledOccurred = throttledOccurred
        self.raw = raw
    }

    /// Decodes what a board's throttling file holds.
    public static func decode(_ kind: ThrottlingSpec.Kind, _ text: String) -> ThrottleState? {
        let raw = text.trimmingWhitespace()
        switch kind {
        case .raspberrypi:
            // get_throttled (plain hex, "0x" accepted): bit 0 under-voltage,
            // 1 frequency capped, 2 throttled, 3 soft temperature limit;
            // +16: since boot. "Throttled" is bit 2 (docs/board-profiles.md).
            let digits = raw.hasPrefix("0x") ? String(raw.dropFirst(2)) : raw
            guard let mask = UInt32(digits, radix: 16) else { return nil }
            return ThrottleState(underVoltageNow: mask & 0x1 != 0, underVoltageOccurred: mask & 0x1_0000 != 0,
                                 throttledNow: mask & 0x4 != 0, throttledOccurred: mask & 0x4_0000 != 0, raw: raw)
        case .hwmonAlarm:
            guard raw == "0" || raw == "1" else { return nil }
            return ThrottleState(underVoltageNow: raw == "1", raw: raw)
        case .intelCoreThrottleCount:
            guard let count = UInt64(raw) else { return nil }
            return ThrottleState(throttledOccurred: count > 0, raw: raw)
        }
    }
}

/// eMMC wear (JEDEC EXT_CSD): `life_time` holds two estimates (type A and
/// B cells), each 0x01 = 0–10 % of the rated life used … 0x0A = 90–100 %,
/// 0x0B = exceeded; `pre_eol_info` 0x01 normal, 0x02 warning (80 % of the
/// reserved blocks used), 0x03 urgent.
public struct StorageWear: Sendable, Equatable {
    public var device: String
    public var lifeTimeA: Int?
    public var lifeTimeB: Int?
    public var preEOL: Int?

    public init(device: String, lifeTimeA: Int? = nil, lifeTimeB: Int? = nil, preEOL: Int? = nil) {
        self.device = device
        self.lifeTimeA = lifeTimeA
        self.lifeTimeB = lifeTimeB
        self.preEOL = preEOL
    }

    /// From the two files' text; nil when neither holds a valid value.
    public static func decode(device: String, lifeTime: String?, preEOL: String?) -> StorageWear? {
        let estimates = (lifeTime ?? "").trimmingWhitespace().split(separator: " ").compactMap { hexByte($0) }
        let eol = preEOL.flatMap { hexByte($0.trimmingWhitespace()[...]) }
        let valid = estimates.filter { (1...0x0B).contains($0) }
        guard !valid.isEmpty || eol != nil else { return nil }
        return StorageWear(device: device, lifeTimeA: estimates.first.flatMap { (1...0x0B).contains($0) ? $0 : nil },
                           lifeTimeB: estimates.dropFirst().first.flatMap { (1...0x0B).contains($0) ? $0 : nil },
                           preEOL: eol.flatMap { (1...3).contains($0) ? $0 : nil })
    }

    /// The worse estimate as a range: "10-20", "exceeded".
    public var percentUsed: String? {
        guard let worst = [lifeTimeA, lifeTimeB].compactMap({ $0 }).max() else { return nil }
        return worst >= 0x0B ? "exceeded" : "\((worst - 1) * 10)-\(worst * 10)"
    }

    public var preEOLText: String? {
        switch preEOL {
        case 1?: return "normal"
        case 2?: return "warning"
        case 3?: return "urgent"
        default: return nil
        }
    }

    private static func hexByte(_ text: Substring) -> Int? {
        let digits = text.hasPrefix("0x") ? text.dropFirst(2) : text
        return Int(digits, radix: 16)
    }
}

extension StringProtocol {
    /// Without leading and trailing ASCII whitespace and NULs (what sysfs,
    /// /proc and one-line secret files end with).
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\r\n" || c == "\0" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\r\n" || c == "\0" { s.removeLast() }
        return String(s)
    }
}
