/// Removes secrets from text that goes to logs, the store's error columns and
/// API output: passwords in URL userinfo, RTMP stream keys and query strings
/// (tokens, pre-signed upload signatures).
public enum Redactor {
    public static let mask = "***"

    /// Redacts one URL.
    ///
    ///     rtsp://admin:secret@10.0.0.5/stream  →  rtsp://admin:***@10.0.0.5/stream
    ///     rtmp://live.example/app/streamkey    →  rtmp://live.example/app/***
    ///     https://bucket/obj?X-Amz-Signature=… →  https://bucket/obj?***
    public static func redactURL(_ url: String) -> String {
        guard let sep = url.firstRange(of: "://") else { return url }
        let scheme = url[..<sep.lowerBound].lowercased()
        var rest = Substring(url[sep.upperBound...])

        var fragment = ""
        if let hash = rest.firstIndex(of: "#") {
            fragment = "#" + mask
            rest = rest[..<hash]
        }
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = "?" + mask
            rest = rest[..<q]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        var path = String(rest[authorityEnd...])

        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            let host = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                authority = "\(userinfo[..<colon]):\(mask)@\(host)"
            } else {
                authority = "\(mask)@\(host)"
            }
        }
        if scheme.hasPrefix("rtmp") || scheme == "srt" {
            // rtmp://host/app/KEY: the last component is the stream key.
            var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            if components.count >= 3, !(components.last ?? "").isEmpty {
                components[components.count - 1] = mask
                path = components.joined(separator: "/")
            }
        }
        return "\(url[..<sep.upperBound])\(authority)\(path)\(query)\(fragment)"
    }

    /// Redacts every URL found in free text (an ffmpeg log line, an error).
    public static func redact(_ text: String) -> String {
        guard text.contains("://") else { return text }
        var output = ""
        var remaining = Substring(text)
        while let sep = remaining.firstRange(of: "://") {
            // Walk back over the scheme.
            var start = sep.lowerBound
            while start > remaining.startIndex {
                let previous = remaining.index(before: start)
                let c = remaining[previous]
                guard c.isASCII, c.isLetter || c.isNumber || c == "+" || c == "-" || c == "." else { break }
                start = previous
            }
            var end = sep.upperBound
            while end < remaining.endIndex, !isURLTerminator(remaining[end]) { end = remaining.index(after: end) }
            output += remaining[..<start]
            if start == sep.lowerBound {
                output += remaining[start..<end]
            } else {
                output += redactURL(String(remaining[start..<end]))
            }
            remaining = remaining[end...]
        }
        output += remaining
        return output
    }

    private static func isURLTerminator(_ c: Character) -> Bool {
        c.isWhitespace || c == "\"" || c == "'" || c == "<" || c == ">" || c == "`"
    }
}
