/// A department code as used everywhere in the suite: config, keys, catalogue, CLI (`finance`,
/// `market` …). Lower-case ASCII letters, digits and dashes.
public struct Department: RawRepresentable, Codable, Sendable, Hashable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Validates a department code typed by a person or sent on the wire.
    public init(validating text: String) throws(DomainError) {
        let isValid =
            !text.isEmpty && text.count <= 32
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard isValid else {
            throw DomainError.invalid(
                field: "department", value: text,
                reason: "a department code is 1–32 lower-case letters, digits or dashes, such as finance")
        }
        self.rawValue = text
    }

    public var description: String { rawValue }
    public static func < (lhs: Department, rhs: Department) -> Bool { lhs.rawValue < rhs.rawValue }

    public static let court: Department = "court"
    public static let finance: Department = "finance"
    public static let commerce: Department = "commerce"
    public static let market: Department = "market"
    public static let education: Department = "education"
    public static let ndrc: Department = "ndrc"
    public static let tax: Department = "tax"

    /// `*`: every department. Used only as the department of a generic catalogue measure (Siyang Measures
    /// Art. 18, Shaanxi Plan 三(三)1 and 3, Huzhou Joint Reward and Punishment Opinions items 7 and 10),
    /// which `MeasureCatalogue.measures(for:action:)` gives to any department. It is not a department code:
    /// `init(validating:)` refuses it, so no interceptor, key or CLI argument can be `*`.
    public static let anyDepartment: Department = "*"

    /// The departments the suite knows out of the box (the demo and the default port table).
    public static let standard: [Department] = [.court, .finance, .commerce, .market, .education, .ndrc, .tax]
}
