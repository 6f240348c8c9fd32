import OTA
import Platform

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Verifies a release's `.xz` against its manifest, decompresses it with
/// `xz -dc` (a child process, argv only, the verified file as its stdin)
/// into `<version>/camgate.partial-<pid>`, capping the output at
/// `binary_size` and checking `binary_sha256` as it streams, then renames it
/// to `<version>/camgate`. Any failure removes the partial file, and the
/// version's directory when this call made it.
public struct PayloadStager: Sendable {
    public let layout: InstallLayout
    /// The xz program (`Executables.find("xz")`).
    public let xz: String

    public init(layout: InstallLayout, xz: String) {
        self.layout = layout
        self.xz = xz
    }

    /// Checks the payload's size and SHA-256 (read in chunks from one open
    /// descriptor), then stages the binary; the staged binary's path.
    public func stage(_ m: Manifest, payload: String) throws(UpdateError) -> String {
        let fd = open(payload, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UpdateError(SystemError(call: "open", errno: errno, subject: payload), "reading the payload") }
        defer { close(fd) }
        try verifyPayload(fd, m, path: payload)
        let directory = layout.versionDirectory(m.version)
        let created = !FileSystem.isDirectory(directory)
        let partial = "\(directory)/camgate.partial-\(getpid())"
        do throws(UpdateError) {
            do { try FileSystem.createDirectories(directory, mode: 0o755) } catch { throw UpdateError(error, "creating \(directory)") }
            try decompress(fd, m, into: partial)
            let binary = layout.binary(m.version)
            do { _ = try syscall("rename", binary) { rename(partial, binary) } } catch { throw UpdateError(error, "staging \(m.version)") }
            FileSystem.syncDirectory(of: binary)
            return binary
        } catch {
            try? FileSystem.remove(partial)
            if created { FileSystem.removeDirectoryIfEmpty(directory) }
            throw error
        }
    }

    /// Removes what an apply killed while staging left (`kill -9`, a power
    /// cut): `camgate.partial-PID` files whose process is gone, then the
    /// version directories left empty that no link names. Run before staging.
    public func sweep() -> [String] {
        var removed: [String] = []
        let linked = Set(InstallLayout.Link.allCases.compactMap { layout.version($0)?.description })
        for name in (try? FileSystem.list(layout.library)) ?? [] where !name.hasPrefix(".") && !linked.contains(name) {
            let directory = "\(layout.library)/\(name)"
            guard FileSystem.isDirectory(directory), (try? FileSystem.readLink(directory)) == nil else { continue }
            for file in (try? FileSystem.list(directory)) ?? [] where file.hasPrefix("camgate.partial-") {
                guard let pid = Int32(file.dropFirst("camgate.partial-".count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
                if (try? FileSystem.remove("\(directory)/\(file)")) != nil { removed.append("\(directory)/\(file)") }
            }
            if FileSystem.removeDirectoryIfEmpty(directory) { removed.append(directory) }
        }
        return removed
    }

    /// Checks the payload only (`camgate ota verify`).
    public func check(_ m: Manifest, payload: String) throws(UpdateError) {
        let fd = open(payload, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw UpdateError(SystemError(call: "open", errno: errno, subject: payload), "reading the payload") }
        defer { close(fd) }
        try verifyPayload(fd, m, path: payload)
    }

    /// Reads the `.xz` with pread (the descriptor's offset stays at 0 for
    /// xz) against the manifest's `size` and `sha256`.
    func verifyPayload(_ fd: Int32, _ m: Manifest, path: String) throws(UpdateError) {
        var check = PayloadCheck(payloadOf: m)
        var offset: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        do {
            try check.verify {
                let n = try syscall("pread", path) { buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) } }
                offset += Int64(n)
                return Array(buffer[0..<n])
            }
        } catch let refused as UpdateRefusal {
            throw UpdateError(refused)
        } catch let error as SystemError {
            throw UpdateError(error, "reading the payload")
        } catch {
            throw UpdateError(UpdateRefusal(.ioError, "reading the payload: \(error)"))
        }
    }

    /// `xz -dc -qq` with the verified payload as stdin; each chunk of output
    /// is checked (a chunk past `binary_size` stops xz: no bomb) and written.
    func decompress(_ payloadFD: Int32, _ m: Manifest, into partial: String) throws(UpdateError) {
        let out = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw UpdateError(SystemError(call: "open", errno: errno, subject: partial), "staging \(m.version)") }
        defer { close(out) }
        var check = PayloadCheck(binaryOf: m)
        let result: Subprocess.StreamResult
        do {
            result = try Subprocess.stream(xz, ["-dc", "-qq"], stdin: payloadFD) { chunk in
                try check.update(chunk)
                try Self.writeAll(out, chunk, path: partial)
            }
        } catch let refused as UpdateRefusal {
            throw UpdateError(refused)
        } catch let error as SystemError {
            throw UpdateError(error, "decompressing the payload of \(m.version)")
        } catch {
            throw UpdateError(UpdateRefusal(.ioError, "decompressing the payload of \(m.version): \(error)"))
        }
        guard result.exitCode == 0 else {
            let how = result.exitCode.map { "exited \($0)" } ?? "was killed by signal \(result.signal ?? 0)"
            throw UpdateError(UpdateRefusal(.malformed, "payload of \(m.version): \(xz) -dc \(how) (not a whole xz stream)"))
        }
        do { try check.finish() } catch { throw UpdateError(error) }
        do {
            _ = try syscall("fchmod", partial) { fchmod(out, 0o755) }
            _ = try syscall("fsync", partial) { fsync(out) }
        } catch {
            throw UpdateError(error, "staging \(m.version)")
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            written += try syscall("write", path) { bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) } }
        }
    }
}
