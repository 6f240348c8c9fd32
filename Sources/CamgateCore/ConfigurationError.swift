/// A configuration or desired-state document that cannot be used.
///
/// `field` names the offending value with a dotted path
/// (`cameras.front.source.url`), so that an operator sees where to look.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path of the offending field; empty for the document itself.
    public var field: String
    /// What is wrong with it, in words an operator understands.
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? reason : "\(field): \(reason)"
    }

    /// Prefixes `field` with `parent` (used when a nested value is validated
    /// on its own and its error is reported inside a document).
    public func nested(under parent: String) -> ConfigurationError {
        guard !parent.isEmpty else { return self }
        return ConfigurationError(field: field.isEmpty ? parent : "\(parent).\(field)", reason: reason)
    }
}
