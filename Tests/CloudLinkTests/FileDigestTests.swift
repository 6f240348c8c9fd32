import CamgateCore
import Foundation
import ObjectStore
import Testing
import TestSupport

/// The sha256 a segment is named by in its upload request and report,
/// against sha256sum(1), for sizes around the read chunk.
@Suite struct FileDigestTests {
    @Test(arguments: [0, 1, (120 << 10) - 1, 120 << 10, (120 << 10) + 1, 3 * (120 << 10) + 7])
    func theSha256IsSha256sumsWhateverTheSize(bytes: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try FileBodyTests.file(in: dir, bytes: bytes, seed: 0x5EED_D16E + UInt64(bytes))
        let digests = try FileDigest.digests(of: path, partSize: 8 << 20)
        let (hex, size) = (digests.sha256, digests.bytes)
        let expected = try runProgram("/usr/bin/sha256sum", [path]).output.split(separator: " ").first.map(String.init)
        #expect(size == Int64(bytes))
        #expect(hex == expected)
    }

    /// One read gives the sha256 and each part's MD5, against md5sum(1) of
    /// the part cut out; the last part shorter, or the file one part.
    @Test(arguments: [(3 * (1 << 20) + 17, Int64(1 << 20)), (2 << 20, Int64(1 << 20)), (1000, Int64(1000)), (0, Int64(1))])
    func eachPartsMD5IsMd5sumOfThatRange(bytes: Int, partSize: Int64) throws {
        let dir = try TemporaryDirectory()
        let path = try FileBodyTests.file(in: dir, bytes: bytes, seed: 0x5EED_4D35 + UInt64(bytes))
        let digests = try FileDigest.digests(of: path, partSize: partSize)
        let content = try Data(contentsOf: URL(fileURLWithPath: path))
        let sha256sum = try runProgram("/usr/bin/sha256sum", [path]).output.split(separator: " ").first.map(String.init)
        #expect(digests.bytes == Int64(bytes) && digests.sha256 == sha256sum)
        let parts = max(1, (bytes + Int(partSize) - 1) / Int(partSize))
        #expect(digests.partMD5.count == parts)
        for n in 0..<parts {
            let range = (n * Int(partSize))..<min(bytes, (n + 1) * Int(partSize))
            let cut = dir.file("part-\(n)")
            try content.subdata(in: range).write(to: URL(fileURLWithPath: cut))
            let md5sum = try runProgram("/usr/bin/md5sum", [cut]).output.split(separator: " ").first.map(String.init)
            #expect(Hex.encode(digests.partMD5[n]) == md5sum, "part \(n + 1) of \(parts)")
            #expect(digests.md5(offset: Int64(range.lowerBound), length: Int64(range.count)) == digests.partMD5[n])
            let md5 = try FileDigest.md5(of: path, offset: Int64(range.lowerBound), length: Int64(range.count))
            #expect(md5 == digests.partMD5[n])
        }
    }

    /// A range that is not exactly one of the parts hashed (a plan with
    /// another part size) has no MD5 here: the uploader reads it then.
    @Test func aRangeThatIsNotOneOfThePartsHasNoPrecomputedMD5() throws {
        let digests = SegmentDigests(sha256: "", bytes: 25, partSize: 10, partMD5: [[1], [2], [3]])
        #expect(digests.md5(offset: 10, length: 10) == [2])
        #expect(digests.md5(offset: 20, length: 5) == [3])
        #expect(digests.md5(offset: 20, length: 10) == nil)   // past the end
        #expect(digests.md5(offset: 5, length: 10) == nil)    // not on a part boundary
        #expect(digests.md5(offset: 0, length: 20) == nil)    // two parts
        #expect(digests.md5(offset: 30, length: 0) == nil)
    }

    /// RFC 1864: the base64 of the 16 bytes (the MD5 of nothing here).
    @Test func contentMD5IsTheBase64OfTheDigest() throws {
        let dir = try TemporaryDirectory()
        let empty = dir.file("empty")
        try Data().write(to: URL(fileURLWithPath: empty))
        let md5 = try FileDigest.md5(of: empty, offset: 0, length: 0)
        #expect(FileDigest.contentMD5(md5) == "1B2M2Y8AsgTpgAmY7PhCfg==")
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        #expect { _ = try FileDigest.digests(of: "/nonexistent/segment.ts", partSize: 8 << 20) } throws: { "\($0)".contains("/nonexistent/segment.ts") }
    }
}
