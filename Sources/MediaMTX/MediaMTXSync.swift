#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import HTTPClient
import Platform

/// Where the agent's MediaMTX paths stand.
public struct MediaMTXStatus: Sendable, Equatable {
    /// MediaMTX answers on its API.
    public var apiUp: Bool
    /// The paths are in MediaMTX's configuration (file, and API when up).
    public var synced: Bool
    /// Why viewing is not available, when it is not.
    public var reason: String?

    public init(apiUp: Bool, synced: Bool, reason: String?) {
        self.apiUp = apiUp
        self.synced = synced
        self.reason = reason
    }
}

/// Keeps MediaMTX in step with the agent's paths: through the Control API
/// when MediaMTX runs (only changed paths are touched: changing a command
/// recreates a path and drops its readers), and always mirrored into the
/// configuration file (API changes live in memory only; the file is what a
/// restarted MediaMTX reads). While the API is unreachable a circuit breaker
/// stops trying it for a while; the file and MediaMTX's hot reload carry the
/// change meanwhile.
public actor MediaMTXSync {
    public nonisolated let settings: MediaMTXSettings
    let transport: HTTPTransport
    var breaker = CircuitBreaker()
    private(set) var lastWritten: String?
    public private(set) var status = MediaMTXStatus(apiUp: false, synced: false, reason: "not synced yet")

    public init(settings: MediaMTXSettings, transport: HTTPTransport) {
        self.settings = settings
        self.transport = transport
    }

    public static let maximumFileBytes: Int64 = 4 << 20

    /// The configuration as it is on disk now (nil when there is none).
    public func currentFile() -> String? {
        try? readFile()
    }

    /// The file, nil when it does not exist; any other failure (unreadable,
    /// larger than 4 MiB) is an error: a file the agent could not read
    /// whole must never be replaced by a merge of part of it.
    func readFile() throws(SystemError) -> String? {
        try MediaMTXSync.read(settings.config)
    }

    public static func read(_ path: String) throws(SystemError) -> String? {
        let size: Int64
        do { size = try FileSystem.fileSize(path) } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
        guard size <= maximumFileBytes else { throw SystemError(call: "read", errno: EFBIG, subject: path) }
        guard !FileSystem.isDirectory(path) else { throw SystemError(call: "read", errno: EISDIR, subject: path) }
        return try FileSystem.readText(path, limit: Int(maximumFileBytes) + 1)
    }

    public func endpoints() -> MediaMTXEndpoints {
        MediaMTXEndpoints(configuration: currentFile())
    }

    /// Renders, applies and writes. Returns what happened; a path set that
    /// cannot be rendered safely writes nothing.
    @discardableResult
    public func apply(_ paths: [MediaMTXPath], now: ContinuousClock.Instant = .now) async -> MediaMTXStatus {
        let existing: String?
        do { existing = try readFile() } catch {
            status = MediaMTXStatus(apiUp: status.apiUp, synced: false, reason: "cannot read \(settings.config): \(error); it was not changed")
            return status
        }
        let endpoints = MediaMTXEndpoints(configuration: existing)
        var text: String
        do {
            text = try MediaMTXConfigFile.merge(existing: existing, paths: paths, apiAddress: endpoints.apiAddress)
        } catch {
            status = MediaMTXStatus(apiUp: status.apiUp, synced: false, reason: "the MediaMTX configuration cannot be written safely: \(error)")
            return status
        }
        var apiUp = false
        var apiError: String?
        if breaker.allows(now) {
            do {
                let api = try MediaMTXAPI(transport: transport, address: endpoints.apiAddress)
                let owned = Set(existing.map(MediaMTXConfigFile.managedNames) ?? [])
                try await applyThroughAPI(api, paths: paths, owned: owned)
                breaker.succeeded()
                apiUp = true
            } catch let error as MediaMTXAPIError where error.rejectsConfiguration {
                // MediaMTX refused the configuration: writing it would make it exit.
                breaker.succeeded()
                status = MediaMTXStatus(apiUp: true, synced: false, reason: "MediaMTX rejected a path: \(error.message)")
                return status
            } catch {
                breaker.failed(now)
                apiError = "\(error)"
            }
        } else {
            apiError = "MediaMTX API not tried (circuit open after repeated failures)"
        }
        // The API calls took time: an operator's edit made meanwhile is
        // merged again rather than overwritten.
        let onDisk: String?
        do {
            onDisk = try readFile()
            if onDisk != existing { text = try MediaMTXConfigFile.merge(existing: onDisk, paths: paths, apiAddress: endpoints.apiAddress) }
        } catch {
            status = MediaMTXStatus(apiUp: apiUp, synced: false, reason: "the MediaMTX configuration changed while it was synced and cannot be merged: \(error)")
            return status
        }
        if text != onDisk, let problem = write(text) {
            status = MediaMTXStatus(apiUp: apiUp, synced: false, reason: problem)
            return status
        }
        status = MediaMTXStatus(apiUp: apiUp, synced: true,
                                reason: apiUp ? nil : "MediaMTX is not answering on \(endpoints.apiAddress) (\(apiError ?? "unreachable")); the paths are in its configuration file")
        return status
    }

    /// Writes the configuration (a symlinked one where it points: the link
    /// stays); the reason when it cannot.
    private func write(_ text: String) -> String? {
        do {
            let target = FileSystem.realPath(settings.config) ?? settings.config
            try FileSystem.createDirectories(FileSystem.parent(of: target))
            try FileSystem.writeAtomically(target, Array(text.utf8), mode: 0o640, keepingAttributes: true)
            lastWritten = text
            return nil
        } catch {
            return "cannot write \(settings.config): \(error)"
        }
    }

    func applyThroughAPI(_ api: MediaMTXAPI, paths: [MediaMTXPath], owned: Set<String>) async throws {
        let current = try await api.pathConfigs()
        let wanted = Set(paths.map(\.name))
        for path in paths {
            if let present = current[path.name] {
                switch MediaMTXSync.update(path, present) {
                case .none: break
                case .patch(let changes): try await api.patch(path.name, changes)
                case .replace: try await api.replace(path.name, path.json)
                }
            } else {
                try await api.add(path.name, path.json)
            }
        }
        for name in owned.subtracting(wanted) where current[name] != nil {
            do {
                try await api.delete(name)
            } catch {
                if error.status != 404 { throw error }
            }
        }
    }

    /// How a path MediaMTX already has is brought to the agent's settings.
    enum Update: Equatable {
        case none
        /// Only these keys differ, and no key the agent no longer sets needs
        /// a reset: a patch leaves the rest as it is.
        case patch(JSONValue)
        /// A key the agent set before (e.g. `runOnDemand` of a camera that
        /// now records) must go back to its default: replace the whole path.
        case replace
    }

    /// The path keys the agent may set, with their defaults in the
    /// reference mediamtx.yml (`pathDefaults`).
    static let agentKeyDefaults: [String: JSONValue] = [
        "source": .string("publisher"),
        "runOnInit": .string(""), "runOnInitRestart": .bool(false),
        "runOnDemand": .string(""), "runOnDemandRestart": .bool(false),
        "runOnDemandStartTimeout": .string("10s"), "runOnDemandCloseAfter": .string("10s"),
    ]

    static func update(_ path: MediaMTXPath, _ present: JSONValue) -> Update {
        let changed = path.settings.filter { !same(MediaMTXPath.json($0.value), present[$0.key] ?? .null) }
        let ours = Set(path.settings.map(\.key))
        let stale = agentKeyDefaults.filter { key, value in
            !ours.contains(key) && present[key].map { $0 != .null && !same(value, $0) } == true
        }
        if !stale.isEmpty { return .replace }
        if changed.isEmpty { return .none }
        return .patch(.object(Dictionary(changed.map { ($0.key, MediaMTXPath.json($0.value)) }, uniquingKeysWith: { a, _ in a })))
    }

    /// Values compared as MediaMTX means them (durations by value).
    static func same(_ ours: JSONValue, _ theirs: JSONValue) -> Bool {
        if case .string(let a) = ours, case .string(let b) = theirs, let x = GoDuration.seconds(a), let y = GoDuration.seconds(b) {
            return abs(x - y) < 0.001
        }
        return ours == theirs
    }

    /// Running paths with their readers (nil while the API is down).
    /// Whether MediaMTX's API answers now (one ping, 1 s, past the circuit
    /// breaker: a snapshot asks at once, it does not wait for the breaker).
    public func answersNow() async -> Bool {
        guard var api = try? MediaMTXAPI(transport: transport, address: endpoints().apiAddress) else { return false }
        api.timeout = .seconds(1)
        return (try? await api.ping()) != nil
    }

    public func runtime(now: ContinuousClock.Instant = .now) async -> [MediaMTXPathState]? {
        guard breaker.allows(now) else { return nil }
        do {
            let api = try MediaMTXAPI(transport: transport, address: endpoints().apiAddress)
            let paths = try await api.runtimePaths()
            breaker.succeeded()
            return paths
        } catch {
            breaker.failed(now)
            return nil
        }
    }
}

/// A small circuit breaker: after `threshold` consecutive failures, calls
/// are skipped for `cooldown`; then one is let through.
struct CircuitBreaker: Sendable {
    var threshold = 3
    var cooldown: Duration = .seconds(30)
    private(set) var failures = 0
    private(set) var openUntil: ContinuousClock.Instant?

    func allows(_ now: ContinuousClock.Instant) -> Bool {
        guard let openUntil else { return true }
        return now >= openUntil
    }

    mutating func failed(_ now: ContinuousClock.Instant) {
        failures += 1
        if failures >= threshold { openUntil = now + cooldown }
    }

    mutating func succeeded() {
        failures = 0
        openUntil = nil
    }
}

/// Go's time.Duration text ("1h2m3.5s", "300ms", "10s") in seconds.
enum GoDuration {
    static func seconds(_ text: String) -> Double? {
        guard !text.isEmpty else { return nil }
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var rest = Substring(text)
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.filter({ rest.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            total += value * unit.1
            rest = rest.dropFirst(unit.0.count)
        }
        return total
    }
}
