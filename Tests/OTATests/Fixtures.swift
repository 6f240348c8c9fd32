import CamgateCore
import Crypto
import Testing
@testable import OTA

/// Keys from a printed seed (SplitMix64), so a failing run can be replayed.
struct KeyFactory {
    var rng: SplitMix64
    let seed: UInt64

    init(seed: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        print("OTATests key seed: \(seed)")
        self.seed = seed
        rng = SplitMix64(seed: seed)
    }

    mutating func identity(_ id: String) -> SigningIdentity {
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return try! OperatorTools.keygen(id: id, seed: bytes)
    }
}

/// A release signed end to end: root → bundle → manifest → payload.
struct Release {
    var root: SigningIdentity
    var signer: SigningIdentity
    var bundle: [UInt8]
    var bundleSignature: [UInt8]
    var manifest: Manifest
    var payload: [UInt8]

    init(seed: UInt64 = UInt64.random(in: 0...UInt64.max), version: String = "0.2.0", serial: Int64 = 5,
         revoked: Set<String> = [], edit: (inout Manifest) -> Void = { _ in }) {
        var keys = KeyFactory(seed: seed)
        root = keys.identity("root-1")
        signer = keys.identity("release-a")
        let bundleValue = SigningKeyBundle(serial: serial, keys: [signer.trustedKey], revoked: revoked)
        bundle = bundleValue.fileContent
        bundleSignature = try! OperatorTools.signBundle(bundle, with: root)
        payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        manifest = Manifest(version: try! SoftwareVersion(parsing: version), architecture: .aarch64, boards: ["rk3588-evb"],
                            size: Int64(payload.count), sha256: Array(SHA256.hash(data: payload)),
                            binarySize: 9000, binarySHA256: Array(repeating: 7, count: 32),
                            minVersion: SoftwareVersion(0, 1, 0), notes: "test release", keyID: signer.id)
        edit(&manifest)
    }

    var roots: RootKeys { RootKeys([root.trustedKey]) }
    var manifestFile: [UInt8] { manifest.fileContent }
    var manifestSignature: [UInt8] { try! OperatorTools.signManifest(manifestFile, with: signer) }

    var device: DeviceFacts {
        DeviceFacts(installed: SoftwareVersion(0, 1, 0), floor: SoftwareVersion(0, 1, 0), architecture: .aarch64,
                    board: "rk3588-evb", badVersions: [], sizeLimit: 8 << 20)
    }
}

func v(_ text: String) -> SoftwareVersion { try! SoftwareVersion(parsing: text) }

/// The first refusal a throwing call gives, or nil.
func refusal<T>(_ body: () throws -> T) -> UpdateRefusal? {
    do {
        _ = try body()
        return nil
    } catch let refused as UpdateRefusal {
        return refused
    } catch {
        Issue.record("not an UpdateRefusal: \(error)")
        return nil
    }
}
