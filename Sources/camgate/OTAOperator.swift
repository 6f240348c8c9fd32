import ArgumentParser
import CamgateCore
import OTA
import Platform
import Updater

/// `camgate ota …`: the operator's tools (keygen, bundle, roots, manifest,
/// sign, verify) and the device's side (apply, status, guard, exited,
/// check, rollback). docs/ota.md and ota/README.md.
struct OTACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ota",
        abstract: "Signed updates: make keys and releases, apply one, and the trial's guard, check and rollback.",
        discussion: """
        Exit codes: 0; 1 a file could not be read or written; 2 refused (the machine \
        code and the reason on stderr: wrong_signature, unknown_key, downgrade, …).
        """,
        subcommands: [OTAKeygen.self, OTABundle.self, OTARoots.self, OTAManifest.self, OTASign.self, OTAVerify.self,
                      OTAApply.self, OTARequest.self, OTAStatus.self, OTAGuard.self, OTAExited.self, OTACheck.self, OTARollback.self]
    )
}

/// Reads a file for an `ota` command, or fails with exit 1 naming it.
func readOTAFile(_ path: String, limit: Int = OTA.maximumDocumentSize + 1) throws -> [UInt8] {
    do { return try FileSystem.read(path, limit: limit) } catch { throw fail("cannot read \(path): \(error)", code: 1) }
}

/// A refusal: `camgate: refused: CODE: reason` on stderr, exit 2 (1 for io_error).
func refuse(_ refusal: UpdateRefusal) -> ExitCode {
    printError("camgate: refused: \(refusal.code.rawValue): \(refusal.message)")
    return ExitCode(refusal.code == .ioError ? 1 : 2)
}

struct OTAKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key: the private key file (0600, never overwritten) and ID.pub beside it.",
        discussion: "Keep root keys offline. The .pub file is the public entry a bundle or a root-keys file lists."
    )

    @Option(name: .long, help: "The key id (letters, digits, '.', '_', '-'), e.g. root-2026 or release-2026a.") var id: String
    @Option(name: .long, help: "The private key file to create (refused when it exists).") var out: String

    func run() throws {
        let identity: SigningIdentity
        do { identity = try OperatorTools.keygen(id: id) } catch { throw refuse(error) }
        let pub = out.hasSuffix(".key") ? String(out.dropLast(4)) + ".pub" : out + ".pub"
        do {
            try FileSystem.createNew(out, identity.privateKeyFile, mode: 0o600)
        } catch {
            throw fail("cannot create \(out): \(error)\(error.errno == EEXIST ? " (a key is never overwritten)" : "")", code: 1)
        }
        do { try FileSystem.writeAtomically(pub, identity.publicKeyEntry, mode: 0o644) } catch { throw fail("cannot write \(pub): \(error)", code: 1) }
        print("private key \(out) (0600), public entry \(pub):")
        print(String(decoding: identity.publicKeyEntry, as: UTF8.self), terminator: "")
    }
}

struct OTABundle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Write a signing-keys bundle (then sign it with a root key).")

    @Option(name: .long, help: "Serial, above the last bundle's (devices refuse an older one).") var serial: Int64
    @Option(name: .long, help: "A signing key's .pub file (repeat).") var key: [String] = []
    @Option(name: .long, help: "A revoked key id (repeat).") var revoke: [String] = []
    @Option(name: .long, help: "The bundle file to write (keys.json).") var out: String

    func run() throws {
        do {
            let keys = try key.map { path throws in try OperatorTools.publicEntry(try readOTAFile(path)) }
            let bytes = try OperatorTools.bundleFile(serial: serial, keys: keys, revoked: Set(revoke))
            try write(bytes, to: out)
        } catch let refused as UpdateRefusal {
            throw refuse(refused)
        }
        print("wrote \(out): serial \(serial), keys \(key.count), revoked \(revoke.count)")
    }
}

struct OTARoots: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roots", abstract: "Write a root-keys file (/etc/camgate/ota-root-keys.json) from root .pub files.")

    @Option(name: .long, help: "A root key's .pub file (repeat).") var key: [String] = []
    @Option(name: .long, help: "The file to write.") var out: String

    func run() throws {
        do {
            let keys = try key.map { path throws in try OperatorTools.publicEntry(try readOTAFile(path)) }
            try write(try OperatorTools.rootKeysFile(keys), to: out)
        } catch let refused as UpdateRefusal {
            throw refuse(refused)
        }
        print("wrote \(out): \(key.count) root key(s)")
    }
}

func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
    do { try FileSystem.writeAtomically(path, bytes, mode: mode) } catch { throw fail("cannot write \(path): \(error)", code: 1) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
