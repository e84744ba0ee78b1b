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

    /// Whether every record of this kind speaks against the subject (and so carries a severity).
    /// Commitments and contracts are negative only when breached (`CreditRecord.isNegative`).
    public var isNegative: Bool {
        switch self {
        case .penalty, .courtDishonestDebtor, .taxArrears: true
        default: false
        }
    }
}

/// Whether a credit commitment (信用承诺) or a contract was kept.
public enum Performance: String, Codable, Sendable, CaseIterable, Hashable {
    /// Not yet due or not yet assessed.
    case pending
    /// Kept (履约).
    case kept
    /// Breached (违约, 失信): the record becomes negative.
    case breached
}

/// Severity of dishonest conduct, Siyang Measures Art. 15: general (一般), serious (较重), severe (严重).
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
    /// Start of validity (licences: `XK_YXQZ`), yyyy-MM-dd.
    public var validFrom: String?
    /// The record's category within its kind: licence category (`XK_XKLB`), the type of another
    /// administrative act (强制, 确认 …), a commendation's level …
    public var category: String?
    /// An amount in yuan (元): tax or fee arrears, a contract's value.
    public var amount: Double?
    /// Whether a credit commitment or a contract was kept (履约情况).
    public var performance: Performance?
    /// Legacy identifiers of the subject the source gave (工商注册号, 组织机构代码 …).
    public var subjectAliases: [SubjectAlias]?

    /// Whether this record speaks against its subject: a negative kind, or a commitment or
    /// contract that was breached.
    public var isNegative: Bool { kind.isNegative || performance == .breached }

    /// Identifies the same fact across re-imports: kind, document number, authority and subject.
    public var naturalKey: String {
        [kind.rawValue, documentNumber, authority, subjectID].joined(separator: "|")
    }

    public init(
        kind: RecordKind, subjectID: String, subjectScheme: IdentifierScheme, subjectKind: SubjectKind,
        subjectName: String, relatedPersons: [RelatedPerson] = [], documentNumber: String, authority: String,
        legalBasis: String? = nil, summary: String, decisionDate: String, validUntil: String? = nil,
        publicityEnd: String? = nil, severity: Severity? = nil, fineAmount: Double? = nil,
        sourceFields: [String: String] = [:], validFrom: String? = nil, category: String? = nil, amount: Double? = nil,
        performance: Performance? = nil, subjectAliases: [SubjectAlias]? = nil
    ) {
        self.validFrom = validFrom
        self.category = category
        self.amount = amount
        self.performance = performance
        self.subjectAliases = subjectAliases
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
