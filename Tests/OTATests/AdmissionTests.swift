import CamgateCore
import Crypto
import Testing
@testable import OTA

/// Everything an update brings, as the agent receives it.
struct Delivery {
    var release: Release
    var roots: RootKeys
    var bundle: [UInt8]
    var bundleSignature: [UInt8]
    var serialFloor: Int64 = 5
    var manifest: [UInt8]
    var manifestSignature: [UInt8]
    var payload: [UInt8]
    var device: DeviceFacts

    init(_ release: Release) {
        self.release = release
        roots = release.roots
        bundle = release.bundle
        bundleSignature = release.bundleSignature
        manifest = release.manifestFile
        manifestSignature = release.manifestSignature
        payload = release.payload
        device = release.device
    }

    /// The whole pipeline: bundle, manifest, admission, then the payload
    /// streamed in 1000-byte chunks.
    func admit() -> UpdateRefusal? {
        do {
            let keys = try TrustChain.verifyBundle(bundle, signature: bundleSignature, roots: roots, serialFloor: serialFloor)
            let m = try TrustChain.verifyManifest(manifest, signature: manifestSignature, bundle: keys)
            if let refused = Admission.check(m, on: device) { return refused }
            var check = PayloadCheck(payloadOf: m)
            var offset = 0
            try check.verify {
                defer { offset += 1000 }
                return offset < payload.count ? Array(payload[offset..<min(offset + 1000, payload.count)]) : nil
            }
            return nil
        } catch let refusal as UpdateRefusal {
            return refusal
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }
}

@Suite struct AdmissionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let expected: UpdateRefusal.Code?
        let messageNames: String?
        let edit: @Sendable (inout Delivery) -> Void
        var testDescription: String { name }
    }

    static func resigned(_ d: inout Delivery, _ edit: (inout Manifest) -> Void) {
        var m = d.release.manifest
        edit(&m)
        d.manifest = m.fileContent
        d.manifestSignature = try! OperatorTools.sign(d.manifest, with: d.release.signer)
    }

    static let cases: [Case] = [
        Case(name: "a good update is accepted", expected: nil, messageNames: nil) { _ in },
        Case(name: "tampered payload", expected: .checksumMismatch, messageNames: "sha256") { $0.payload[1234] ^= 0x01 },
        Case(name: "truncated download", expected: .sizeMismatch, messageNames: "2999 of 3000") { $0.payload.removeLast() },
        Case(name: "payload longer than the manifest says", expected: .sizeMismatch, messageNames: "longer") { $0.payload.append(0) },
        Case(name: "manifest edited after signing", expected: .wrongSignature, messageNames: "release-a") { d in
            var m = d.release.manifest
            m.notes = "edited"
            d.manifest = m.fileContent
        },
        Case(name: "manifest signed by an outside key with a known id", expected: .wrongSignature, messageNames: "release-a") { d in
            var other = KeyFactory(seed: 99)
            d.manifestSignature = try! OperatorTools.sign(d.manifest, with: SigningIdentity(id: "release-a", privateKey: other.identity("x").privateKey))
        },
        Case(name: "bundle not signed by a root", expected: .wrongSignature, messageNames: "root-1") { d in
            var other = KeyFactory(seed: 98)
            d.bundleSignature = try! OperatorTools.sign(d.bundle, with: other.identity("evil"))
        },
        Case(name: "unknown signing key", expected: .unknownKey, messageNames: "release-z") { d in
            var other = KeyFactory(seed: 97)
            let stranger = other.identity("release-z")
            var m = d.release.manifest
            m.keyID = stranger.id
            d.manifest = m.fileContent
            d.manifestSignature = try! OperatorTools.signManifest(d.manifest, with: stranger)
        },
        Case(name: "revoked signing key", expected: .revokedKey, messageNames: "release-old") { d in
            var other = KeyFactory(seed: 96)
            let old = other.identity("release-old")
            d.bundle = SigningKeyBundle(serial: 6, keys: [d.release.signer.trustedKey], revoked: ["release-old"]).fileContent
            d.bundleSignature = try! OperatorTools.signBundle(d.bundle, with: d.release.root)
            var m = d.release.manifest
            m.keyID = old.id
            d.manifest = m.fileContent
            d.manifestSignature = try! OperatorTools.signManifest(d.manifest, with: old)
        },
        Case(name: "an older bundle replayed", expected: .staleKeyBundle, messageNames: "serial 5 is older than serial 6") { $0.serialFloor = 6 },
        Case(name: "no root key trusted", expected: .unknownKey, messageNames: "no root key") { $0.roots = RootKeys([]) },
        Case(name: "wrong architecture", expected: .wrongArchitecture, messageNames: "x86_64") { resigned(&$0) { $0.architecture = .x86_64 } },
        Case(name: "wrong board", expected: .wrongBoard, messageNames: "pi5") { $0.device.board = "pi5" },
        Case(name: "any board", expected: nil, messageNames: nil) { d in
            d.device.board = "pi5"
            resigned(&d) { $0.boards = nil }
        },
        Case(name: "over the size limit", expected: .tooLarge, messageNames: "limit is 2000") { $0.device.sizeLimit = 2000 },
        Case(name: "downgrade without the signed flag", expected: .downgrade, messageNames: "0.2.0") { $0.device.installed = v("0.3.0") },
        Case(name: "downgrade with the signed flag", expected: nil, messageNames: nil) { d in
            d.device.installed = v("0.3.0")
            d.device.floor = v("0.3.0")
            resigned(&d) { $0.downgrade = true }
        },
        Case(name: "below the anti-rollback floor", expected: .belowFloor, messageNames: "floor 0.4.0") { $0.device.floor = v("0.4.0") },
        Case(name: "installed below min_version", expected: .belowMinVersion, messageNames: "0.1.5") { resigned(&$0) { $0.minVersion = v("0.1.5") } },
        Case(name: "a version rolled back before", expected: .knownBad, messageNames: "never retried") { $0.device.badVersions = [v("0.2.0")] },
        Case(name: "the same version replayed", expected: .sameVersion, messageNames: "already installed") { $0.device.installed = v("0.2.0") },
        Case(name: "garbage signature file", expected: .malformed, messageNames: "manifest signature") { $0.manifestSignature = Array("hello\n".utf8) },
    ]

    @Test(arguments: cases)
    func admitsOrRefusesWithTheCodeAndWhatFailed(_ c: Case) {
        var d = Delivery(Release())
        c.edit(&d)
        let refused = d.admit()
        #expect(refused?.code == c.expected, "\(refused?.description ?? "accepted")")
        if let words = c.messageNames {
            #expect(refused?.message.contains(words) == true, "\(refused?.message ?? "accepted")")
        }
    }

    @Test func everyAdmissionCodeIsCoveredByTheTable() {
        let covered = Set(Self.cases.compactMap(\.expected))
        // Given by the judge and the device side (UpdaterTests), not by admission.
        let inputOnly: Set<UpdateRefusal.Code> = [.updateInProgress, .nothingToRollBack, .ioError, .versionMismatch]
        #expect(Set(UpdateRefusal.Code.allCases).subtracting(covered).subtracting(inputOnly).isEmpty)
    }

    @Test func aLongPayloadIsRefusedAtTheFirstChunkPastTheSize() throws {
        var check = PayloadCheck(expectedSize: 10, expectedSHA256: Array(repeating: 0, count: 32), name: "payload")
        var chunksRead = 0
        #expect(throws: UpdateRefusal.self) {
            try check.verify {
                chunksRead += 1
                return Array(repeating: 1, count: 8)
            }
        }
        #expect(chunksRead == 2)
    }

    @Test func theBinaryCheckUsesTheBinaryFields() throws {
        let binary: [UInt8] = Array(repeating: 42, count: 5000)
        var m = Release().manifest
        m.binarySize = 5000
        m.binarySHA256 = Array(SHA256.hash(data: binary))
        var check = PayloadCheck(binaryOf: m)
        try check.update(Array(binary[..<2500]))
        try check.update(Array(binary[2500...]))
        try check.finish()
    }
}
