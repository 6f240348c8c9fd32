import CamgateCore
import OTA
import Platform

/// The cloud's `ota_update`, handed from the sandboxed agent to the root
/// side (docs/ota.md, "Updates from the cloud"): the agent writes the
/// request into its data directory, `camgate-ota-apply.path` starts
/// `camgate ota request` (root, the committed binary), which takes the
/// file, verifies and stages the release, or writes a result saying why
/// not. The agent acks from the result file or the state file's record.
///
/// The request comes from a less privileged user: it is read without
/// following links, at most `limit` bytes, strictly; it names only a URL
/// (everything fetched from it is verified by the trust chain) and the
/// version the cloud means.
public struct UpdateRequest: Equatable, Sendable {
    public var commandID: String
    /// The release's manifest.json: https, or http on loopback.
    public var manifestURL: String
    /// The version the manifest must name.
    public var version: SoftwareVersion
    public var at: Int64

    public static let limit = 8192
    static let fields: Set<String> = ["command_id", "url", "version", "at"]

    public init(commandID: String, manifestURL: String, version: SoftwareVersion, at: Int64) throws(UpdateRefusal) {
        guard !commandID.isEmpty, commandID.utf8.count <= 128, !commandID.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw UpdateRefusal(.malformed, "the request's command_id must be 1–128 printable characters")
        }
        let lower = manifestURL.lowercased()
        guard manifestURL.utf8.count <= 2048, lower.hasPrefix("https://") || lower.hasPrefix("http://"),
              !manifestURL.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) else {
            throw UpdateRefusal(.malformed, "the request's url must be an http(s) URL of at most 2048 characters, without spaces")
        }
        self.commandID = commandID
        self.manifestURL = manifestURL
        self.version = version
        self.at = at
    }

    public init(parsing bytes: [UInt8]) throws(UpdateRefusal) {
        guard bytes.count <= Self.limit else { throw UpdateRefusal(.malformed, "the request is over \(Self.limit) bytes") }
        do {
            let r = try JSONObjectReader(try JSONValue.parse(String(decoding: bytes, as: UTF8.self)), path: "request")
            try r.rejectUnknown(allowed: Self.fields)
            let versionText = try r.requiredString("version")
            guard let version = try? SoftwareVersion(parsing: versionText) else {
                throw ConfigurationError(field: "request.version", reason: "is not a version (MAJOR.MINOR.PATCH)")
            }
            try self.init(commandID: try r.requiredString("command_id"), manifestURL: try r.requiredString("url"), version: version,
                          at: try r.int("at", in: 0...Int64.max / 2) ?? 0)
        } catch let error as UpdateRefusal {
            throw error
        } catch {
            throw UpdateRefusal(.malformed, "the request: \(error)")
        }
    }

    public var fileContent: [UInt8] {
        let doc: JSONValue = .object(["command_id": .string(commandID), "url": .string(manifestURL),
                                      "version": .string(version.description), "at": .int(at)])
        return Array((doc.serialized() + "\n").utf8)
    }
}

/// What became of a request that staged nothing: the agent acks it
/// `failed` with the code and message. A staged request needs no result:
/// its record in the state file carries the command id to the end.
public struct UpdateRequestResult: Equatable, Sendable {
    public var commandID: String
    public var code: String
    public var message: String
    public var at: Int64

    public init(commandID: String, code: String, message: String, at: Int64) {
        self.commandID = commandID
        self.code = code
        self.message = message
        self.at = at
    }

    public init(parsing bytes: [UInt8]) throws(ConfigurationError) {
        let r = try JSONObjectReader(try JSONValue.parse(String(decoding: bytes, as: UTF8.self)), path: "result")
        self.init(commandID: try r.requiredString("command_id"), code: try r.requiredString("code"),
                  message: try r.requiredString("message"), at: try r.int("at", in: 0...Int64.max / 2) ?? 0)
    }

    public var fileContent: [UInt8] {
        let doc: JSONValue = .object(["command_id": .string(commandID), "code": .string(code), "message": .string(message), "at": .int(at)])
        return Array((doc.serialized() + "\n").utf8)
    }
}

/// The files in the agent's data directory that carry requests, results
/// and the hand-over between the agent and the root side.
public struct UpdateSpool: Sendable {
    public let dataDirectory: String

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public var requestFile: String { "\(dataDirectory)/ota-request.json" }
    public var resultFile: String { "\(dataDirectory)/ota-result.json" }
    /// Written just before the root side restarts the service: the agent
    /// stopping then leaves its recorders running for the next version to
    /// adopt (docs/ota.md, "Recording across an update").
    public var handoverFile: String { "\(dataDirectory)/ota-handover" }
    /// Written by the agent that handed over: the next agent keeps the
    /// adopted recorders' command lines (a new version's arguments apply at
    /// their next restart, not by restarting them now).
    public var handedOverFile: String { "\(dataDirectory)/ota-handed-over" }

    /// The agent's side: one request at a time.
    public func submit(_ request: UpdateRequest) throws(UpdateError) {
        if FileSystem.exists(requestFile) {
            throw UpdateError(UpdateRefusal(.updateInProgress, "an update request is already waiting to be taken (\(requestFile))"))
        }
        do { try FileSystem.writeAtomically(requestFile, request.fileContent, mode: 0o640) } catch { throw UpdateError(error, "writing the update request") }
    }

    /// The root side: reads the request without following links and
    /// removes it, so that the path unit does not start again for it.
    public func take() throws(UpdateError) -> UpdateRequest {
        let read: (kind: FileSystem.FileKind, bytes: [UInt8])
        do { read = try FileSystem.readRegularFile(requestFile, limit: UpdateRequest.limit + 1, followingLinks: false) } catch {
            try? FileSystem.remove(requestFile)
            throw UpdateError(error, "reading the update request")
        }
        try? FileSystem.remove(requestFile)
        guard read.kind == .regular else { throw UpdateError(UpdateRefusal(.malformed, "\(requestFile) is not a regular file")) }
        do { return try UpdateRequest(parsing: read.bytes) } catch { throw UpdateError(error) }
    }

    public func writeResult(_ result: UpdateRequestResult) throws(UpdateError) {
        do { try FileSystem.writeAtomically(resultFile, result.fileContent, mode: 0o644) } catch { throw UpdateError(error, "writing the request's result") }
    }

    /// The agent's side: the last result, if it parses.
    public func result() -> UpdateRequestResult? {
        guard let read = try? FileSystem.readRegularFile(resultFile, limit: 16384, followingLinks: false), read.kind == .regular else { return nil }
        return try? UpdateRequestResult(parsing: read.bytes)
    }

    /// Root side, before a restart: the agent stopping now hands its recorders over.
    public func markHandover(now: Int64) {
        try? FileSystem.writeAtomically(handoverFile, Array("\(now)\n".utf8), mode: 0o644)
    }

    /// The agent's side, at a graceful stop: a hand-over marked within
    /// `maximumAge` ms is taken (and removed); an older one is stale (removed too).
    public func takeHandover(now: Int64, maximumAge: Int64 = 120_000) -> Bool {
        guard let read = try? FileSystem.readRegularFile(handoverFile, limit: 64, followingLinks: false) else { return false }
        try? FileSystem.remove(handoverFile)
        guard read.kind == .regular, let at = Int64(String(decoding: read.bytes, as: UTF8.self).trimmingWhitespace()) else { return false }
        return now - at >= 0 && now - at <= maximumAge
    }
}
