import Crypto

/// A detached `.sig` file: the Ed25519 signature (64 bytes) over the exact
/// bytes of the signed file, written as one line of standard base64 (88
/// characters) and a newline. Text rather than raw bytes so that it
/// survives copy and paste, e-mail and a cloud command's JSON field
/// unchanged; one trailing LF or CR LF is tolerated, nothing else.
public struct DetachedSignature: Hashable, Sendable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the content of a `.sig` file; `name` says which file in the error.
    public init(file: some Collection<UInt8>, name: String) throws(UpdateRefusal) {
        var text = Array(file)
        if text.last == 0x0A { text.removeLast() }
        if text.last == 0x0D { text.removeLast() }
        guard text.count == 88, let raw = ByteEncoding.bytes(base64: String(decoding: text, as: UTF8.self), count: 64) else {
            throw UpdateRefusal(.malformed, "\(name): not an Ed25519 signature (one line of base64 for 64 bytes, \(file.count) bytes read)")
        }
        bytes = raw
    }

    /// The `.sig` file's content.
    public var fileContent: [UInt8] {
        Array((ByteEncoding.base64(bytes) + "\n").utf8)
    }

    /// True when `key` signed exactly `message`.
    public func isValid(for message: some Collection<UInt8>, by key: Curve25519.Signing.PublicKey) -> Bool {
        key.isValidSignature(bytes, for: Array(message))
    }
}
