/// OTA owns the pure, verifiable core of signed over-the-air updates
/// (docs/ota.md): software versions, the two-tier Ed25519 trust chain
/// (root keys → signing-keys bundle → manifests), strict manifest parsing,
/// the admission decision, a streaming size + sha256 check of the payload,
/// the operator's keygen/sign/verify, and the trial judge that commits an
/// update or rolls it back.
///
/// Like CamgateCore, nothing here touches the file system, the network,
/// processes or the clock: callers pass bytes, chunks and `now` in, and
/// carry out the actions the judge returns.
public enum OTA {
    /// Largest manifest, bundle or root-keys file read (bytes): they are a
    /// few hundred bytes; the cap keeps a hostile file from costing memory.
    public static let maximumDocumentSize = 64 * 1024
}
