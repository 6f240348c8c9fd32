import CamgateCore
import CloudLink
import ObjectStore
import Foundation
import Platform
import Testing
import TestSupport

/// A request body streamed from a file range (the uploader's parts), sent to
/// the real cloud simulator's upload endpoint over loopback.
@Suite struct FileBodyTests {
    static func file(in dir: TemporaryDirectory, bytes: Int, seed: UInt64) throws -> String {
        print("file body seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        var data = [UInt8](repeating: 0, count: bytes)
        for i in stride(from: 0, to: bytes, by: 8) {
            withUnsafeBytes(of: rng.next()) { word in for j in 0..<min(8, bytes - i) { data[i + j] = word[j] } }
        }
        let path = dir.file("segment.ts")
        try Data(data).write(to: URL(fileURLWithPath: path))
        return path
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var chunks: [Int] = []
        private(set) var progress: Int64 = 0
        func chunk(_ n: Int) { lock.withLock { chunks.append(n) } }
        func sent(_ n: Int64) { lock.withLock { progress = n } }
    }

    @Test func aFileRangeIsSentInSmallChunksWithItsLength() async throws {
        let dir = try TemporaryDirectory()
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let path = try Self.file(in: dir, bytes: 3 << 20, seed: 0x5EED_0001)
        let counter = Counter()
        let offset: Int64 = 1 << 20, length: Int64 = (3 << 20) - (1 << 20) - 123
        var request = HTTPRequest(method: .PUT, endpoint: try Endpoint(parsing: "\(sim.base)/uploads/part-2"))
        request.fileBody = .init(path: path, offset: offset, length: length, pace: { counter.chunk($0) }, progress: { counter.sent($0) })
        let answer = try await sim.transport.send(request)
        let stats = try await sim.stats()
        await sim.stop()
        #expect(answer.status == 200)
        #expect(stats["uploads"]?["part-2"] == .int(length))
        #expect(counter.chunks.reduce(0, +) == Int(length) && counter.chunks.allSatisfy { $0 <= HTTPRequest.FileBody.defaultChunkSize })
        #expect(counter.progress == length)
    }

    @Test func aFileShorterThanTheRangeFailsInsteadOfSendingLess() async throws {
        let dir = try TemporaryDirectory()
        let sim = try await CloudSimulatorProcess(directory: dir.path)
        let path = try Self.file(in: dir, bytes: 100_000, seed: 0x5EED_0002)
        var request = HTTPRequest(method: .PUT, endpoint: try Endpoint(parsing: "\(sim.base)/uploads/short"))
        request.fileBody = .init(path: path, offset: 0, length: 200_000)
        await #expect(throws: HTTPRequest.FileBodyShort.self) { _ = try await sim.transport.send(request) }
        await sim.stop()
    }
}
