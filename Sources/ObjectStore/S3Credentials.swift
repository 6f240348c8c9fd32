#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CamgateCore
import Platform

/// The access key pair of a standalone agent, read from the file the
/// config's `s3.credentials_file` names:
/// `{"access_key_id": "...", "secret_access_key": "..."}`.
/// The file must be readable by its owner only (0600 or 0400): the
/// secret never appears in the config, argv, logs or API output.
public struct S3Credentials: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// Why a credentials file cannot be used (its content never quoted).
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "S3 credentials file \(path): \(reason)" }
    }

    public static func load(_ path: String) throws(Problem) -> S3Credentials {
        let status: (mode: mode_t, uid: uid_t, gid: gid_t, kind: FileSystem.FileKind)
        do { status = try FileSystem.status(path, followingLinks: true) } catch {
            throw Problem(path: path, reason: "cannot read it: \(error)")
        }
        guard status.mode & 0o077 == 0 else {
            throw Problem(path: path, reason: "its mode is \(String(status.mode & 0o777, radix: 8)); it holds a secret key and must be 0600 (chmod 600 \(path))")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(try FileSystem.read(path, limit: 16 << 10)) } catch {
            throw Problem(path: path, reason: "not a JSON object with access_key_id and secret_access_key")
        }
        guard let id = json["access_key_id"]?.stringValue, let secret = json["secret_access_key"]?.stringValue,
              isPrintable(id), isPrintable(secret) else {
            throw Problem(path: path, reason: "needs non-empty printable \"access_key_id\" and \"secret_access_key\" strings")
        }
        return S3Credentials(accessKeyID: id, secretAccessKey: secret)
    }

    static func isPrintable(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 256 && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
    }
}
