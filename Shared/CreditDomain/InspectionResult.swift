/// What an inspection found (抽查结果), as departments publish it.
public enum InspectionOutcome: String, Codable, Sendable, CaseIterable {
    /// 未发现问题.
    case passed
    /// 发现问题: the findings say what; a penalty that follows is a record of its own.
    case problemsFound = "problems-found"
    /// 通过登记的住所（经营场所）无法联系: the subject could not be found where it is registered.
    case notLocated = "not-located"

    /// The words the result record and the portal use.
    public var chinese: String {
        switch self {
        case .passed: "未发现问题"
        case .problemsFound: "发现问题"
        case .notLocated: "通过登记的住所（经营场所）无法联系"
        }
    }
}

/// The result of inspecting one drawn subject, entered by the plan's department after the inspection.
/// It becomes a credit record in the registry: an other administrative act of category 行政监督检查
/// (Shaanxi Plan 三(四)3 lists 监督检查 among the acts to publish), from the department.
public struct InspectionResult: Codable, Sendable, Equatable {
    public var draw: String
    public var plan: String
    public var subject: String
    public var subjectName: String
    public var subjectKind: SubjectKind
    public var outcome: InspectionOutcome
    public var findings: String?
    /// The inspection record's number; the draw's id and the subject's code unless the department gives its own.
    public var document: String
    /// The day of the inspection (yyyy-MM-dd).
    public var date: String
    public var department: String
    public var authority: String
    public var basis: String
    public var inspectors: [String]
    public var enteredAt: String

    public init(
        draw: String, plan: String, subject: String, subjectName: String, subjectKind: SubjectKind, outcome: InspectionOutcome,
        findings: String?, document: String, date: String, department: String, authority: String, basis: String, inspectors: [String],
        enteredAt: String
    ) {
        self.draw = draw
        self.plan = plan
        self.subject = subject
        self.subjectName = subjectName
        self.subjectKind = subjectKind
        self.outcome = outcome
        self.findings = findings
        self.document = document
        self.date = date
        self.department = department
        self.authority = authority
        self.basis = basis
        self.inspectors = inspectors
        self.enteredAt = enteredAt
    }

    /// The category of the record a result becomes.
    public static let recordCategory = "行政监督检查"

    /// The credit record the registry stores for this result. A result entered again for the same
    /// draw and subject keeps its document number, so the registry keeps one record with versions.
    public var record: CreditRecord {
        let findings = findings.map { "；\($0)" } ?? ""
        return CreditRecord(
            kind: .otherAdministrativeAct, subjectID: subject, subjectScheme: .unifiedSocialCreditCode, subjectKind: subjectKind,
            subjectName: subjectName, documentNumber: document, authority: authority, legalBasis: basis,
            summary: "“双随机、一公开”抽查（\(draw)）：\(outcome.chinese)\(findings)", decisionDate: date,
            sourceFields: ["inspectionDraw": draw, "inspectionPlan": plan, "inspectionOutcome": outcome.rawValue],
            category: Self.recordCategory)
    }
}
