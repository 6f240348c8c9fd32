#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CloudLink
import Platform

/// `camgate provision`'s steps around the enrollment request: read what is
/// there, decide, check every file can be written before the one-time token
/// is spent, then write the token and the configuration atomically.
public struct Provisioning: Sendable {
    public var paths: ProvisionPaths
    public var owner: FileOwner?

    public init(paths: ProvisionPaths, owner: FileOwner?) {
        self.paths = paths
        self.owner = owner
    }

    /// The configuration there now (nil when none): it must be valid, or
    /// provisioning stops before anything (fix it first, nothing is lost).
    public func existingConfig() throws(ProvisionError) -> JSONValue? {
        let file = paths.onDisk(paths.config)
        guard FileSystem.exists(file) else { return nil }
        do {
            let read = try FileSystem.readRegularFile(file, limit: ConfigFile.sizeLimit + 1)
            guard read.kind == .regular else { throw ProvisionError.badInput("\(file) is \(read.kind.rawValue), not a configuration file") }
            let json = try JSONValue.parse(read.bytes)
            _ = try ConfigFile.parse(json, path: file)
            return json
        } catch let error as ProvisionError {
            throw error
        } catch {
            throw .badInput("the existing configuration \(file) is invalid: \(error); fix it first (nothing was changed)")
        }
    }

    /// "already enrolled": the configuration names a cloud and its token file holds a token.
    public func enrolled(_ config: JSONValue?) -> (deviceID: String, endpoint: String)? {
        guard let cloud = config?["cloud"], let id = cloud["device_id"]?.stringValue,
              let endpoint = cloud["endpoint"]?.stringValue, let tokenFile = cloud["token_file"]?.stringValue,
              let token = try? FileSystem.read(paths.onDisk(tokenFile), limit: 4097),
              !String(decoding: token, as: UTF8.self).trimmingWhitespace().isEmpty else { return nil }
        return (id, endpoint)
    }

    /// Creates the directories (0750, the agent's) and proves each one can
    /// take a new file: a read-only /etc is found before the token is spent.
    public func preflight() throws(ProvisionError) {
        for dir in [FileSystem.parent(of: paths.config), FileSystem.parent(of: paths.tokenOut), paths.dataDir] {
            let onDisk = paths.onDisk(dir)
            do {
                let existed = FileSystem.isDirectory(onDisk)
                try FileSystem.createDirectories(onDisk, mode: 0o750)
                if !existed, let owner { try FileSystem.changeOwner(onDisk, uid: owner.uid, gid: owner.gid) }
                try FileSystem.checkWritable(onDisk)
            } catch {
                throw .cannotWrite("cannot write in \(onDisk): \(error.message) (nothing was sent, nothing changed)")
            }
        }
    }

    /// The configuration with the cloud section and the board's defaults;
    /// cameras and every other setting stay as they were.
    public static func merged(_ existing: JSONValue?, cloud: JSONValue, board: String?, boardExplicit: Bool,
                              recording: RecordingPolicy?) -> JSONValue {
        var document: [String: JSONValue] = [:]
        if case .object(let fields)? = existing { document = fields }
        document["cloud"] = cloud
        if let board {
            var hardware: [String: JSONValue] = [:]
            if case .object(let fields)? = document["hardware"] { hardware = fields }
            if boardExplicit || hardware["board"] == nil { hardware["board"] = .string(board) }
            document["hardware"] = .object(hardware)
        }
        if document["recording"] == nil || document["recording"] == .null, let recording {
            document["recording"] = .object(["segment_seconds": .int(Int64(recording.segmentSeconds)),
                                             "retain_days": .int(Int64(recording.retainDays)),
                                             "min_free_percent": .int(Int64(recording.minFreePercent))])
        }
        if document["cameras"] == nil { document["cameras"] = .object([:]) }
        if document["revision"] == nil { document["revision"] = .int(0) }
        return .object(document)
    }

    /// Writes the device token (0600) and then the configuration (0640),
    /// each atomically and owned by the agent's user. The merged document is
    /// validated first.
    public func write(credentials: DeviceCredentials, config: JSONValue) throws(ProvisionError) {
        let configFile = paths.onDisk(paths.config)
        do { _ = try ConfigFile.parse(config, path: configFile) } catch {
            throw ProvisionError(70, "internal error: the merged configuration is invalid: \(error) (nothing written)")
        }
        let ids = owner.map { (uid: $0.uid, gid: $0.gid) }
        do {
            try FileSystem.writeAtomically(paths.onDisk(paths.tokenOut), Array((credentials.deviceToken + "\n").utf8), mode: 0o600, owner: ids)
        } catch {
            throw .cannotWrite("cannot write the device token to \(paths.onDisk(paths.tokenOut)): \(error.message)")
        }
        do {
            try FileSystem.writeAtomically(configFile, Array((config.prettyPrinted() + "\n").utf8), mode: 0o640, owner: ids)
        } catch {
            throw .cannotWrite("enrolled as \(credentials.deviceID) and the token is in \(paths.onDisk(paths.tokenOut)), but the configuration \(configFile) could not be written: \(error.message)")
        }
    }
}
