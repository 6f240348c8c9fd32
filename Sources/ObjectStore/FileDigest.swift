import Crypto
import FoundationEssentials
import Platform

/// A segment's digests, all taken in one read before it is sent: the
/// sha256 that names its content in the target request and the report, and
/// the MD5 of each part of `partSize` bytes (the last may be shorter; one
/// part of the whole file when it goes in one PUT). Each part's MD5 goes out
/// as its `Content-MD5`, so that S3 refuses bytes that are not the ones
/// hashed (`BadDigest`), and is compared with the ETag S3 answers.
public struct SegmentDigests: Sendable, Equatable {
    public var sha256: String
    public var bytes: Int64
    public var partSize: Int64
    /// The MD5 of part n at index n − 1.
    public var partMD5: [[UInt8]]

    public init(sha256: String, bytes: Int64, partSize: Int64, partMD5: [[UInt8]]) {
        self.sha256 = sha256
        self.bytes = bytes
        self.partSize = partSize
        self.partMD5 = partMD5
    }

    /// The MD5 of exactly one of these parts, nil for any other range (a
    /// plan with another part size: `FileDigest.md5` reads it then).
    public func md5(offset: Int64, length: Int64) -> [UInt8]? {
        guard partSize > 0, offset % partSize == 0, offset + length <= bytes else { return nil }
        let index = Int(offset / partSize)
        guard index < partMD5.count, length == min(partSize, bytes - offset) else { return nil }
        return partMD5[index]
    }
}

/// Digests of a file, read from disk in 120 KiB chunks into one buffer
/// (never the whole file in memory, no fresh pages per chunk: under the
/// agent's malloc mmap threshold).
public enum FileDigest {
    static let chunk = 120 << 10

    /// The sha256 and the MD5 of every `partSize` part, in one read.
    public static func digests(of path: String, partSize: Int64) throws(SystemError) -> SegmentDigests {
        let reader = try FileReader(path)
        let part = max(partSize, 1)
        var sha = SHA256(), md5 = Insecure.MD5(), parts: [[UInt8]] = []
        let bytes = try read(reader, offset: 0, length: reader.size, partSize: part) { chunk, endsPart in
            sha.update(bufferPointer: chunk)
            md5.update(bufferPointer: chunk)
            if endsPart {
                parts.append(Array(md5.finalize()))
                md5 = Insecure.MD5()
            }
        }
        if parts.isEmpty || bytes % part != 0 { parts.append(Array(md5.finalize())) }
        return SegmentDigests(sha256: Hex.encode(sha.finalize()), bytes: bytes, partSize: part, partMD5: parts)
    }

    /// The MD5 of `length` bytes from `offset` (of what the file holds there).
    public static func md5(of path: String, offset: Int64, length: Int64) throws(SystemError) -> [UInt8] {
        var md5 = Insecure.MD5()
        _ = try read(try FileReader(path), offset: offset, length: length, partSize: Int64.max) { chunk, _ in md5.update(bufferPointer: chunk) }
        return Array(md5.finalize())
    }

    /// `Content-MD5`: the base64 of the 16 bytes.
    public static func contentMD5(_ md5: [UInt8]) -> String { Data(md5).base64EncodedString() }

    /// Hands `body` the range in chunks that never cross a multiple of
    /// `partSize`, saying of each whether it ends a part; returns the bytes read.
    private static func read(_ reader: FileReader, offset: Int64, length: Int64, partSize: Int64,
                             _ body: (UnsafeRawBufferPointer, _ endsPart: Bool) -> Void) throws(SystemError) -> Int64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        let end = offset.addingReportingOverflow(length).overflow ? Int64.max : offset + length
        while position < end {
            let toBoundary = partSize - position % partSize
            let want = Int(min(Int64(chunk), end - position, toBoundary))
            let got = try reader.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
            if got == 0 { break }
            position += Int64(got)
            body(UnsafeRawBufferPointer(rebasing: buffer[..<got]), position % partSize == 0)
        }
        return position - offset
    }
}
