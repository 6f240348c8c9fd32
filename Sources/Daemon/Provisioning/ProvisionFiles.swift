#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import CloudLink
import Platform

/// A provisioning failure: what went wrong and the exit code (sysexits:
/// 64 usage, 65 bad input, 73 cannot write, 69/76/77 from enrollment).
public struct ProvisionError: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String

    public init(_ code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func badInput(_ message: String) -> ProvisionError { ProvisionError(65, message) }
    public static func cannotWrite(_ message: String) -> ProvisionError { ProvisionError(73, message) }
}

/// The files provisioning reads and writes. Paths are the device's; with a
/// `root` (an image being built) each lives under it.
public struct ProvisionPaths: Sendable {
    public var root: String
    public var config: String
    public var tokenOut: String
    public var dataDir: String

    public init(root: String?, config: String, tokenOut: String, dataDir: String) throws(ProvisionError) {
        for (name, path) in [("--config", config), ("--token-out", tokenOut), ("--data-dir", dataDir)] {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains(".."), !path.contains("\0") else {
                throw ProvisionError(64, "\(name) must be an absolute path without '..' (got \(CameraID.quoted(path)))")
            }
        }
        if let root {
            guard FileSystem.isDirectory(root) else { throw ProvisionError(64, "--root \(CameraID.quoted(root)) is not a directory") }
        }
        let cleanRoot = FileSystem.absolute(root ?? "/")
        self.root = cleanRoot == "/" ? "" : cleanRoot
        self.config = config
        self.tokenOut = tokenOut
        self.dataDir = dataDir
    }

    /// Where a device path is on this system.
    public func onDisk(_ devicePath: String) -> String { root + devicePath }
}

/// The enrollment token: from a file only its owner can read, or from the
/// environment. Never from argv.
public enum EnrollmentTokenSource {
    public static let environmentVariable = "CAMGATE_ENROLLMENT_TOKEN"

    public static func read(file: String?, environment: String?) throws(ProvisionError) -> String {
        guard let file else {
            guard let value = environment, !value.isEmpty else {
                throw ProvisionError(64, "no enrollment token: give --token-file FILE (mode 0600) or set \(environmentVariable)")
            }
            return try validated(value.trimmingWhitespace(), from: environmentVariable)
        }
        let status: (mode: mode_t, uid: uid_t, gid: gid_t, kind: FileSystem.FileKind)
        do { status = try FileSystem.status(file, followingLinks: true) } catch {
            throw .badInput("cannot read the enrollment token file \(file): \(error.message)")
        }
        guard status.kind == .regular else {
            throw .badInput("the enrollment token file \(file) is \(status.kind.rawValue), not a regular file")
        }
        guard status.mode & 0o077 == 0 else {
            throw .badInput("the enrollment token file \(file) is readable by others (mode \(String(status.mode, radix: 8))): a token must be private; run chmod 600 \(file)")
        }
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(file, limit: 4097) } catch {
            throw .badInput("cannot read the enrollment token file \(file): \(error.message)")
        }
        return try validated(String(decoding: bytes, as: UTF8.self).trimmingWhitespace(), from: file)
    }

    static func validated(_ token: String, from source: String) throws(ProvisionError) -> String {
        guard Enrollment.isToken(token) else {
            throw .badInput("the enrollment token in \(source) must be one line of 8–4096 visible ASCII characters")
        }
        return token
    }
}

/// Who owns the device token and the configuration: the agent's user.
public struct FileOwner: Sendable, Equatable {
    public var uid: uid_t
    public var gid: gid_t
    public var name: String

    /// `spec`: a user name (looked up in ROOT/etc/passwd) or `UID:GID`. Without
    /// one: the `camgate` user when it exists and this process is root, else
    /// nobody (files stay the caller's).
    public static func resolve(_ spec: String?, root: String) throws(ProvisionError) -> FileOwner? {
        let passwd = (try? FileSystem.readText(root + "/etc/passwd", limit: 4 << 20)) ?? ""
        guard let spec else {
            guard geteuid() == 0 else { return nil }
            return lookup("camgate", passwd: passwd)
        }
        let numeric = spec.split(separator: ":", omittingEmptySubsequences: false)
        if numeric.count == 2, let uid = UInt32(numeric[0]), let gid = UInt32(numeric[1]) {
            return FileOwner(uid: uid, gid: gid, name: spec)
        }
        guard let owner = lookup(spec, passwd: passwd) else {
            throw .badInput("--owner \(CameraID.quoted(spec)): no such user in \(root)/etc/passwd (give a user name or UID:GID)")
        }
        return owner
    }

    static func lookup(_ name: String, passwd: String) -> FileOwner? {
        for line in passwd.split(separator: "\n") {
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            if f.count >= 4, f[0] == name, let uid = UInt32(f[2]), let gid = UInt32(f[3]) {
                return FileOwner(uid: uid, gid: gid, name: name)
            }
        }
        return nil
    }
}
