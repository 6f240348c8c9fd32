/// Where a camera's video comes from.
public enum CameraSource: Hashable, Sendable {
    /// A local V4L2 capture node, preferably a stable `/dev/v4l/by-id/…` link.
    case v4l2(device: String)
    /// A network camera. The URL may carry credentials: see `redacted`.
    case rtsp(url: String)
    /// ffmpeg's synthetic lavfi pattern: a camera for boxes with no camera.
    case test(TestPattern)

    /// The RTSP URL of a network camera (nil for other sources).
    public var rtspURL: String? {
        if case .rtsp(let url) = self { url } else { nil }
    }

    public var kind: String {
        switch self {
        case .v4l2: "v4l2"
        case .rtsp: "rtsp"
        case .test: "test"
        }
    }

    /// A description safe for logs and API output (no passwords).
    public var redacted: String {
        switch self {
        case .v4l2(let device): "v4l2 \(device)"
        case .rtsp(let url): "rtsp \(Redactor.redactURL(url))"
        case .test(let pattern): "test \(pattern.pattern) \(pattern.size) @\(pattern.fps)fps"
        }
    }
}

/// The synthetic test camera: one of ffmpeg's lavfi video sources.
public struct TestPattern: Hashable, Sendable {
    /// Sources that take only size and rate. A whitelist: a free-form lavfi
    /// graph could open files (`movie=`) or run arbitrary filters.
    public static let allowedPatterns: Set<String> = [
        "testsrc", "testsrc2", "smptebars", "smptehdbars", "rgbtestsrc",
        "yuvtestsrc", "pal75bars", "pal100bars", "mandelbrot", "life",
    ]

    public var pattern: String
    public var size: Resolution
    public var fps: Int

    public init(pattern: String = "testsrc2", size: Resolution = Resolution(width: 1280, height: 720), fps: Int = 15) throws(ConfigurationError) {
        guard TestPattern.allowedPatterns.contains(pattern) else {
            throw ConfigurationError(field: "pattern", reason: "unknown test pattern \(CameraID.quoted(pattern)); use one of \(TestPattern.allowedPatterns.sorted().joined(separator: ", "))")
        }
        guard (1...60).contains(fps) else {
            throw ConfigurationError(field: "fps", reason: "must be between 1 and 60 (got \(fps))")
        }
        self.pattern = pattern
        self.size = size
        self.fps = fps
    }
}

/// A frame size such as 1280x720.
public struct Resolution: Hashable, Sendable, CustomStringConvertible, Comparable {
    public static let maximumSide = 8192

    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses `WIDTHxHEIGHT`; both even (4:2:0 video), between 16 and 8192.
    public init(parsing text: String) throws(ConfigurationError) {
        let parts = text.split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else {
            throw ConfigurationError(field: "", reason: "expected WIDTHxHEIGHT such as 1280x720 (got \(CameraID.quoted(text)))")
        }
        guard (16...Resolution.maximumSide).contains(w), (16...Resolution.maximumSide).contains(h) else {
            throw ConfigurationError(field: "", reason: "size \(text) is out of range (16…\(Resolution.maximumSide) per side)")
        }
        guard w % 2 == 0, h % 2 == 0 else {
            throw ConfigurationError(field: "", reason: "size \(text) must have even width and height")
        }
        self.init(width: w, height: h)
    }

    public var pixels: Int { width * height }
    public var description: String { "\(width)x\(height)" }

    public static func < (lhs: Resolution, rhs: Resolution) -> Bool {
        (lhs.pixels, lhs.width) < (rhs.pixels, rhs.width)
    }
}

/// Validation of the strings that end up in ffmpeg's argv. No shell ever
/// sees them, but they still must not smuggle options or control characters.
public enum SourceValidation {
    /// A V4L2 device: an absolute path under /dev, no `..`, printable.
    public static func checkDevicePath(_ path: String) throws(ConfigurationError) {
        guard path.hasPrefix("/dev/") else {
            throw ConfigurationError(field: "", reason: "device must be an absolute path under /dev (got \(CameraID.quoted(path)))")
        }
        guard path.utf8.count <= 255 else {
            throw ConfigurationError(field: "", reason: "device path is longer than 255 bytes")
        }
        if path.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            throw ConfigurationError(field: "", reason: "device path must not contain '.' or '..' components (got \(CameraID.quoted(path)))")
        }
        if let bad = path.unicodeScalars.first(where: { $0.value < 0x21 || $0.value == 0x7F }) {
            throw ConfigurationError(field: "", reason: "device path contains a space or control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
    }

    /// A URL for ffmpeg: one of `schemes`, a host, no whitespace or control
    /// characters, at most 2048 bytes.
    public static func checkURL(_ url: String, schemes: Set<String>) throws(ConfigurationError) {
        guard url.utf8.count <= 2048 else {
            throw ConfigurationError(field: "", reason: "URL is longer than 2048 bytes")
        }
        if let bad = url.unicodeScalars.first(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            throw ConfigurationError(field: "", reason: "URL contains whitespace or a control character (U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw ConfigurationError(field: "", reason: "not a URL: expected \(schemes.sorted().joined(separator: " or ")):// (got \(CameraID.quoted(Redactor.redactURL(url))))")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            throw ConfigurationError(field: "", reason: "URL scheme must be \(schemes.sorted().joined(separator: " or ")) (got \(CameraID.quoted(scheme)))")
        }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host: Substring
        if hostPort.hasPrefix("[") {
            host = hostPort.prefix(while: { $0 != "]" })
        } else {
            host = hostPort.split(separator: ":", omittingEmptySubsequences: false).first ?? ""
        }
        guard !host.isEmpty, host != "[" else {
            throw ConfigurationError(field: "", reason: "URL has no host (got \(CameraID.quoted(Redactor.redactURL(url))))")
        }
    }
}
