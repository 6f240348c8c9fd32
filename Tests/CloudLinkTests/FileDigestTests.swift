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
        let (hex, size) = try FileDigest.sha256(of: path)
        let expected = try runProgram("/usr/bin/sha256sum", [path]).output.split(separator: " ").first.map(String.init)
        #expect(size == Int64(bytes))
        #expect(hex == expected)
    }

    @Test func aMissingFileIsAnErrorNamingIt() {
        #expect { _ = try FileDigest.sha256(of: "/nonexistent/segment.ts") } throws: { "\($0)".contains("/nonexistent/segment.ts") }
    }
}
