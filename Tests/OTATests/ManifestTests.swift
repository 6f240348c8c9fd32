import CamgateCore
import Foundation
import Testing
@testable import OTA

@Suite struct ManifestTests {
    static let good = """
    {"version": "0.2.0", "architecture": "aarch64", "boards": ["rk3588-evb", "pi5"], "size": 3000,
     "sha256": "\(String(repeating: "ab", count: 32))", "binary_size": 9000, "binary_sha256": "\(String(repeating: "CD", count: 32))",
     "min_version": "0.1.0", "downgrade": false, "notes": "fixes", "key_id": "release-a"}
    """

    @Test func parsesEveryField() throws {
        let m = try Manifest(parsing: Array(Self.good.utf8))
        #expect(m.version == v("0.2.0") && m.architecture == .aarch64 && m.boards == ["rk3588-evb", "pi5"])
        #expect(m.size == 3000 && m.sha256 == Array(repeating: 0xAB, count: 32) && m.binarySHA256 == Array(repeating: 0xCD, count: 32))
        #expect(m.minVersion == v("0.1.0") && !m.downgrade && m.notes == "fixes" && m.keyID == "release-a")
        #expect(try Manifest(parsing: m.fileContent) == m, "what the tools write parses back to the same manifest")
    }

    @Test(arguments: [
        ("\"key_id\"", "\"kid\"", "kid: unknown field"),
        ("\"size\": 3000", "\"size\": 0", "size: must be between"),
        ("\"size\": 3000", "\"size\": 67108865", "size: must be between"),
        ("\"binary_size\": 9000", "\"binary_size\": -1", "binary_size: must be between"),
        ("\"sha256\": \"ab", "\"sha256\": \"zz", "sha256: must be 64 hex"),
        ("\"aarch64\"", "\"arm64\"", "architecture: must be x86_64 or aarch64"),
        ("[\"rk3588-evb\", \"pi5\"]", "[]", "boards: must be"),
        ("[\"rk3588-evb\", \"pi5\"]", "[\"*\", \"pi5\"]", "boards[0]"),
        ("[\"rk3588-evb\", \"pi5\"]", "[\"pi5\", \"pi5\"]", "boards[1]"),
        ("\"0.2.0\"", "\"0.2\"", "version: "),
        ("\"min_version\": \"0.1.0\"", "\"min_version\": 1", "min_version: expected a string"),
        ("\"downgrade\": false", "\"downgrade\": \"no\"", "downgrade: expected true or false"),
        ("\"key_id\": \"release-a\"", "\"key_id\": \"../../etc\"", "key_id: must be"),
        ("\"notes\": \"fixes\",", "", ""),
        (", \"key_id\": \"release-a\"", "", "key_id: is required"),
        ("\"size\": 3000,", "\"size\": 3000, \"size\": 3001,", "size: this key appears twice"),
    ])
    func refusesAStrictlyInvalidManifestNamingTheField(_ change: (String, String, String)) {
        let text = Self.good.replacingOccurrences(of: change.0, with: change.1)
        #expect(text != Self.good)
        let refused = refusal { try Manifest(parsing: Array(text.utf8)) }
        if change.2.isEmpty {
            #expect(refused == nil, "notes are optional")
        } else {
            #expect(refused?.code == .malformed)
            #expect(refused?.message.contains(change.2) == true, "\(refused?.message ?? "accepted")")
        }
    }

    @Test func refusesAnOversizedDocumentBeforeParsingIt() {
        let huge = Array(repeating: UInt8(ascii: " "), count: OTA.maximumDocumentSize + 1)
        #expect(refusal { try Manifest(parsing: huge) }?.message.contains("more than") == true)
    }
}

@Suite struct SigningKeyBundleTests {
    @Test func roundTripsThroughItsFile() throws {
        var keys = KeyFactory()
        let a = keys.identity("a"), b = keys.identity("b")
        let bundle = SigningKeyBundle(serial: 9, keys: [a.trustedKey, b.trustedKey], revoked: ["old"])
        let parsed = try SigningKeyBundle(parsing: bundle.fileContent)
        #expect(parsed.serial == 9 && parsed.keys.map(\.id) == ["a", "b"] && parsed.revoked == ["old"])
        #expect(parsed.keys[1].publicKey.rawRepresentation == b.privateKey.publicKey.rawRepresentation)
    }

