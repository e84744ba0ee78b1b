/// The five subject kinds (五类主体) of the Huzhou Joint Reward and Punishment Opinions 一(二) and item 2, plus
/// individual businesses (个体工商户).
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
    /// A passport number (护照号), for natural persons without a resident ID.
    case passport
    /// 港澳居民来往内地通行证.
    case hongKongMacaoPermit = "hk-macao-permit"
    /// 台湾居民来往大陆通行证.
    case taiwanPermit = "taiwan-permit"
    /// 外国人永久居留身份证.
    case foreignPermanentResident = "foreign-permanent-resident"
}

/// A legacy identifier kept as an alias of a subject: looking up the alias finds the subject.
public struct SubjectAlias: Codable, Sendable, Hashable {
    public enum Scheme: String, Codable, Sendable, CaseIterable {
        /// 工商注册号, 15 digits (before unified codes).
        case businessRegistrationNumber = "business-registration-number"
        /// 组织机构代码, GB 11714, 9 characters.
        case organisationCode = "organisation-code"
        /// 税务登记号 as the source gives it (not validated: its shapes vary by issuing office).
        case taxRegistrationNumber = "tax-registration-number"
        /// 事业单位证书号 / 社会组织登记证号 as the source gives them.
        case registrationCertificate = "registration-certificate"
    }

    public var scheme: Scheme
    public var value: String

    public init(scheme: Scheme, value: String) {
        self.scheme = scheme
        self.value = value
    }
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

/// A related person of an organisation (Shaanxi Plan 三(三)5, Huzhou Judgment-Debtor Opinions 三): legal
/// representative, principal responsible person, actual controller.
public struct RelatedPerson: Codable, Sendable, Hashable {
    public enum Role: String, Codable, Sendable, CaseIterable {
        case legalRepresentative = "legal-representative"
        case principal = "principal"
        case actualController = "actual-controller"
    }

    public var role: Role
    public var name: String
    /// The person's resident id (or other certificate number) when the source gives it.
    public var personID: String?
    /// When the person took the role (yyyy-MM-dd), when known.
    public var from: String?
    /// When the person left the role (yyyy-MM-dd); nil while in it.
    public var until: String?

    public init(role: Role, name: String, personID: String? = nil, from: String? = nil, until: String? = nil) {
        self.role = role
        self.name = name
        self.personID = personID
        self.from = from
        self.until = until
    }
}
