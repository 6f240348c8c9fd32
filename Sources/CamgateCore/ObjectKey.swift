/// The S3 object key of a segment:
/// `<prefix>/<device>/<camera>/<YYYY>/<MM>/<DD>/<file>.ts` (UTC date of
/// the segment's start; no prefix: the key starts at the device).
///
/// Every component is checked here, even those validated elsewhere (camera
/// ids, device ids), because a key is also a path in a presigned URL and in
/// whatever tool later copies the bucket to a disk: a component is 1–255
/// bytes of `A–Z a–z 0–9 . _ -`, not starting with a dot. That refuses `..`,
/// `/` inside a component, control characters, spaces, `%` (no
/// percent-encoded `%2e%2e` or `%2f` survives a later decode) and any
/// non-ASCII look-alike. The whole key is at most 1024 bytes (S3's limit).
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public static let maximumBytes = 1024
    public static let maximumComponentBytes = 255
    public static let fileExtension = ".ts"

    public let rawValue: String

    public init(prefix: String, device: String, camera: CameraID, startMs: Int64, file: String) throws(UploadError) {
        let prefixParts = try ObjectKey.prefixComponents(prefix)
        try ObjectKey.check(device, subject: "device")
        try ObjectKey.check(camera.rawValue, subject: "camera")
        try ObjectKey.check(file, subject: "file")
        guard file.hasSuffix(ObjectKey.fileExtension), file.utf8.count > ObjectKey.fileExtension.utf8.count else {
            throw UploadError(.unsafeKeyComponent, subject: "file", reason: "\(CameraID.quoted(file)) is not a segment file (NAME\(ObjectKey.fileExtension))")
        }
        // Years 1970…9999: four digits, and no date before the epoch.
        guard (0..<253_402_300_800_000).contains(startMs) else {
            throw UploadError(.timeOutOfRange, subject: "start", reason: "\(startMs) ms is outside the years 1970…9999")
        }
        let date = Timestamp.utcDate(milliseconds: startMs).split(separator: "-").map(String.init)
        let key = (prefixParts + [device, camera.rawValue] + date + [file]).joined(separator: "/")
        guard key.utf8.count <= ObjectKey.maximumBytes else {
            throw UploadError(.keyTooLong, subject: "key", reason: "\(key.utf8.count) bytes; S3 takes at most \(ObjectKey.maximumBytes)")
        }
        rawValue = key
    }

    public var description: String { rawValue }

    /// A prefix: empty, or safe components joined by single `/` (no leading,
    /// trailing or doubled slash).
    public static func prefixComponents(_ prefix: String) throws(UploadError) -> [String] {
        if prefix.isEmpty { return [] }
        let parts = prefix.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts {
            guard !part.isEmpty else {
                throw UploadError(.unsafeKeyComponent, subject: "prefix", reason: "\(CameraID.quoted(prefix)) has a leading, trailing or doubled '/'")
            }
            try check(part, subject: "prefix")
        }
        return parts
    }

    /// Why `component` cannot be one level of a key, as an error naming `subject`.
    public static func check(_ component: String, subject: String) throws(UploadError) {
        let bytes = component.utf8
        guard !bytes.isEmpty, bytes.count <= maximumComponentBytes else {
            throw UploadError(.unsafeKeyComponent, subject: subject, reason: "must be 1–\(maximumComponentBytes) bytes (got \(bytes.count))")
        }
        if let bad = component.unicodeScalars.first(where: { !isSafe($0) }) {
            throw UploadError(.unsafeKeyComponent, subject: subject,
                              reason: "\(CameraID.quoted(component)) contains U+\(String(bad.value, radix: 16, uppercase: true)); only letters, digits, '.', '_' and '-' are allowed")
        }
        guard bytes.first != UInt8(ascii: ".") else {
            throw UploadError(.unsafeKeyComponent, subject: subject, reason: "\(CameraID.quoted(component)) starts with '.' ('.' and '..' would climb out of their place)")
        }
    }

    private static func isSafe(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "." || s == "_" || s == "-"
    }
}
