import CamgateCore

/// Where everything lives in the data directory:
///
///     DIR/camgate.db                                  SQLite state
///     DIR/camgate.lock                                one agent per directory
///     DIR/reserve                                     4 MiB kept for the database, released on a full disk
///     DIR/recordings/<camera>/<YYYY-MM-DD>/<YYYYMMDDTHHMMSSZ>.ts
///     DIR/run/<camera>/segments.csv                   ffmpeg's list of finished segments
///     DIR/run/<camera>/latest.jpg                     refreshed about once a second
///     DIR/run/<camera>/motion.log                     the recorder's motion samples (motion on), tailed by the agent
///     DIR/logs/<camera>.<role>.log                    a child's stderr, size-capped
public struct DataLayout: Hashable, Sendable {
    /// Absolute, normalized path of the data directory.
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var database: String { "\(root)/camgate.db" }
    public var lockFile: String { "\(root)/camgate.lock" }
    public var reserveFile: String { "\(root)/reserve" }
    public var recordingsRoot: String { "\(root)/recordings" }
    public var runRoot: String { "\(root)/run" }
    public var logsRoot: String { "\(root)/logs" }

    public func recordings(_ camera: CameraID) -> String { "\(recordingsRoot)/\(camera)" }
    public func day(_ camera: CameraID, date: String) -> String { "\(recordings(camera))/\(date)" }
    public func run(_ camera: CameraID) -> String { "\(runRoot)/\(camera)" }
    public func segmentList(_ camera: CameraID) -> String { "\(run(camera))/segments.csv" }
    public func latestSnapshot(_ camera: CameraID) -> String { "\(run(camera))/latest.jpg" }
    /// A fixed name, so the recorder's command (its fingerprint) is the same
    /// at every reconcile. ffmpeg opens it with O_TRUNC: the agent reads a
    /// recorder's file to its end and removes it before starting the next.
    public func motionLog(_ camera: CameraID) -> String { "\(run(camera))/motion.log" }
    public func log(_ camera: CameraID, role: WorkloadRole) -> String { "\(logsRoot)/\(camera).\(role.rawValue).log" }

    /// ffmpeg's strftime output pattern for a camera's segments. A `%` in the
    /// data directory's own path is escaped so strftime leaves it alone.
    public func segmentPattern(_ camera: CameraID) -> String {
        let escaped = recordings(camera).replacingAll("%", with: "%%")
        return "\(escaped)/%Y-%m-%d/%Y%m%dT%H%M%SZ.\(SegmentName.fileExtension)"
    }

    /// Characters that would need escaping in ffmpeg's tee syntax (used
    /// when MediaMTX gets a relay copy): such a data directory is refused.
    public var teeProblem: String? {
        let bad = root.filter { "\\':[]|=".contains($0) }
        return bad.isEmpty ? nil : "the data directory \(root) contains \(String(Set(bad)).debugDescription), which ffmpeg's tee output cannot take; choose another path"
    }

    /// The absolute path of a segment given its file name.
    public func segmentPath(_ camera: CameraID, name: String) -> String? {
        guard let startMs = SegmentName.startMilliseconds(name) else { return nil }
        return "\(day(camera, date: Timestamp.utcDate(milliseconds: startMs)))/\(name)"
    }
}

/// Segment file names: the UTC start time, `20261122T103000Z.ts`. The name
/// is the record of when the segment began (ffmpeg expands it with strftime
/// at the moment it opens the file, with TZ=UTC).
public enum SegmentName {
    public static let fileExtension = "ts"

    public static func startMilliseconds(_ name: String) -> Int64? {
        let u = Array(name.utf8)
        guard u.count == 16 + 1 + fileExtension.utf8.count, u[8] == UInt8(ascii: "T"), u[15] == UInt8(ascii: "Z"),
              name.hasSuffix(".\(fileExtension)") else { return nil }
        let d = String(decoding: u[0..<8], as: UTF8.self), t = String(decoding: u[9..<15], as: UTF8.self)
        guard d.allSatisfy(\.isASCIIDigit), t.allSatisfy(\.isASCIIDigit) else { return nil }
        let text = "\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))T\(t.prefix(2)):\(t.dropFirst(2).prefix(2)):\(t.suffix(2))Z"
        return Timestamp.parseRFC3339(text)
    }

    public static func name(startMilliseconds ms: Int64) -> String {
        let iso = Timestamp.rfc3339(milliseconds: ms / 1000 * 1000) // 2026-11-22T10:30:00Z
        let digits = iso.filter { $0 != "-" && $0 != ":" }           // 20261122T103000Z
        return "\(digits).\(fileExtension)"
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
