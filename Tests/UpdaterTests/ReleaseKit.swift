import Foundation
import Platform
import Testing
import TestSupport

/// Runs `camgate` (the real binary) and expects it to succeed.
@discardableResult
func camgate(_ arguments: [String], expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let (code, output) = try runProgram(Repository.camgate, arguments, timeout: .seconds(120))
    #expect(code == status, "camgate \(arguments.joined(separator: " ")) exited \(code): \(output)", sourceLocation: sourceLocation)
    return output
}

/// The host's architecture as releases name it, and the other one.
let hostArch: String = {
    var u = utsname()
    uname(&u)
    let m = withUnsafeBytes(of: u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return m == "arm64" ? "aarch64" : m
}()
let otherArch = hostArch == "x86_64" ? "aarch64" : "x86_64"

/// An operator's desk in a temporary directory, made with the CLI only:
/// a root key, two signing keys (`release-a` listed, `release-b` not), the
/// root-keys file, and bundle serial 1 listing `release-a`, signed.
final class ReleaseKit: @unchecked Sendable {
    let dir = TemporaryDirectory("camgate-ota")
    var keys: String { dir.file("keys") }
    var rootKeysFile: String { "\(keys)/ota-root-keys.json" }

    init() throws {
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        for id in ["root-1", "release-a", "release-b"] {
            try camgate(["ota", "keygen", "--id", id, "--out", "\(keys)/\(id).key"])
        }
        try camgate(["ota", "roots", "--key", "\(keys)/root-1.pub", "--out", rootKeysFile])
        try bundle(serial: 1, keys: ["release-a"], revoked: [], out: "\(keys)/keys.json")
    }

    func bundle(serial: Int, keys ids: [String], revoked: [String], out: String) throws {
        var args = ["ota", "bundle", "--serial", "\(serial)", "--out", out]
        for id in ids { args += ["--key", "\(keys)/\(id).pub"] }
        for id in revoked { args += ["--revoke", id] }
        try camgate(args)
        try camgate(["ota", "sign", "--key", "\(keys)/root-1.key", out])
    }

    /// A small executable standing in for a build (the guard, not the
    /// payload, decides a trial): `#!/bin/sh` and `body`.
    func script(_ name: String, _ body: String) throws -> String {
        let path = dir.file(name)
        try "#!/bin/sh\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    struct Options {
        var version = "0.2.0"
        var arch = hostArch
        var boards: [String] = []
        var minVersion = "0.1.0"
        var key = "release-a"
        var downgrade = false
        /// The manifest describes this file as the binary (default: the one packed).
        var describedBinary: String?
        var bundle: String?
        /// `-9` as ota/README.md says; the trial tests pack the 47 MB debug build with `-1` (seconds, not a minute).
        var xzLevel = "-9"
    }

    /// A release directory: `binary` packed with `xz -9`, its manifest
    /// written and signed with the CLI, the bundle copied beside it.
    func release(_ name: String, binary: String, _ o: Options = Options()) throws -> String {
        let out = dir.file(name)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let payload = "\(out)/camgate-\(o.version)-\(o.arch).xz"
        let xz = try Subprocess.runBlocking("/usr/bin/xz", [o.xzLevel, "-T1", "-k", "-c", binary], timeout: .seconds(300), outputLimit: 256 << 20)
        #expect(xz.succeeded)
        try Data(xz.output).write(to: URL(fileURLWithPath: payload))
        var args = ["ota", "manifest", "--release-version", o.version, "--arch", o.arch, "--min-version", o.minVersion,
                    "--key-id", o.key, "--payload", payload, "--binary", o.describedBinary ?? binary, "--out", "\(out)/manifest.json"]
        for b in o.boards { args += ["--board", b] }
        if o.downgrade { args.append("--downgrade") }
        try camgate(args)
        try camgate(["ota", "sign", "--key", "\(keys)/\(o.key).key", "\(out)/manifest.json"])
        let bundle = o.bundle ?? "\(keys)/keys.json"
        for suffix in ["", ".sig"] { try FileManager.default.copyItem(atPath: bundle + suffix, toPath: "\(out)/keys.json\(suffix)") }
        return out
    }
}

/// A device's install in a temporary root: `version` committed and running.
final class DeviceTree: @unchecked Sendable {
    let dir = TemporaryDirectory("camgate-ota-root")
    var root: String { dir.path }
    var lib: String { "\(root)/usr/lib/camgate" }

    init(version: String = "0.1.0", binary: String) throws {
        try FileManager.default.createDirectory(atPath: "\(lib)/\(version)", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: binary, toPath: "\(lib)/\(version)/camgate")
        for link in ["current", "committed"] { try FileManager.default.createSymbolicLink(atPath: "\(lib)/\(link)", withDestinationPath: version) }
    }

    func link(_ name: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: "\(lib)/\(name)") }

    /// Every path under the root with its type, size, link target and, for
    /// files, a digest of the content: equal listings, nothing changed.
    func listing() throws -> [String] {
        let fm = FileManager.default
        return try fm.subpathsOfDirectory(atPath: root).sorted().map { p in
            let full = "\(root)/\(p)"
            if let target = try? fm.destinationOfSymbolicLink(atPath: full) { return "\(p) -> \(target)" }
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue { return "\(p)/" }
            let data = try Data(contentsOf: URL(fileURLWithPath: full))
            return "\(p) \(data.count) \(data.hashValue)"
        }
    }

    /// `camgate ota SUBCOMMAND --root ROOT …`.
    func ota(_ sub: String, _ args: [String] = [], kit: ReleaseKit? = nil, expect status: Int32 = 0,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        var all = ["ota", sub, "--root", root] + args
        if let kit { all += ["--root-keys", kit.rootKeysFile] }
        return try camgate(all, expect: status, sourceLocation: sourceLocation)
    }

    func state() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/var/lib/camgate/ota.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
