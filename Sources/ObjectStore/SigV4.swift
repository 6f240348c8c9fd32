import CamgateCore
import Crypto

/// AWS Signature Version 4 for S3, query-string form (a presigned URL),
/// written by hand: the agent signs only presigned requests (no signed
/// headers but `host`, the payload `UNSIGNED-PAYLOAD`), which is a page of
/// code, where an SDK would be most of the binary. Pure: the time is an
/// argument. Checked against the worked example of the S3 documentation
/// ("Authenticating Requests: Using Query Parameters").
public struct SigV4: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var region: String
    public var service = "s3"

    public init(accessKeyID: String, secretAccessKey: String, region: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.region = region
    }

    /// S3 refuses presigned URLs valid for more than 7 days.
    public static let maximumExpiry: Int64 = 604_800

    /// The query string (without `?`) that presigns `method host path`
    /// with `query` (name → value, unencoded; `uploads` → "" for `?uploads`)
    /// at `nowMs`, valid `expiresSeconds`.
    public func presignedQuery(method: String, hostHeader: String, path: String, query: [(String, String)],
                               nowMs: Int64, expiresSeconds: Int64) -> String {
        let amzDate = SigV4.amzDate(milliseconds: nowMs)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        var params = query
        params.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        params.append(("X-Amz-Credential", "\(accessKeyID)/\(scope)"))
        params.append(("X-Amz-Date", amzDate))
        params.append(("X-Amz-Expires", String(min(max(expiresSeconds, 1), SigV4.maximumExpiry))))
        params.append(("X-Amz-SignedHeaders", "host"))
        let canonicalQuery = SigV4.canonicalQuery(params)
        let canonicalRequest = [method, SigV4.encode(path, keepSlash: true), canonicalQuery,
                                "host:\(hostHeader)\n", "host", "UNSIGNED-PAYLOAD"].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, Hex.encode(SHA256.hash(data: Array(canonicalRequest.utf8)))].joined(separator: "\n")
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(date: String(amzDate.prefix(8)))))
        return canonicalQuery + "&X-Amz-Signature=" + signature
    }

    func signingKey(date: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(secretAccessKey)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Sorted by encoded name, then value; `name=value` joined by `&`.
    static func canonicalQuery(_ params: [(String, String)]) -> String {
        params.map { (encode($0.0, keepSlash: false), encode($0.1, keepSlash: false)) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// RFC 3986 percent-encoding as SigV4 wants it: every byte but
    /// `A–Z a–z 0–9 - _ . ~` (and `/` in a path), upper-case hex.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Unicode.Scalar(byte)
            if ("A"..."Z").contains(c) || ("a"..."z").contains(c) || ("0"..."9").contains(c) || "-_.~".unicodeScalars.contains(c)
                || (keepSlash && c == "/") {
                out.unicodeScalars.append(c)
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `20130524T000000Z`.
    public static func amzDate(milliseconds ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 * 1000 : (ms - 999) / 1000 * 1000
        return String(Timestamp.rfc3339(milliseconds: seconds).filter { $0 != "-" && $0 != ":" })
    }
}

/// Lower-case hex.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
