/// A camera's motion substream, when it fails (docs/motion-design.md,
/// "Substream"). Pure: the agent says what it saw.
public enum Substream {
    /// Whether a recorder's last log lines, as ffmpeg wrote them (not
    /// redacted: redaction masks a query string, and a camera's two streams
    /// may differ only there), blame the substream: ffmpeg opens its inputs
    /// in order and names the one it could not open, as it was given
    /// ("[error] rtsp://cam/sub?ch=1: Connection refused"); a main stream
    /// that fails first never lets it reach the substream.
    public static func isBlamed(_ url: String, rawLogTail: [String]) -> Bool {
        let name = url + ": "
        return rawLogTail.contains { $0.contains(name) }
    }

    /// The substream a recorder's command line reads: its second input.
    public static func input(ofCommandLine argv: [String]) -> String? {
        let inputs = argv.indices.filter { argv[$0] == "-i" && $0 + 1 < argv.count }.map { argv[$0 + 1] }
        return inputs.count >= 2 ? inputs[1] : nil
    }
}
