import Testing
import TestSupport

/// The S3 peer of the upload tests (issue 12): moto's S3 server from the
/// venv scripts/setup makes, and the presigning helper the simulator will
/// use. A 17 MiB file goes up in three presigned parts with curl, is
/// completed with curl and read back with an equal sha256.
@Suite struct S3PeerTests {
    @Test func aPresignedMultipartUploadToMotoReadsBackIdentical() throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        print("S3PeerTests seed: \(seed)")
        let python = "\(Repository.root)/.venv-test/bin/python"
        let run = try runProgram(python, [Repository.fixture("s3_presign.py"), "selftest", "--seed", String(seed)], timeout: .seconds(120))
        #expect(run.status == 0 && run.output.contains("selftest passed"), "seed \(seed): \(run.output)")
    }
}
