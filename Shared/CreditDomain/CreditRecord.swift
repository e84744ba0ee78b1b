/// Kinds of credit information (信用信息) a department pushes to the registry (DOMAIN.md).
public enum RecordKind: String, Codable, Sendable, CaseIterable, Hashable {
    case licence
    case penalty
    case otherAdministrativeAct = "other-administrative-act"
    /// 失信被执行人 from the court list.
    case courtDishonestDebtor = "court-dishonest-debtor"
    case taxArrears = "tax-arrears"
    case commendation
    case commitment
    case voluntary
    case contractPerformance = "contract-performance"
    case thirdPartyReport = "third-party-report"

    /// Whether a record of this kind speaks against the subject (and so carries a severity).
    public var isNegative: Bool {
        switch self {
        case .penalty, .courtDishonestDebtor, .taxArrears: true
        default: false
        }
    }
}

/// Severity of dishonest conduct, seed 000 §15: general (一般), serious (较重), severe (严重).
public enum Severity: String, Codable, Sendable, CaseIterable, Comparable {
    case general
    case serious
    case severe

    private var rank: Int {
        switch self {
        case .general: 0
        case .serious: 1
        case .severe: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A validated credit record, ready to be stored. Produced from a source row by a format parser.
public struct CreditRecord: Codable, Sendable, Hashable {
    public var kind: RecordKind
    public var subjectID: String
    public var subjectScheme: IdentifierScheme
    public var subjectKind: SubjectKind
    public var subjectName: String
    public var relatedPersons: [RelatedPerson]
    /// Decision document number (决定书文号) or case number (案号).
    public var documentNumber: String
    /// The authority that decided (处罚机关, 执行法院 …).
    public var authority: String
    public var legalBasis: String?
    /// Short description of what the record says (penalty content, obligation …).
    public var summary: String
    /// ISO dates (yyyy-MM-dd).
    public var decisionDate: String
    public var validUntil: String?
    public var publicityEnd: String?
    public var severity: Severity?
    /// Fine in ten-thousand yuan (万元) as the national standard gives it, for penalties.
    public var fineAmount: Double?
    /// The source fields as received, for the archive (keys upper-cased for CF_/XK_ formats).
    public var sourceFields: [String: String]

    /// Identifies the same fact across re-imports: kind, document number, authority and subject.
    public var naturalKey: String {
        [kind.rawValue, documentNumber, authority, subjectID].joined(separator: "|")
    }

    public init(
        kind: RecordKind, subjectID: String, subjectScheme: IdentifierScheme, subjectKind: SubjectKind,
        subjectName: String, relatedPersons: [RelatedPerson] = [], documentNumber: String, authority: String,
        legalBasis: String? = nil, summary: String, decisionDate: String, validUntil: String? = nil,
        publicityEnd: String? = nil, severity: Severity? = nil, fineAmount: Double? = nil,
        sourceFields: [String: String] = [:]
    ) {
        self.kind = kind
        self.subjectID = subjectID
        self.subjectScheme = subjectScheme
        self.subjectKind = subjectKind
        self.subjectName = subjectName
        self.relatedPersons = relatedPersons
        self.documentNumber = documentNumber
        self.authority = authority
        self.legalBasis = legalBasis
        self.summary = summary
        self.decisionDate = decisionDate
        self.validUntil = validUntil
        self.publicityEnd = publicityEnd
        self.severity = severity
        self.fineAmount = fineAmount
        self.sourceFields = sourceFields
    }
}
