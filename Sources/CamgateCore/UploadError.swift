/// Why an upload cannot be planned: a file S3 cannot take, a plan that
/// breaks S3's multipart rules, or an object key that is not safe.
///
/// `code` is for programs (metrics, report items), `subject` names what
/// failed (the file, the part, the key component), `reason` is for people.
public struct UploadError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidSize = "invalid_size"
            case objectTooLarge = "object_too_large"
            case partSizeOutOfRange = "part_size_out_of_range"
            case tooManyParts = "too_many_parts"
            case unsafeKeyComponent = "unsafe_key_component"
            case keyTooLong = "key_too_long"
            case timeOutOfRange = "time_out_of_range"
            case invalidTarget = "invalid_target"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A negative file size.
        public static let invalidSize = Code(.invalidSize)
        /// Larger than one S3 object may be.
        public static let objectTooLarge = Code(.objectTooLarge)
        /// A part size outside 5 MiB…5 GiB.
        public static let partSizeOutOfRange = Code(.partSizeOutOfRange)
        /// More than 10,000 parts.
        public static let tooManyParts = Code(.tooManyParts)
        /// A prefix, device, camera or file name that could escape its place in the key.
        public static let unsafeKeyComponent = Code(.unsafeKeyComponent)
        /// An object key over 1024 bytes.
        public static let keyTooLong = Code(.keyTooLong)
        /// A segment start outside years 1970…9999.
        public static let timeOutOfRange = Code(.timeOutOfRange)
        /// An upload target (the cloud's answer) that breaks the protocol's rules.
        public static let invalidTarget = Code(.invalidTarget)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed: `file`, `part 3`, `camera`, `key`…
    public var subject: String
    public var reason: String

    public init(_ code: Code, subject: String, reason: String) {
        self.code = code
        self.subject = subject
        self.reason = reason
    }

    public var description: String { "\(subject): \(reason) [\(code)]" }
}
