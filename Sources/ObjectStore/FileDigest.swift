import Crypto
import Platform
import Synchronization

/// Digests of a segment, read from disk in 1 MiB chunks (never the whole
/// file in memory): the sha256 that names its content in the target
/// request and the report.
public enum FileDigest {
    static let chunk = 1 << 20

    /// Lower-case hex sha256 of the whole file, and its size.
    public static func sha256(of path: String) throws(SystemError) -> (hex: String, bytes: Int64) {
        let reader = try FileReader(path)
        var hash = SHA256()
        let bytes = try feed(reader, offset: 0, length: reader.size) { hash.update(data: $0) }
        return (Hex.encode(hash.finalize()), bytes)
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

/// The MD5 of bytes as they are sent (`HTTPRequest.FileBody.observe`): the
/// part is read once, for S3 and for its ETag check together.
public final class StreamingMD5: Sendable {
    private let state = Mutex(Insecure.MD5())

    public init() {}

    public func update(_ bytes: [UInt8]) {
        state.withLock { $0.update(data: bytes) }
    }

    /// Lower-case hex of everything given so far.
    public var hex: String {
        state.withLock { Hex.encode($0.finalize()) }
    }
}
