import CamgateCore

/// The CPU architectures a release is built for.
public enum Architecture: String, Sendable, CaseIterable {
    case x86_64
    case aarch64
}

/// What a signed manifest promises about one release.
///
/// Both the compressed payload and the binary inside it are described:
/// `size`/`sha256` are checked on the `.xz` before it is decompressed (an
/// unverified payload never reaches the decompressor), and
/// `binary_size`/`binary_sha256` bound the decompression (output beyond
/// `binary_size` stops it: no xz bomb) and let the staged binary be checked
/// again on disk later (after a power cut while staging) without the xz.
public struct Manifest: Hashable, Sendable {
    public var version: SoftwareVersion
    public var architecture: Architecture
    /// Board ids this build runs on; nil means every board (`["*"]`).
    public var boards: Set<String>?
    /// Bytes of the `.xz` payload.
    public var size: Int64
    /// SHA-256 of the `.xz` payload (32 bytes).
    public var sha256: [UInt8]
    public var binarySize: Int64
    public var binarySHA256: [UInt8]
    /// The lowest installed version this release may replace.
    public var minVersion: SoftwareVersion
    /// Signed permission to install below the installed version or floor.
    public var downgrade: Bool
    public var notes: String
    /// The signing key (in the bundle) whose signature covers this manifest.
    public var keyID: String

    public init(version: SoftwareVersion, architecture: Architecture, boards: Set<String>?, size: Int64, sha256: [UInt8],
                binarySize: Int64, binarySHA256: [UInt8], minVersion: SoftwareVersion, downgrade: Bool = false,
                notes: String = "", keyID: String) {
        self.version = version
        self.architecture = architecture
        self.boards = boards
        self.size = size
        self.sha256 = sha256
        self.binarySize = binarySize
        self.binarySHA256 = binarySHA256
        self.minVersion = minVersion
        self.downgrade = downgrade
        self.notes = notes
        self.keyID = keyID
    }

    /// Hard bounds, whatever the device's own limit: 64 MiB of xz, 256 MiB of binary.
    public static let maximumPayloadSize: Int64 = 64 << 20
    public static let maximumBinarySize: Int64 = 256 << 20
    static let fields: Set<String> = ["version", "architecture", "boards", "size", "sha256", "binary_size", "binary_sha256",
                                      "min_version", "downgrade", "notes", "key_id"]

    public func isCompatible(board: String) -> Bool {
        boards.map { $0.contains(board) } ?? true
    }
}

extension Manifest {
    /// Strict parse of a manifest file: every field required but `notes`
    /// and `downgrade`; unknown fields, bad hex, sizes out of bounds refused.
    public init(parsing bytes: some Collection<UInt8>) throws(UpdateRefusal) {
        guard bytes.count <= OTA.maximumDocumentSize else {
            throw UpdateRefusal(.malformed, "manifest: \(bytes.count) bytes, more than \(OTA.maximumDocumentSize)")
        }
        do throws(ConfigurationError) {
            self = try Manifest(reading: try JSONObjectReader(try JSONValue.parse(bytes), path: ""))
        } catch {
            throw UpdateRefusal.malformed("manifest", error)
        }
    }

    private init(reading r: JSONObjectReader) throws(ConfigurationError) {
        try r.rejectUnknown(allowed: Manifest.fields)
        func required<T>(_ key: String, _ value: T?) throws(ConfigurationError) -> T {
            guard let value else { throw ConfigurationError(field: r.fieldPath(key), reason: "is required") }
            return value
        }
        let arch = try r.requiredString("architecture")
        guard let architecture = Architecture(rawValue: arch) else {
            throw ConfigurationError(field: "architecture", reason: "must be x86_64 or aarch64")
        }
        let keyID = try r.requiredString("key_id")
        guard TrustedKey.isValidID(keyID) else {
            throw ConfigurationError(field: "key_id", reason: "must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        let notes = try r.string("notes") ?? ""
        guard notes.utf8.count <= 8192 else { throw ConfigurationError(field: "notes", reason: "longer than 8192 bytes") }
        self.init(
            version: try Self.version(r, "version"), architecture: architecture, boards: try Self.boards(r),
            size: try required("size", r.int("size", in: 1...Self.maximumPayloadSize)),
            sha256: try Self.digest(r, "sha256"),
            binarySize: try required("binary_size", r.int("binary_size", in: 1...Self.maximumBinarySize)),
            binarySHA256: try Self.digest(r, "binary_sha256"),
            minVersion: try Self.version(r, "min_version"), downgrade: try r.bool("downgrade") ?? false,
            notes: notes, keyID: keyID)
    }

    private static func version(_ r: JSONObjectReader, _ key: String) throws(ConfigurationError) -> SoftwareVersion {
        do throws(ConfigurationError) {
            return try SoftwareVersion(parsing: try r.requiredString(key))
        } catch {
            throw error.field.isEmpty ? ConfigurationError(field: r.fieldPath(key), reason: error.reason) : error
        }
    }

    private static func digest(_ r: JSONObjectReader, _ key: String) throws(ConfigurationError) -> [UInt8] {
        guard let bytes = ByteEncoding.bytes(hex: try r.requiredString(key), count: 32) else {
            throw ConfigurationError(field: r.fieldPath(key), reason: "must be 64 hex digits (a SHA-256)")
        }
        return bytes
    }

    /// `["*"]` alone means every board; else 1 to 64 distinct board ids.
    private static func boards(_ r: JSONObjectReader) throws(ConfigurationError) -> Set<String>? {
        guard case .array(let items)? = r.value("boards"), (1...64).contains(items.count) else {
            throw ConfigurationError(field: "boards", reason: "must be [\"*\"] or an array of 1 to 64 board ids")
        }
        if items == [.string("*")] { return nil }
        var ids: Set<String> = []
        for (i, item) in items.enumerated() {
            guard let id = item.stringValue, TrustedKey.isValidID(id), ids.insert(id).inserted else {
                throw ConfigurationError(field: "boards[\(i)]", reason: "must be a distinct board id (letters, digits, '.', '_' or '-'; '*' only alone)")
            }
        }
        return ids
    }

    /// The manifest as JSON text, the bytes an operator signs.
    public var fileContent: [UInt8] {
        var doc: [String: JSONValue] = [
            "version": .string(version.description), "architecture": .string(architecture.rawValue),
            "boards": .array((boards.map { $0.sorted() } ?? ["*"]).map(JSONValue.string)),
            "size": .int(size), "sha256": .string(ByteEncoding.hex(sha256)),
            "binary_size": .int(binarySize), "binary_sha256": .string(ByteEncoding.hex(binarySHA256)),
            "min_version": .string(minVersion.description), "downgrade": .bool(downgrade), "key_id": .string(keyID),
        ]
        if !notes.isEmpty { doc["notes"] = .string(notes) }
        return Array((JSONValue.object(doc).serialized() + "\n").utf8)
    }
}
