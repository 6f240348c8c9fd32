import OTA
import Platform

/// Where an installed agent lives (docs/ota.md, "Layout"), under a root
/// that is `/` on a device and a temporary directory in tests:
///
///     <root>/usr/lib/camgate/<version>/camgate   staged binaries
///     <root>/usr/lib/camgate/current   -> <version>   what ExecStart runs
///     <root>/usr/lib/camgate/committed -> <version>   the known-good one: runs guard and check
///     <root>/usr/lib/camgate/previous  -> <version>   the committed one before
///     <root>/var/lib/camgate/ota.json                 UpdateState
///     <root>/var/lib/camgate/ota.json.lock            flock'd around read, step, write
///
/// Links are relative (`current -> 0.2.0`), so a tree works wherever it is
/// mounted (an image, a chroot, a test's directory).
public struct InstallLayout: Sendable {
    public let root: String

    public init(root: String = "/") {
        let r = FileSystem.normalized(FileSystem.absolute(root))
        self.root = r == "/" ? "" : r
    }

    public var library: String { "\(root)/usr/lib/camgate" }
    public var stateDirectory: String { "\(root)/var/lib/camgate" }
    public var stateFile: String { "\(stateDirectory)/ota.json" }
    public var lockFile: String { "\(stateFile).lock" }
    public var rootKeysFile: String { "\(root)/etc/camgate/ota-root-keys.json" }

    public func versionDirectory(_ v: SoftwareVersion) -> String { "\(library)/\(v)" }
    public func binary(_ v: SoftwareVersion) -> String { "\(versionDirectory(v))/camgate" }

    public enum Link: String, Sendable, CaseIterable {
        case current, committed, previous
    }

    public func path(_ link: Link) -> String { "\(library)/\(link.rawValue)" }

    /// The version a link points at (its target's directory name), or nil
    /// when the link is missing or does not name a version.
    public func version(_ link: Link) -> SoftwareVersion? {
        guard let target = try? FileSystem.readLink(path(link)) else { return nil }
        return try? SoftwareVersion(parsing: FileSystem.basename(target))
    }

    /// The version this device counts as installed: `committed`, else
    /// `current` (a layout from before the OTA links), else `fallback`.
    public func installedVersion(fallback: SoftwareVersion) -> SoftwareVersion {
        version(.committed) ?? version(.current) ?? fallback
    }

    /// Points `link` at `version` atomically: a new symlink under a
    /// temporary name renamed over the old one, then the directory synced.
    /// Refused when the version's binary is not there (a link never points
    /// at nothing).
    public func point(_ link: Link, at v: SoftwareVersion) throws(SystemError) {
        let target = binary(v)
        guard FileSystem.exists(target) else { throw SystemError(call: "stat", errno: ENOENT, subject: target) }
        if let old = try? FileSystem.readLink(path(link)), old == v.description { return }
        let temp = "\(path(link)).tmp-\(getpid())"
        try FileSystem.remove(temp)
        _ = try syscall("symlink", temp) { symlink(v.description, temp) }
        do {
            _ = try syscall("rename", path(link)) { rename(temp, path(link)) }
        } catch {
            try? FileSystem.remove(temp)
            throw error
        }
        FileSystem.syncDirectory(of: path(link))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
