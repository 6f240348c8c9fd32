import ArgumentParser
import CamgateCore
import OTA
import Platform
import Updater

struct OTAManifest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifest",
        abstract: "Write a release's manifest: sizes and SHA-256 of the .xz and of the binary in it, read from the files.")

    @Option(name: .customLong("release-version"), help: "The release's version (MAJOR.MINOR.PATCH[-pre]).") var version: String
    @Option(name: .long, help: "x86_64 or aarch64.") var arch: String
    @Option(name: .long, help: "A compatible board id (repeat); none: every board.") var board: [String] = []
    @Option(name: .long, help: "The lowest installed version it may replace.") var minVersion: String
    @Option(name: .long, help: "The signing key's id (the key that will sign it).") var keyId: String
    @Option(name: .long, help: "Release notes.") var notes = ""
    @Flag(name: .long, help: "Signed permission to install below the installed version and the floor.") var downgrade = false
    @Option(name: .long, help: "The .xz payload.") var payload: String
    @Option(name: .long, help: "The binary the payload holds (the stripped camgate).") var binary: String
    @Option(name: .long, help: "The manifest to write.") var out: String

    func run() throws {
        let (size, sha) = try digest(payload)
        let (binarySize, binarySHA) = try digest(binary)
        guard let architecture = Architecture(rawValue: arch) else { throw fail("--arch must be x86_64 or aarch64", code: 64) }
        let m: Manifest
        do {
            m = Manifest(version: try SoftwareVersion(parsing: version), architecture: architecture,
                         boards: board.isEmpty || board == ["*"] ? nil : Set(board), size: size, sha256: sha,
                         binarySize: binarySize, binarySHA256: binarySHA, minVersion: try SoftwareVersion(parsing: minVersion),
                         downgrade: downgrade, notes: notes, keyID: keyId)
        } catch {
            throw fail("\(error)", code: 64)
        }
        // Checked as a device parses it: a manifest no device accepts is not written.
        do { _ = try Manifest(parsing: m.fileContent) } catch { throw refuse(error) }
        try write(m.fileContent, to: out)
        print("wrote \(out): \(m.version) \(arch), payload \(size) bytes, binary \(binarySize) bytes, key \(keyId)")
    }

    func digest(_ path: String) throws -> (Int64, [UInt8]) {
        do {
            let reader = try FileReader(path, followLinks: true)
            var offset: Int64 = 0
            return try OperatorTools.digest {
                let chunk = try reader.read(at: offset, count: 1 << 20)
                offset += Int64(chunk.count)
                return chunk
            }
        } catch {
            throw fail("cannot read \(path): \(error)", code: 1)
        }
    }
}

struct OTASign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a manifest (with a signing key) or a signing-keys bundle (with a root key): writes FILE.sig.",
        discussion: "The file is parsed first: a manifest must name this key's id; anything else is refused."
    )

    @Option(name: .long, help: "The private key file.") var key: String
    @Argument(help: "manifest.json or keys.json.") var file: String

    func run() throws {
        let bytes = try readOTAFile(file)
        let signature: [UInt8]
        let what: String
        do {
            let identity = try SigningIdentity(parsingKeyFile: try readOTAFile(key, limit: 4096))
            if (try? Manifest(parsing: bytes)) != nil {
                signature = try OperatorTools.signManifest(bytes, with: identity)
                what = "manifest"
            } else if (try? SigningKeyBundle(parsing: bytes)) != nil {
                signature = try OperatorTools.signBundle(bytes, with: identity)
                what = "signing-keys bundle"
            } else {
                throw UpdateRefusal(.malformed, "\(file) is neither a manifest nor a signing-keys bundle (\(manifestProblem(bytes)))")
            }
            try write(signature, to: file + ".sig")
            print("signed \(what) \(file) with \(identity.id): \(file).sig")
        } catch let refused as UpdateRefusal {
            throw refuse(refused)
        }
    }

    func manifestProblem(_ bytes: [UInt8]) -> String {
        do { _ = try Manifest(parsing: bytes); return "" } catch { return error.message }
    }
}
