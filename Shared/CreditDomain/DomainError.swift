/// A refusal by a rule of the domain, naming the field, the value and the reason.
public enum DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value breaks a rule: `field` names it as the source calls it (e.g. `CF_XDR_SHXYM`).
    case invalid(field: String, value: String, reason: String)
    /// A required field is absent or empty.
    case missing(field: String)

    public var field: String {
        switch self {
        case .invalid(let field, _, _), .missing(let field): field
        }
    }

    public var reason: String {
        switch self {
        case .invalid(_, _, let reason): reason
        case .missing: "is required"
        }
    }

    public var description: String {
        switch self {
        case .invalid(let field, let value, let reason): "\(field) \"\(value)\": \(reason)"
        case .missing(let field): "\(field) is required"
        }
    }
}
