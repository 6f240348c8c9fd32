import CamgateCore
import HTTPClient
import OTA
import Platform
import Updater

/// `camgate ota apply URL`: the release directory of ota/README.md fetched
/// over HTTPS (http only on loopback, as every endpoint of the agent) into
/// `ROOT/var/lib/camgate/ota-download/` (0700). The four small documents
/// first (64 KiB each at most); the payload only once the chain verified and
/// this device admits the manifest, with at most `size` bytes taken; a
/// download cut off is resumed from its `.part` file (Range). The directory
/// is removed once the update is staged or refused; only a cut-off payload
/// is kept, for the next try.
struct ReleaseDownload {
    let directory: String
    let transport: HTTPTransport

    init(layout: InstallLayout) throws(SystemError) {
        directory = "\(layout.stateDirectory)/ota-download"
        try FileSystem.createDirectories(directory, mode: 0o700)
        do { transport = try HTTPTransport() } catch { throw SystemError(call: "HTTPTransport", errno: EIO, subject: "\(error)") }
    }

    /// The manifest URL's directory and the files beside it.
    static func base(of url: String) -> String {
        String(url[..<(url.lastIndex(of: "/") ?? url.endIndex)])
    }

    /// manifest.json(.sig) and keys.json(.sig), as local files.
    func documents(_ manifestURL: String) async throws -> ReleaseFiles {
        let base = Self.base(of: manifestURL)
        for name in ["manifest.json", "manifest.json.sig", "keys.json", "keys.json.sig"] {
            let url = name.hasPrefix("manifest") ? manifestURL + (name.hasSuffix(".sig") ? ".sig" : "") : "\(base)/\(name)"
            let (status, body) = try await transport.send(HTTPRequest(method: .GET, endpoint: try Endpoint(parsing: url)),
                                                          limit: OTA.maximumDocumentSize + 1)
            guard status == 200 else { throw UpdateRefusal(.ioError, "GET \(Redactor.redactURL(url)): HTTP \(status)") }
            try FileSystem.writeAtomically("\(directory)/\(name)", body, mode: 0o600)
        }
        return ReleaseFiles(manifest: "\(directory)/manifest.json")
    }

    /// The payload named by a verified, admitted manifest: `size` bytes at
    /// most, resumed from `.part`, then renamed to its final name.
    func payload(_ m: Manifest, manifestURL: String, files: ReleaseFiles) async throws {
        let name = FileSystem.basename(files.payloadPath(for: m))
        let url = "\(Self.base(of: manifestURL))/\(name)"
        let part = "\(directory)/\(name).part"
        let have = FileSystem.exists(part) ? ((try? FileSystem.fileSize(part)) ?? 0) : 0
        let headers = have > 0 && have < m.size ? [("Range", "bytes=\(have)-")] : []
        try Self.checkRoom(directory, needs: m.size - (headers.isEmpty ? 0 : have))
        let request = HTTPRequest(method: .GET, endpoint: try Endpoint(parsing: url), headers: headers)
        try await transport.execute(request, idleTimeout: .seconds(30)) { start, reader in
            let resume = start.status == 206 && !headers.isEmpty
            guard start.status == 200 || resume else { throw UpdateRefusal(.ioError, "GET \(Redactor.redactURL(url)): HTTP \(start.status)") }
            let fd = LibC.open(part, O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? O_APPEND : O_TRUNC), 0o600)
            guard fd >= 0 else { throw SystemError(call: "open", errno: LibC.errno, subject: part) }
            defer { _ = LibC.close(fd) }
            var written = resume ? have : 0
            while let chunk = try await reader.next() {
                written += Int64(chunk.count)
                guard written <= m.size else { throw UpdateRefusal(.sizeMismatch, "payload of \(m.version) is longer than the \(m.size) bytes its manifest says") }
                do { try Self.write(fd, chunk, path: part) } catch let error as SystemError where error.errno == ENOSPC {
                    throw UpdateRefusal(.ioError, "no space left in \(directory) after \(written - Int64(chunk.count)) of the payload's \(m.size) bytes: the partial download is removed")
                }
            }
        }
        _ = try syscall("rename", part) { rename(part, "\(directory)/\(name)") }
    }

    /// Refuses before a byte is fetched when the file system cannot hold the rest of the payload.
    static func checkRoom(_ directory: String, needs bytes: Int64) throws {
        guard let free = try? FileSystem.capacity(of: directory).available, free < bytes else { return }
        throw UpdateRefusal(.ioError, "no space left for the payload in \(directory): it needs \(bytes) bytes, \(free) are free")
    }

    static func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var done = 0
        while done < bytes.count {
            done += try syscall("write", path) { bytes.withUnsafeBytes { LibC.write(fd, $0.baseAddress! + done, bytes.count - done) } }
        }
    }

    /// Removes the directory; a payload cut off (`.part`) stays when `keepPart`.
    func clean(keepPart: Bool) async {
        for name in (try? FileSystem.list(directory)) ?? [] where !(keepPart && name.hasSuffix(".part")) {
            try? FileSystem.remove("\(directory)/\(name)")
        }
        FileSystem.removeDirectoryIfEmpty(directory)
        await transport.shutdown()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
