#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NIOCore
import NIOPosix
import Platform

/// The API socket's file: taken over from a dead agent, never from a live
/// one, never replacing anything that is not a socket; 0660 with the
/// `camgate` group so that its members may use the API.
enum SocketFile {
    struct InUse: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "cannot serve the API at \(path): \(reason)" }
    }

    static func takeOver(_ path: String) async throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw InUse(path: path, reason: "a file that is not a socket is in the way; it was left as it is")
        }
        let live: Channel? = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(1))
            .connect(unixDomainSocketPath: path).get()
        if let live {
            try? await live.close()
            throw InUse(path: path, reason: "another agent is serving it")
        }
        // Left by an agent that died: nobody accepts on it.
        _ = try syscall("unlink", path) { unlink(path) }
    }

    /// 0660, and the group `group` when it exists and this process may set it.
    static func restrict(_ path: String, group: String?) throws {
        _ = try syscall("chmod", path) { chmod(path, 0o660) }
        guard let group, let entry = getgrnam(group) else { return }
        let gid = entry.pointee.gr_gid
        _ = chown(path, uid_t.max, gid)  // EPERM when unprivileged: the mode still applies
        _ = chown(FileSystem.parent(of: path), uid_t.max, gid)
    }
}
