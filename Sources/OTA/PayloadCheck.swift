import Crypto

/// Checks a file against an expected size and SHA-256 while it is read in
/// chunks, never holding it whole: the `.xz` payload against the
/// manifest's `size`/`sha256`, or the decompressed binary against
/// `binary_size`/`binary_sha256`. A file longer than expected is refused as
/// soon as a chunk goes past the size, so the reader can stop there.
public struct PayloadCheck: Sendable {
    public let expectedSize: Int64
    public let expectedSHA256: [UInt8]
    /// Names the file in refusals ("payload 0.2.0").
    public let name: String
    public private(set) var bytesSeen: Int64 = 0
    private var hasher = SHA256()

    public init(expectedSize: Int64, expectedSHA256: [UInt8], name: String) {
        self.expectedSize = expectedSize
        self.expectedSHA256 = expectedSHA256
        self.name = name
    }

    /// For the `.xz` payload a manifest describes.
    public init(payloadOf m: Manifest) {
        self.init(expectedSize: m.size, expectedSHA256: m.sha256, name: "payload of \(m.version)")
    }

    /// For the binary inside the payload.
    public init(binaryOf m: Manifest) {
        self.init(expectedSize: m.binarySize, expectedSHA256: m.binarySHA256, name: "binary of \(m.version)")
    }

    public mutating func update(_ chunk: [UInt8]) throws(UpdateRefusal) {
        bytesSeen += Int64(chunk.count)
        guard bytesSeen <= expectedSize else {
            throw UpdateRefusal(.sizeMismatch, "\(name) is longer than the \(expectedSize) bytes its manifest says")
        }
        hasher.update(data: chunk)
    }

    /// After the last chunk: the size must match exactly, then the digest.
    public func finish() throws(UpdateRefusal) {
        guard bytesSeen == expectedSize else {
            throw UpdateRefusal(.sizeMismatch, "\(name) is truncated: \(bytesSeen) of \(expectedSize) bytes")
        }
        let digest = Array(hasher.finalize())
        guard digest == expectedSHA256 else {
            throw UpdateRefusal(.checksumMismatch,
                                "\(name) has sha256 \(ByteEncoding.hex(digest)), its manifest says \(ByteEncoding.hex(expectedSHA256))")
        }
    }

    /// Reads chunks from `next` (nil or empty at the end) and checks them.
    /// A read error is rethrown as it is; a refusal is an `UpdateRefusal`.
    public mutating func verify(reading next: () throws -> [UInt8]?) throws {
        while let chunk = try next(), !chunk.isEmpty {
            try update(chunk)
        }
        try finish()
    }
}
