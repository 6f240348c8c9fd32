/// Resuming a multipart upload from the ETags stored as parts completed
/// (after an agent restart, an outage, a 5xx or an expired presign): only
/// the missing or wrongly answered parts are sent again.
extension MultipartPlan {
    /// A part S3 acknowledged, as CompleteMultipartUpload lists it.
    public struct CompletedPart: Hashable, Sendable {
        public var number: Int
        /// As S3 sent it (quotes included): Complete must repeat it.
        public var etag: String

        public init(number: Int, etag: String) {
            self.number = number
            self.etag = etag
        }
    }

    public struct Resume: Hashable, Sendable {
        /// In part-number order.
        public var toSend: [Part]
        /// Parts whose stored ETag holds, in part-number order.
        public var completed: [CompletedPart]

        /// Everything is there: CompleteMultipartUpload may be sent.
        public var readyToComplete: Bool { toSend.isEmpty }
    }

    /// - Parameters:
    ///   - stored: part number → the ETag S3 answered, stored as each part completed.
    ///   - md5: part number → the hex MD5 of the part's bytes, when the
    ///     uploader computed it while sending; a stored ETag that is an MD5
    ///     and differs is a wrong answer, and the part is sent again.
    public func resume(stored: [Int: String], md5: [Int: String] = [:]) -> Resume {
        var toSend: [Part] = []
        var completed: [CompletedPart] = []
        for part in parts {
            guard let etag = stored[part.number], PartETag.verdict(etag: etag, md5Hex: md5[part.number]) != .mismatch else {
                toSend.append(part)
                continue
            }
            completed.append(CompletedPart(number: part.number, etag: etag))
        }
        return Resume(toSend: toSend, completed: completed)
    }
}

/// Whether a part's ETag is the answer for the bytes sent.
///
/// S3 documents an ETag as opaque: it is the MD5 of the data for a plain
/// PUT or part on an unencrypted (or SSE-S3) bucket, and something else
/// (more or fewer than 32 hex digits, or other characters) otherwise. So an
/// ETag that looks like an MD5 is checked, and any other non-empty one is
/// taken as it is.
public enum PartETag {
    public enum Verdict: Hashable, Sendable {
        /// An MD5 equal to the part's.
        case matches
        /// Not an MD5 (SSE-KMS, another store), or no MD5 to compare with: accepted.
        case opaque
        /// Empty, or an MD5 of other bytes: the part must be sent again.
        case mismatch
    }

    public static func verdict(etag: String, md5Hex: String?) -> Verdict {
        let tag = normalized(etag)
        if tag.isEmpty { return .mismatch }
        guard isMD5(tag), let md5Hex else { return .opaque }
        return tag == md5Hex.lowercased() ? .matches : .mismatch
    }

    /// Whether S3's ETag for what it just stored is the MD5 of the bytes,
    /// from the answer's headers: not under SSE-KMS (`aws:kms`,
    /// `aws:kms:dsse`) nor SSE-C (a customer key algorithm), whose ETags
    /// are 32 hex digits all the same (AWS S3 API reference, "Common
    /// Response Headers": ETag). SSE-S3 (`AES256`) keeps the MD5.
    public static func isMD5(serverSideEncryption: String?, customerKeyAlgorithm: String?) -> Bool {
        if customerKeyAlgorithm != nil { return false }
        return !(serverSideEncryption ?? "").lowercased().hasPrefix("aws:kms")
    }

    /// Without the quotes S3 puts around it (and a weak `W/` prefix), lowercase.
    public static func normalized(_ etag: String) -> String {
        var tag = Substring(etag)
        if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
        if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") { tag = tag.dropFirst().dropLast() }
        return tag.lowercased()
    }

    static func isMD5(_ tag: String) -> Bool {
        tag.utf8.count == 32 && tag.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
