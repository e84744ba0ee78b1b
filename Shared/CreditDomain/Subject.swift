/// The five subject kinds of seed 004 (五类主体), plus individual businesses (个体工商户).
public enum SubjectKind: String, Codable, Sendable, CaseIterable, Hashable {
    /// 法人 and other enterprises.
    case enterprise
    /// 自然人.
    case naturalPerson = "natural-person"
    /// 社会组织.
    case socialOrganisation = "social-organisation"
    /// 事业单位.
    case publicInstitution = "public-institution"
    /// 行政机关.
    case governmentAgency = "government-agency"
    /// 个体工商户.
    case individualBusiness = "individual-business"

    public var isNaturalPerson: Bool { self == .naturalPerson }
}

/// Which identifier scheme a subject id follows.
public enum IdentifierScheme: String, Codable, Sendable, Hashable {
    /// 统一社会信用代码, GB 32100-2015.
    case unifiedSocialCreditCode = "uscc"
    /// 居民身份证号码, GB 11643-1999.
    case residentID = "resident-id"
}

/// A validated subject identifier: upper-cased, trimmed, check character verified.
public struct SubjectID: Codable, Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public var scheme: IdentifierScheme
    /// The kind the identifier itself implies (from the USCC's registration authority and
    /// organisation type characters; natural person for a resident ID).
    public var impliedKind: SubjectKind

    public init(value: String, scheme: IdentifierScheme, impliedKind: SubjectKind) {
        self.value = value
        self.scheme = scheme
        self.impliedKind = impliedKind
    }

    public var description: String { value }
}

/// A related person of an organisation (seeds 001 §三(三)5, 004): legal representative, principal
/// responsible person, actual controller.
public struct RelatedPerson: Codable, Sendable, Hashable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        case legalRepresentative = "legal-representative"
        case principal = "principal"
        case actualController = "actual-controller"
    }

    public var role: Role
    public var name: String
    /// The person's resident id when the source gives it.
    public var personID: String?

    public init(role: Role, name: String, personID: String? = nil) {
        self.role = role
        self.name = name
        self.personID = personID
    }
}
