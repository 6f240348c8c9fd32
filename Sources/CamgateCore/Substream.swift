/// A camera's motion substream, when it fails (docs/motion-design.md,
/// "Substream"). Pure: the agent says what it saw.
public enum Substream {
    /// How ffmpeg's log names the stream: the URL as given, less its scheme
    /// and credentials (`host:port/path?query`), which the log's redaction
    /// may have changed.
    public static func logName(_ url: String) -> String {
        let rest = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let at = rest[..<authorityEnd].lastIndex(of: "@").map { rest.index(after: $0) } ?? rest.startIndex
        return String(rest[at...])
    }

    /// Whether a recorder's last log lines blame the substream: ffmpeg
    /// opens its inputs in order and names the one it could not open
    /// ("[error] rtsp://cam/sub: Connection refused"); a main stream that
    /// fails first never lets it reach the substream.
    public static func isBlamed(_ url: String, logTail: [String]) -> Bool {
        let name = logName(url) + ": "
        return logTail.contains { $0.contains(name) }
    }
}