    @Test(arguments: [
        (#"{"serial": 0, "keys": [KEY]}"#, "serial: must be between"),
        (#"{"keys": [KEY]}"#, "serial: is required"),
        (#"{"serial": 1, "keys": []}"#, "keys: must be an array of 1 to 64"),
        (#"{"serial": 1, "keys": [KEY, KEY]}"#, "appears twice"),
        (#"{"serial": 1, "keys": [KEY], "revoked": ["a"]}"#, "both listed and revoked"),
        (#"{"serial": 1, "keys": [KEY], "revoked": ["a b"]}"#, "revoked[0]"),
        (#"{"serial": 1, "keys": [KEY], "expires": 5}"#, "expires: unknown field"),
        (#"{"serial": 1, "keys": [{"id": "a", "public_key": "AAAA"}]}"#, "keys[0].public_key"),
    ])
    func refusesAnInvalidBundleNamingTheField(_ c: (String, String)) {
        var keys = KeyFactory(seed: 1)
        let entry = keys.identity("a").trustedKey.json.serialized()
        let text = c.0.replacingOccurrences(of: "KEY", with: entry)
        let refused = refusal { try SigningKeyBundle(parsing: Array(text.utf8)) }
        #expect(refused?.code == .malformed)
        #expect(refused?.message.contains(c.1) == true, "\(refused?.message ?? "accepted")")
    }
}

@Suite struct OperatorToolsTests {
    @Test func aKeyFileRoundTripsAndItsSignatureVerifies() throws {
        var keys = KeyFactory()
        let id = keys.identity("release-b")
        let reread = try SigningIdentity(parsingKeyFile: id.privateKeyFile)
        #expect(reread.id == "release-b" && reread.privateKey.rawRepresentation == id.privateKey.rawRepresentation)
        let file = Array("any file".utf8)
        let sig = try OperatorTools.sign(file, with: reread)
        #expect(sig.count == 89 && sig.last == 0x0A, "88 base64 characters and a newline")
        let roots = try RootKeys.parseFile(Array("{\"keys\": [\(String(decoding: id.publicKeyEntry, as: UTF8.self))]}".utf8))
        #expect(try OperatorTools.verify(file, signature: sig, keys: roots) == "release-b")
        #expect(refusal { try OperatorTools.verify(file + [0], signature: sig, keys: roots) }?.code == .wrongSignature)
    }

    @Test func aSeedGivesTheSameKeyEveryTime() throws {
        let seed = Array(repeating: UInt8(3), count: 32)
        #expect(try OperatorTools.keygen(id: "k", seed: seed).privateKey.rawRepresentation == OperatorTools.keygen(id: "k", seed: seed).privateKey.rawRepresentation)
        #expect(refusal { try OperatorTools.keygen(id: "k", seed: [1]) }?.code == .malformed)
        #expect(refusal { try OperatorTools.keygen(id: "bad id") }?.code == .malformed)
    }

    @Test func signingAManifestThatNamesAnotherKeyIsRefused() {
        let release = Release()
        var other = KeyFactory(seed: 5)
        let refused = refusal { try OperatorTools.signManifest(release.manifestFile, with: other.identity("release-z")) }
        #expect(refused?.code == .unknownKey && refused?.message.contains("release-a") == true)
    }

    @Test(arguments: ["", "abc\n", String(repeating: "A", count: 88) + "\n\n"])
    func aSignatureFileIsOneLineOfBase64For64Bytes(_ text: String) {
        #expect(refusal { try DetachedSignature(file: Array(text.utf8), name: "x.sig") }?.code == .malformed)
    }

    @Test func aSignatureFileWithCRLFIsAccepted() throws {
        let sig = DetachedSignature(bytes: Array(repeating: 9, count: 64))
        var crlf = sig.fileContent
        crlf.insert(0x0D, at: crlf.count - 1)
        #expect(try DetachedSignature(file: crlf, name: "x.sig") == sig)
    }
}
