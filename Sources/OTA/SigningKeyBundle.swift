import CamgateCore

/// The signing keys a root key vouches for, as JSON:
/// `{"serial": 7, "keys": [{"id": …, "public_key": …}], "revoked": ["old-key"]}`.
///
/// `serial` grows with each bundle published. The agent keeps the highest
/// serial it accepted and refuses a lower one, so a revoked key cannot
/// come back through a replayed older bundle. `revoked` names keys that
/// must not be trusted any more (a key absent from `keys` is not trusted
/// either; listing it gives the refusal its precise code).
public struct SigningKeyBundle: Sendable {
    public let serial: Int64
    public let keys: [TrustedKey]
    public let revoked: Set<String>

    public init(serial: Int64, keys: [TrustedKey], revoked: Set<String> = []) {
        self.serial = serial
        self.keys = keys
        self.revoked = revoked
    }

    /// Strict parse: unknown fields refused, serial 1…2^53, 1 to 64 keys
    /// with unique ids, at most 1024 revoked ids, no key both listed and revoked.
    public init(parsing bytes: some Collection<UInt8>) throws(UpdateRefusal) {
        guard bytes.count <= OTA.maximumDocumentSize else {
            throw UpdateRefusal(.malformed, "signing-keys bundle: \(bytes.count) bytes, more than \(OTA.maximumDocumentSize)")
        }
        do throws(ConfigurationError) {
            let r = try JSONObjectReader(try JSONValue.parse(bytes), path: "")
            try r.rejectUnknown(allowed: ["serial", "keys", "revoked"])
            guard let serial = try r.int("serial", in: 1...(1 << 53)) else { throw ConfigurationError(field: "serial", reason: "is required") }
            let keys = try TrustedKey.list(r.value("keys"), path: "keys")
            let revoked = try Self.revokedIDs(r.value("revoked"))
            if let both = keys.first(where: { revoked.contains($0.id) }) {
                throw ConfigurationError(field: "revoked", reason: "key \(both.id) is both listed and revoked")
            }
            self.init(serial: serial, keys: keys, revoked: revoked)
        } catch {
            throw UpdateRefusal.malformed("signing-keys bundle", error)
        }
    }

    private static func revokedIDs(_ value: JSONValue?) throws(ConfigurationError) -> Set<String> {
        guard let value else { return [] }
        guard case .array(let items) = value, items.count <= 1024 else {
            throw ConfigurationError(field: "revoked", reason: "must be an array of at most 1024 key ids")
        }
        var ids: Set<String> = []
        for (i, item) in items.enumerated() {
            guard let id = item.stringValue, TrustedKey.isValidID(id) else {
                throw ConfigurationError(field: "revoked[\(i)]", reason: "must be a key id (1 to 64 letters, digits, '.', '_' or '-')")
            }
            ids.insert(id)
        }
        return ids
    }

    /// The bundle as JSON text (what `camgate ota` tools write before signing).
    public var fileContent: [UInt8] {
        let doc: JSONValue = .object([
            "serial": .int(serial),
            "keys": .array(keys.map(\.json)),
            "revoked": .array(revoked.sorted().map(JSONValue.string)),
        ])
        return Array((doc.serialized() + "\n").utf8)
    }

    /// The key that may verify a manifest signed by `id`, or the refusal:
    /// `revoked_key` or `unknown_key`, naming the id.
    public func signingKey(_ id: String) throws(UpdateRefusal) -> TrustedKey {
        if revoked.contains(id) {
            throw UpdateRefusal(.revokedKey, "signing key \(id) is revoked by key bundle \(serial)")
        }
        guard let key = keys.first(where: { $0.id == id }) else {
            let known = keys.map(\.id).joined(separator: ", ")
            throw UpdateRefusal(.unknownKey, "signing key \(id) is not in key bundle \(serial) (keys: \(known))")
        }
        return key
    }
}
