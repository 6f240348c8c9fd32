/// The few S3 XML documents an uploader reads and writes: the body of
/// CompleteMultipartUpload, the upload id of CreateMultipartUpload, the
/// ETag of a completed upload and the code of an `<Error>`. S3's answers
/// are flat and machine-written; a tag lookup is enough and no XML parser
/// comes into the binary.
public enum S3XML {
    /// `<CompleteMultipartUpload>` with the parts in ascending order and
    /// their ETags as S3 sent them.
    public static func completeBody(_ parts: [(number: Int, etag: String)]) -> String {
        var body = #"<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>"#
        for part in parts.sorted(by: { $0.number < $1.number }) {
            body += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(escape(part.etag))</ETag></Part>"
        }
        return body + "</CompleteMultipartUpload>"
    }

    /// The text of the first `<tag>…</tag>`, entities decoded; nil without one.
    public static func value(of tag: String, in body: String) -> String? {
        guard let open = body.firstRange(of: "<\(tag)>"),
              let close = body[open.upperBound...].firstRange(of: "</\(tag)>") else { return nil }
        return unescape(String(body[open.upperBound..<close.lowerBound]))
    }

    /// The `<Code>` of an `<Error>` document (S3 may send one with a 200
    /// to CompleteMultipartUpload); nil when the body is no error.
    public static func errorCode(in body: String) -> String? {
        guard body.contains("<Error>") else { return nil }
        return value(of: "Code", in: body) ?? "UnknownError"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = text
        for (entity, char) in [("&quot;", "\""), ("&#34;", "\""), ("&apos;", "'"), ("&#39;", "'"), ("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")] {
            out = out.replacing(entity, with: char)
        }
        return out
    }
}
