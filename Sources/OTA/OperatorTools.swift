import CamgateCore
import Crypto

/// An Ed25519 private key with its id, as the key file written by
/// `camgate ota keygen` holds it: `{"id": "release-2026a", "private_key":
/// "<base64 of the raw 32-byte seed>"}`. The file is written mode 0600 by
/// the caller; the public half is printed as a bundle/root-keys entry.
public struct SigningIdentity: Sendable {
    public let id: String
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(id: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.id = id
        self.privateKey = privateKey
    }

    public var trustedKey: TrustedKey { TrustedKey(id: id, publicKey: privateKey.publicKey) }

    /// The key file's content (keep it offline; mode 0600).
    public var privateKeyFile: [UInt8] {
        let doc: JSONValue = .object(["id": .string(id), "private_key": .string(ByteEncoding.base64(Array(privateKey.rawRepresentation)))])
        return Array((doc.serialized() + "\n").utf8)
    }

    /// The public half as a root-keys file / bundle entry: `{"id":…,"public_key":…}`.
    public var publicKeyEntry: [UInt8] {
        Array((trustedKey.json.serialized() + "\n").utf8)
    }

    public init(parsingKeyFile bytes: some Collection<UInt8>) throws(UpdateRefusal) {
        do throws(ConfigurationError) {
            let r = try JSONObjectReader(try JSONValue.parse(bytes), path: "")
            try r.rejectUnknown(allowed: ["id", "private_key"])
            let id = try r.requiredString("id")
            guard TrustedKey.isValidID(id) else { throw ConfigurationError(field: "id", reason: "must be 1 to 64 letters, digits, '.', '_' or '-'") }
            guard let raw = ByteEncoding.bytes(base64: try r.requiredString("private_key"), count: 32),
                  let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
                throw ConfigurationError(field: "private_key", reason: "must be the base64 of a raw 32-byte Ed25519 private key")
            }
            self.init(id: id, privateKey: key)
        } catch {
            throw UpdateRefusal.malformed("private key file", error)
        }
    }
}

/// The operator's side, under `camgate ota keygen|sign|verify`: each
/// function takes and returns bytes; the command reads and writes the files.
public enum OperatorTools {
    /// A new key. `seed` (32 bytes) makes it reproducible, for tests only.
    public static func keygen(id: String, seed: [UInt8]? = nil) throws(UpdateRefusal) -> SigningIdentity {
        guard TrustedKey.isValidID(id) else {
            throw UpdateRefusal(.malformed, "key id \(CameraID.quoted(id)) must be 1 to 64 letters, digits, '.', '_' or '-'")
        }
        guard let seed else { return SigningIdentity(id: id, privateKey: Curve25519.Signing.PrivateKey()) }
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw UpdateRefusal(.malformed, "a key seed is 32 bytes (got \(seed.count))")
        }
        return SigningIdentity(id: id, privateKey: key)
    }

    /// The `.sig` content for any file's bytes.
    public static func sign(_ file: [UInt8], with identity: SigningIdentity) throws(UpdateRefusal) -> [UInt8] {
        guard let raw = try? identity.privateKey.signature(for: file) else {
            throw UpdateRefusal(.wrongSignature, "signing with key \(identity.id) failed")
        }
        return DetachedSignature(bytes: Array(raw)).fileContent
    }

    /// Signs a manifest after checking it parses and names this key, so a
    /// release cannot go out with a `key_id` that makes every device refuse it.
    public static func signManifest(_ manifest: [UInt8], with identity: SigningIdentity) throws(UpdateRefusal) -> [UInt8] {
        let parsed = try Manifest(parsing: manifest)
        guard parsed.keyID == identity.id else {
            throw UpdateRefusal(.unknownKey, "the manifest names key \(parsed.keyID), the key file is \(identity.id)")
        }
        return try sign(manifest, with: identity)
    }

    /// Signs a signing-keys bundle (with a root key) after checking it parses.
    public static func signBundle(_ bundle: [UInt8], with root: SigningIdentity) throws(UpdateRefusal) -> [UInt8] {
        _ = try SigningKeyBundle(parsing: bundle)
        return try sign(bundle, with: root)
    }

    /// The id of the key among `keys` whose signature `signature` is over
    /// `file`, or `wrong_signature`.
    public static func verify(_ file: [UInt8], signature: [UInt8], keys: [TrustedKey]) throws(UpdateRefusal) -> String {
        let sig = try DetachedSignature(file: signature, name: "signature file")
        guard let key = keys.first(where: { sig.isValid(for: file, by: $0.publicKey) }) else {
            throw UpdateRefusal(.wrongSignature, "the file does not verify with any of the keys \(keys.map(\.id).joined(separator: ", "))")
        }
        return key.id
    }
}

extension OperatorTools {
    /// SHA-256 and size of a file read in chunks (`next` returns nil or
    /// empty at the end): the manifest's `sha256`/`size` and
    /// `binary_sha256`/`binary_size`.
    public static func digest(reading next: () throws -> [UInt8]?) rethrows -> (size: Int64, sha256: [UInt8]) {
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try next(), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (size, Array(hasher.finalize()))
    }

    /// A root-keys file (`/etc/camgate/ota-root-keys.json`) from public entries.
    public static func rootKeysFile(_ keys: [TrustedKey]) throws(UpdateRefusal) -> [UInt8] {
        guard !keys.isEmpty else { throw UpdateRefusal(.malformed, "a root-keys file lists at least one key") }
        let bytes = Array((JSONValue.object(["keys": .array(keys.map(\.json))]).serialized() + "\n").utf8)
        _ = try RootKeys.parseFile(bytes)
        return bytes
    }

    /// A signing-keys bundle from public entries, checked as a device would.
    public static func bundleFile(serial: Int64, keys: [TrustedKey], revoked: Set<String>) throws(UpdateRefusal) -> [UInt8] {
        let bytes = SigningKeyBundle(serial: serial, keys: keys, revoked: revoked).fileContent
        _ = try SigningKeyBundle(parsing: bytes)
        return bytes
    }

    /// Parses one public entry (`{"id", "public_key"}`, as keygen prints it).
    public static func publicEntry(_ bytes: some Collection<UInt8>) throws(UpdateRefusal) -> TrustedKey {
        do throws(ConfigurationError) {
            return try TrustedKey(json: try JSONValue.parse(bytes), path: "")
        } catch {
            throw UpdateRefusal.malformed("public key file", error)
        }
    }
}
