/// S3's limits for one object (Amazon S3 user guide, "Amazon S3 multipart
/// upload limits"): parts of 5 MiB to 5 GiB, the last one may be smaller;
/// part numbers 1…10,000; a single PUT of at most 5 GiB. The object limit
/// is the long-standing 5 TiB (newer AWS pages say more; other
/// S3-compatible stores do not).
public enum S3Limits {
    public static let mebibyte: Int64 = 1 << 20
    public static let minimumPartSize: Int64 = 5 << 20
    public static let maximumPartSize: Int64 = 5 << 30
    public static let maximumParts = 10_000
    public static let maximumSinglePut: Int64 = 5 << 30
    public static let maximumObjectSize: Int64 = 5 << 40
}

/// How one file goes to S3: a single PUT, or a multipart upload.
public enum UploadPlan: Hashable, Sendable {
    case single(size: Int64)
    case multipart(MultipartPlan)

    /// 8 MiB parts: small enough that an outage re-sends little, large
    /// enough that a 30-minute segment needs a few hundred requests at most.
    public static let defaultPartSize: Int64 = 8 << 20
    /// Files up to this size go in one PUT: a multipart upload of one part
    /// costs three requests for nothing.
    public static let defaultSinglePutLimit: Int64 = 8 << 20

    /// The plan for a file of `size` bytes. The part size grows (in MiB
    /// steps) when `partSize` would need more than 10,000 parts.
    public static func forFile(size: Int64, partSize: Int64 = defaultPartSize,
                               singlePutLimit: Int64 = defaultSinglePutLimit) throws(UploadError) -> UploadPlan {
        guard size >= 0 else { throw UploadError(.invalidSize, subject: "file", reason: "size \(size) is negative") }
        if size <= min(singlePutLimit, S3Limits.maximumSinglePut) { return .single(size: size) }
        let grown = MultipartPlan.partSize(for: size, preferred: partSize)
        return .multipart(try MultipartPlan(size: size, partSize: grown))
    }
}

/// A multipart upload's parts: numbers from 1, contiguous byte ranges, all
/// `partSize` long except the last. Made by the device (`UploadPlan`) or
/// checked when the cloud sends one (`part_size`).
public struct MultipartPlan: Hashable, Sendable {
    public struct Part: Hashable, Sendable {
        /// 1-based, as S3 numbers parts.
        public var number: Int
        public var offset: Int64
        public var length: Int64

        public init(number: Int, offset: Int64, length: Int64) {
            self.number = number
            self.offset = offset
            self.length = length
        }
    }

    public let size: Int64
    public let partSize: Int64
    public let partCount: Int

    /// A plan with exactly this part size, checked against S3's rules.
    public init(size: Int64, partSize: Int64) throws(UploadError) {
        guard size > 0 else { throw UploadError(.invalidSize, subject: "file", reason: "a multipart upload needs at least one byte (size \(size))") }
        guard size <= S3Limits.maximumObjectSize else {
            throw UploadError(.objectTooLarge, subject: "file", reason: "\(size) bytes is more than one S3 object may hold (\(S3Limits.maximumObjectSize))")
        }
        guard (S3Limits.minimumPartSize...S3Limits.maximumPartSize).contains(partSize) else {
            throw UploadError(.partSizeOutOfRange, subject: "part_size", reason: "\(partSize) bytes is outside S3's 5 MiB…5 GiB")
        }
        let count = (size + partSize - 1) / partSize
        guard count <= S3Limits.maximumParts else {
            throw UploadError(.tooManyParts, subject: "part_size", reason: "\(partSize)-byte parts make \(count) parts of a \(size)-byte file; S3 takes at most \(S3Limits.maximumParts)")
        }
        self.size = size
        self.partSize = partSize
        self.partCount = Int(count)
    }

    /// `preferred`, or the smallest whole number of MiB that fits `size` in
    /// 10,000 parts when `preferred` does not.
    public static func partSize(for size: Int64, preferred: Int64) -> Int64 {
        let needed = (max(size, 0) + Int64(S3Limits.maximumParts) - 1) / Int64(S3Limits.maximumParts)
        let inMiB = (needed + S3Limits.mebibyte - 1) / S3Limits.mebibyte * S3Limits.mebibyte
        return max(preferred, inMiB)
    }

    /// Part `number` (1…partCount), or nil outside the plan.
    public func part(_ number: Int) -> Part? {
        guard (1...partCount).contains(number) else { return nil }
        let offset = Int64(number - 1) * partSize
        return Part(number: number, offset: offset, length: min(partSize, size - offset))
    }

    public var parts: [Part] { (1...partCount).map { part($0)! } }
}
