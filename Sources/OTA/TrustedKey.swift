import CamgateCore
import Crypto

/// A public key with its name, as root-keys files and signing-keys
/// bundles list them: `{"id": "release-2026a", "public_key": "<base64 of the
/// raw 32 bytes>"}`.
public struct TrustedKey: Sendable {
    public let id: String
    public let publicKey: Curve25519.Signing.PublicKey

    public init(id: String, publicKey: Curve25519.Signing.PublicKey) {
        self.id = id
        self.publicKey = publicKey
    }

    /// Key ids: 1 to 64 of `A-Z a-z 0-9 . _ -`, so they are safe in file
    /// names, log lines and refusal messages.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
    }

    init(json: JSONValue, path: String) throws(ConfigurationError) {
        let r = try JSONObjectReader(json, path: path)
        try r.rejectUnknown(allowed: ["id", "public_key"])
        let id = try r.requiredString("id")
        guard Self.isValidID(id) else {
            throw ConfigurationError(field: r.fieldPath("id"), reason: "must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard let raw = ByteEncoding.bytes(base64: try r.requiredString("public_key"), count: 32),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw ConfigurationError(field: r.fieldPath("public_key"), reason: "must be the base64 of a raw 32-byte Ed25519 public key")
        }
        self.init(id: id, publicKey: key)
    }

    var json: JSONValue {
        .object(["id": .string(id), "public_key": .string(ByteEncoding.base64(Array(publicKey.rawRepresentation)))])
    }

    /// Reads a `keys` array: 1 to 64 keys, ids unique.
    static func list(_ value: JSONValue?, path: String) throws(ConfigurationError) -> [TrustedKey] {
        guard case .array(let items)? = value, (1...64).contains(items.count) else {
            throw ConfigurationError(field: path, reason: "must be an array of 1 to 64 keys")
        }
        var keys: [TrustedKey] = []
        for (i, item) in items.enumerated() {
            let key = try TrustedKey(json: item, path: "\(path)[\(i)]")
            guard !keys.contains(where: { $0.id == key.id }) else {
                throw ConfigurationError(field: "\(path)[\(i)].id", reason: "key id \(key.id) appears twice")
            }
            keys.append(key)
        }
        return keys
    }
}

/// The root public keys the agent trusts to sign signing-keys bundles.
/// Roots change only with a new agent release; several may be listed so
/// that one can be retired without the others signing anything new.
public struct RootKeys: Sendable {
    public let keys: [TrustedKey]

    public init(_ keys: [TrustedKey]) {
        self.keys = keys
    }

    /// The release root public keys, compiled in. Empty until the release
    /// root is generated offline (`camgate ota keygen`, docs/ota.md): until
    /// then only an operator's root-keys file can admit an update.
    public static let compiledIn: [TrustedKey] = []

    /// Parses an operator's root-keys file (`/etc/camgate/ota-root-keys.json`):
    /// `{"keys": [{"id": …, "public_key": …}]}`, strict.
    public static func parseFile(_ bytes: some Collection<UInt8>) throws(UpdateRefusal) -> [TrustedKey] {
        guard bytes.count <= OTA.maximumDocumentSize else {
            throw UpdateRefusal(.malformed, "root-keys file: \(bytes.count) bytes, more than \(OTA.maximumDocumentSize)")
        }
        do throws(ConfigurationError) {
            let r = try JSONObjectReader(try JSONValue.parse(bytes), path: "")
            try r.rejectUnknown(allowed: ["keys"])
            return try TrustedKey.list(r.value("keys"), path: "keys")
        } catch {
            throw UpdateRefusal.malformed("root-keys file", error)
        }
    }

    /// The compiled-in roots plus an operator's extra roots.
    public static func trusted(extraFile: [UInt8]?) throws(UpdateRefusal) -> RootKeys {
        RootKeys(compiledIn + (try extraFile.map(parseFile) ?? []))
    }
}
