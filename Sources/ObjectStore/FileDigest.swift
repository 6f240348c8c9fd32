import Crypto
import Platform
import Synchronization

/// Digests of a segment, read from disk in 120 KiB chunks into one buffer
/// (never the whole file in memory, no fresh pages per chunk: under the
/// agent's malloc mmap threshold): the sha256 that names its content in the
/// target request and the report.
public enum FileDigest {
    static let chunk = 120 << 10

    /// Lower-case hex sha256 of the whole file, and its size.
    public static func sha256(of path: String) throws(SystemError) -> (hex: String, bytes: Int64) {
        let reader = try FileReader(path)
        var hash = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < reader.size {
            let want = Int(min(Int64(chunk), reader.size - done))
            let got = try reader.read(at: done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want]))
            if got == 0 { break }
            hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            done += Int64(got)
        }
        return (Hex.encode(hash.finalize()), done)
    }
}

/// The MD5 of bytes as they are sent (`HTTPRequest.FileBody.observe`): the
/// part is read once, for S3 and for its ETag check together.
public final class StreamingMD5: Sendable {
    private let state = Mutex(Insecure.MD5())

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { $0.update(bufferPointer: bytes) }
    }

    /// Lower-case hex of everything given so far.
    public var hex: String {
        state.withLock { Hex.encode($0.finalize()) }
    }
}
