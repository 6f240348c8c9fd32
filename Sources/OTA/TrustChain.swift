/// root keys → signing-keys bundle → manifest → payload (docs/ota.md).
///
/// Each step verifies a detached Ed25519 signature over the exact bytes of
/// the file before the next step trusts anything in it (the manifest is
/// parsed first only to learn its `key_id`; nothing else in it is used
/// before its signature checks).
public enum TrustChain {
    /// Verifies a signing-keys bundle against the roots and the highest
    /// serial accepted before (`serialFloor`, 0 when none). An equal serial
    /// is accepted (the same bundle fetched again); the caller stores
    /// `max(serialFloor, bundle.serial)` after a successful update check.
    public static func verifyBundle(_ bundle: [UInt8], signature: [UInt8], roots: RootKeys,
                                    serialFloor: Int64) throws(UpdateRefusal) -> SigningKeyBundle {
        let sig = try DetachedSignature(file: signature, name: "signing-keys bundle signature")
        guard !roots.keys.isEmpty else {
            throw UpdateRefusal(.unknownKey, "no root key is trusted (none compiled in, no root-keys file)")
        }
        guard roots.keys.contains(where: { sig.isValid(for: bundle, by: $0.publicKey) }) else {
            let ids = roots.keys.map(\.id).joined(separator: ", ")
            throw UpdateRefusal(.wrongSignature, "signing-keys bundle is not signed by any trusted root key (roots: \(ids))")
        }
        let parsed = try SigningKeyBundle(parsing: bundle)
        guard parsed.serial >= serialFloor else {
            throw UpdateRefusal(.staleKeyBundle, "signing-keys bundle serial \(parsed.serial) is older than serial \(serialFloor) accepted before")
        }
        return parsed
    }

    /// Verifies a manifest against a verified bundle: the key it names must
    /// be listed and not revoked, and its signature must check.
    public static func verifyManifest(_ manifest: [UInt8], signature: [UInt8],
                                      bundle: SigningKeyBundle) throws(UpdateRefusal) -> Manifest {
        let sig = try DetachedSignature(file: signature, name: "manifest signature")
        let parsed = try Manifest(parsing: manifest)
        let key = try bundle.signingKey(parsed.keyID)
        guard sig.isValid(for: manifest, by: key.publicKey) else {
            throw UpdateRefusal(.wrongSignature, "manifest for \(parsed.version) does not verify with signing key \(key.id)")
        }
        return parsed
    }
}
