import CamgateCore
import Platform

/// A child's log file: its tail becomes the camera's last error, and its
/// size is capped (copy-truncate: the child appends with O_APPEND, so after
/// a truncation it simply writes at the new end).
public enum LogFile {
    /// The last `count` non-empty lines, with credentials redacted (unless
    /// `redacted` is false: for matching in memory, never to be stored).
    public static func lastLines(_ path: String, count: Int = 5, scanBytes: Int = 8192, redacted: Bool = true) -> [String] {
        guard let bytes = try? FileSystem.tail(path, bytes: scanBytes) else { return [] }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters() }
            .filter { !$0.isEmpty }
        return lines.suffix(count).map { redacted ? Redactor.redact(String($0)) : String($0) }
    }

    /// When the log is over `maxBytes`, keeps its last half in `path.1` and
    /// empties it. Returns true when it rotated.
    @discardableResult
    public static func enforceCap(_ path: String, maxBytes: Int64) -> Bool {
        guard let size = try? FileSystem.fileSize(path), size > maxBytes else { return false }
        if let tail = try? FileSystem.tail(path, bytes: Int(maxBytes / 2)) {
            try? FileSystem.writeAtomically(path + ".1", tail, mode: 0o600)
        }
        return truncate(path, 0) == 0
    }
}

extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
