import Crypto
import Platform

/// Digests of a segment, read from disk in 64 KiB chunks (never the whole
/// file in memory): the sha256 that names its content in the target
/// request and the report, and the MD5 of a part, to check S3's ETag.
public enum FileDigest {
    /// The upload's own chunk size. With 1 MiB reads the heap (RssAnon)
    /// grew 7.2 MB over idle while uploading, with 64 KiB 4.8 MB
    /// (bench/upload.py, debug build): large freed buffers stay in malloc's
    /// per-thread arenas. The read count is no cost at these sizes.
    static let chunk = 64 << 10

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
