import Crypto
import Platform

/// Digests of a segment, read from disk in 1 MiB chunks (never the whole
/// file in memory): the sha256 that names its content in the target
/// request and the report, and the MD5 of a part, to check S3's ETag.
public enum FileDigest {
    static let chunk = 1 << 20

    /// Lower-case hex sha256 of the whole file, and its size.
    public static func sha256(of path: String) throws(SystemError) -> (hex: String, bytes: Int64) {
        let reader = try FileReader(path)
        var hash = SHA256()
        let bytes = try feed(reader, offset: 0, length: reader.size) { hash.update(data: $0) }
        return (Hex.encode(hash.finalize()), bytes)
    }

    /// Lower-case hex MD5 of `length` bytes at `offset` (what S3 answers as
    /// the ETag of a plain PUT or a part, on an unencrypted bucket).
    public static func md5(of path: String, offset: Int64, length: Int64) throws(SystemError) -> String {
        let reader = try FileReader(path)
        var hash = Insecure.MD5()
        _ = try feed(reader, offset: offset, length: length) { hash.update(data: $0) }
        return Hex.encode(hash.finalize())
    }

    private static func feed(_ reader: FileReader, offset: Int64, length: Int64, _ update: ([UInt8]) -> Void) throws(SystemError) -> Int64 {
        var done: Int64 = 0
        while done < length {
            let bytes = try reader.read(at: offset + done, count: Int(min(Int64(chunk), length - done)))
            if bytes.isEmpty { break }
            update(bytes)
            done += Int64(bytes.count)
        }
        return done
    }
}
