#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// Reads what the board is and how it is doing from the system's files,
/// under a root that tests point at a fake tree (`Tests/Fixtures/boards`).
/// The root's optional `uname_m` file stands in for `uname -m`.
public struct BoardSystem: Sendable {
    public var root: String

    public init(root: String = "/") {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    private func path(_ absolute: String) -> String { root + absolute }

    private func text(_ absolute: String, limit: Int = 16 << 10) -> String? {
        guard let bytes = try? FileSystem.read(path(absolute), limit: limit) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Facts

    public func facts() -> BoardFacts {
        var facts = BoardFacts(architecture: architecture())
        if let model = text("/proc/device-tree/model") {
            let cleaned = model.split(separator: "\0").first.map(String.init)?.trimmingWhitespace() ?? ""
            facts.deviceTreeModel = cleaned.isEmpty ? nil : cleaned
        }
        if let compatible = text("/proc/device-tree/compatible") {
            facts.deviceTreeCompatible = compatible.split(separator: "\0").map(String.init).filter { !$0.isEmpty }
        }
        for field in ["sys_vendor", "product_name", "board_name", "board_vendor"] {
            if let value = text("/sys/class/dmi/id/\(field)")?.trimmingWhitespace(), !value.isEmpty { facts.dmi[field] = value }
        }
        if let cpuinfo = text("/proc/cpuinfo", limit: 1 << 20) {
            facts.cpuModel = BoardSystem.cpuModel(cpuinfo)
        }
        return facts
    }

    /// `uname -m`, or the fake tree's `uname_m` file.
    public func architecture() -> String {
        if root != "", let fake = text("/uname_m")?.trimmingWhitespace(), !fake.isEmpty { return fake }
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The first `model name` (x86) or `Model` (some ARM kernels) line.
    static func cpuModel(_ cpuinfo: String) -> String? {
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingWhitespace()
            if key == "model name" || key == "Model" {
                let value = parts[1].trimmingWhitespace()
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    // MARK: - Health

    /// Temperature from the first of the profile's zone types that reads
    /// (the lowest-numbered zone when the board has no profile), the
    /// profile's throttling file (or its fallback), uptime, eMMC wear.
    public func health(_ choice: BoardChoice) -> DeviceHealth {
        var health = DeviceHealth(uptimeSeconds: text("/proc/uptime").flatMap(DeviceHealth.uptime(from:)))
        if let (zone, celsius) = temperature(zoneTypes: choice.profile?.thermal?.zoneTypes) {
            health.thermalZone = zone
            health.temperatureCelsius = celsius
            health.warnCelsius = choice.profile?.thermal?.warnCelsius
            health.criticalCelsius = choice.profile?.thermal?.criticalCelsius
        }
        var spec = choice.profile?.throttling
        while let current = spec {
            if let raw = throttleText(current) {
                health.throttling = ThrottleState.decode(current.kind, raw)
                break
            }
            spec = current.fallback?.spec
        }
        health.storageWear = wear(devices: choice.profile?.storageWear ?? [])
        return health
    }

    /// The first zone of `zoneTypes` (in that order) with a readable
    /// temperature; without a profile, the lowest-numbered zone.
    func temperature(zoneTypes: [String]?) -> (String, Double)? {
        let base = "/sys/class/thermal"
        let zones = ((try? FileSystem.list(path(base))) ?? [])
            .filter { $0.hasPrefix("thermal_zone") }
            .sorted { (Int($0.dropFirst(12)) ?? .max) < (Int($1.dropFirst(12)) ?? .max) }
        let typed = zones.map { ($0, text("\(base)/\($0)/type")?.trimmingWhitespace() ?? $0) }
        let order = zoneTypes.map { types in types.compactMap { type in typed.first { $0.1 == type } } } ?? Array(typed.prefix(1))
        for (zone, type) in order {
            if let raw = text("\(base)/\(zone)/temp"), let celsius = DeviceHealth.celsius(fromMillidegrees: raw) { return (type, celsius) }
        }
        return nil
    }

    /// The throttling file's text; nil when it does not exist (then the
    /// fallback is tried). Intel's counter is summed over every CPU; a
    /// hwmon alarm is read from the hwmon whose `name` matches.
    private func throttleText(_ spec: ThrottlingSpec) -> String? {
        let files = expand(spec.path)
        switch spec.kind {
        case .raspberrypi:
            return files.lazy.compactMap { text($0) }.first
        case .hwmonAlarm:
            return files.lazy.filter { text(FileSystem.parent(of: $0) + "/name")?.trimmingWhitespace() == spec.hwmonName }.compactMap { text($0) }.first
        case .intelCoreThrottleCount:
            let counts = files.compactMap { text($0).flatMap { UInt64($0.trimmingWhitespace()) } }
            return counts.isEmpty ? nil : String(counts.reduce(0, +))
        }
    }

    /// The device paths a pattern with at most one `*` component names, sorted.
    func expand(_ pattern: String) -> [String] {
        let parts = pattern.split(separator: "/").map(String.init)
        guard let star = parts.firstIndex(where: { $0.contains("*") }) else { return [pattern] }
        let dir = "/" + parts[..<star].joined(separator: "/")
        let glob = parts[star].split(separator: "*", maxSplits: 1, omittingEmptySubsequences: false)
        let (prefix, suffix) = (String(glob[0]), glob.count > 1 ? String(glob[1]) : "")
        let rest = parts[(star + 1)...].joined(separator: "/")
        let names = ((try? FileSystem.list(path(dir))) ?? []).filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) && $0.count >= prefix.count + suffix.count }
        return names.sorted().map { "\(dir)/\($0)" + (rest.isEmpty ? "" : "/\(rest)") }
    }

    /// eMMC wear of the profile's devices whose `device/type` is MMC (SD
    /// cards report no wear).
    func wear(devices: [String]) -> [StorageWear] {
        devices.compactMap { device in
            guard text("/sys/block/\(device)/device/type")?.trimmingWhitespace() == "MMC" else { return nil }
            return StorageWear.decode(device: device, lifeTime: text("/sys/block/\(device)/device/life_time"),
                                      preEOL: text("/sys/block/\(device)/device/pre_eol_info"))
        }
    }
}

/// The profiles of a directory (`/usr/share/camgate/boards`).
public enum BoardProfiles {
    public static let systemDirectory = "/usr/share/camgate/boards"

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Every `*.json` of the directory; one broken file is an error naming
    /// it (an installed profile that does not parse is a packaging bug).
    public static func load(directory: String) throws(LoadError) -> [BoardProfile] {
        let names: [String]
        do { names = try FileSystem.list(directory) } catch {
            throw LoadError(description: "cannot read board profiles in \(directory): \(error.message)")
        }
        var profiles: [BoardProfile] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let file = "\(directory)/\(name)"
            do {
                let read = try FileSystem.readRegularFile(file, limit: BoardProfile.fileSizeLimit + 1)
                guard read.kind == .regular, read.bytes.count <= BoardProfile.fileSizeLimit else {
                    throw ConfigurationError(field: "", reason: "not a regular file of at most \(BoardProfile.fileSizeLimit) bytes")
                }
                profiles.append(try BoardProfile(json: try JSONValue.parse(read.bytes), fileID: String(name.dropLast(5))))
            } catch let error as ConfigurationError {
                throw LoadError(description: "board profile \(file): \(error)")
            } catch {
                throw LoadError(description: "board profile \(file): \(error)")
            }
        }
        return profiles
    }

    /// The directory to read: the given one, else the installed one, else
    /// `board/profiles` beside a development build (`.build/debug/camgate`).
    public static func directory(explicit: String?, executable: String?) -> String? {
        if let explicit { return explicit }
        if FileSystem.isDirectory(systemDirectory) { return systemDirectory }
        guard let executable, let real = FileSystem.realPath(executable) else { return nil }
        var dir = FileSystem.parent(of: real)
        for _ in 0..<4 {
            let candidate = "\(dir)/board/profiles"
            if FileSystem.isDirectory(candidate) { return candidate }
            dir = FileSystem.parent(of: dir)
        }
        return nil
    }
}
