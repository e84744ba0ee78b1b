/// What a measure rule does with a record of dishonest conduct (Siyang Measures Art. 18).
public enum RuleMeasure: String, Codable, Sendable, CaseIterable {
    /// A credit reminder (信用提醒) to the subject, recorded: general dishonesty.
    case reminder
    /// A warning interview (警示约谈): the subject is told to attend by a date.
    case interview
    /// A key-attention listing (重点关注对象名单), notified first, in force after its objection window: serious
    /// dishonesty (Shaanxi Plan 三(三)1, Haitang Plan (七)).
    case keyAttention = "key-attention"
    /// A black-listing proposal to the deciding department, which confirms or declines it: severe dishonesty,
    /// designated "按程序" by the department (Shaanxi Plan 三(三)1, Haitang Plan (七)).
    case blackProposal = "black-proposal"
}

/// A condition on one field of a record: a number at least or below a threshold, or a text containing
/// one of some keywords.
public struct RuleCondition: Codable, Sendable, Hashable {
    /// `fineAmount` (万元), `amount` (元), `category`, `summary`, `legalBasis`, `authority`, `subjectKind`.
    public var field: String
    public var atLeast: Double?
    public var below: Double?
    public var contains: [String]?

    public init(field: String, atLeast: Double? = nil, below: Double? = nil, contains: [String]? = nil) {
        self.field = field
        self.atLeast = atLeast
        self.below = below
        self.contains = contains
    }

    public static let numberFields: Set<String> = ["fineAmount", "amount"]
    public static let textFields: Set<String> = ["category", "summary", "legalBasis", "authority", "subjectKind"]

    /// Whether `record` meets the condition; a record without the field does not.
    public func holds(for record: CreditRecord) -> Bool {
        if Self.numberFields.contains(field) {
            guard let value = field == "fineAmount" ? record.fineAmount : record.amount else { return false }
            return atLeast.map { value >= $0 } ?? true && below.map { value < $0 } ?? true
        }
        let text: String?
        switch field {
        case "category": text = record.category
        case "summary": text = record.summary
        case "legalBasis": text = record.legalBasis
        case "authority": text = record.authority
        case "subjectKind": text = record.subjectKind.rawValue
        default: text = nil
        }
        guard let text else { return false }
        let lowered = text.lowercased()
        return (contains ?? []).contains { lowered.contains($0.lowercased()) }
    }
}

/// One rule of the measure rules: which records (kinds, severities, field conditions) lead to which measure,
/// and which department issues or decides it.
public struct MeasureRule: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var title: String
    public var kinds: [RecordKind]
    public var severities: [Severity]
    /// Every condition must hold.
    public var when: [RuleCondition]
    public var measure: RuleMeasure
    /// Who issues the notice, initiates the listing or decides the proposal: `source` (the record's
    /// department) or a department code.
    public var decider: String
    /// Term of the listing in months, from the day it takes effect (key-attention, black).
    public var months: Int?
    /// Objection window in working days before the listing takes effect (default `dispatch.objectionWorkingDays`).
    public var objectionWorkingDays: Int?
    /// Working days the subject has to attend a warning interview (interview).
    public var respondWorkingDays: Int?
    public var basis: String
    public var source: String?

    /// The department that issues or decides for a record of `source`.
    public func decidingDepartment(recordSource source: String) -> String {
        decider == Self.recordSource ? source : decider
    }

    public static let recordSource = "source"

    /// Whether the rule takes a record of this severity.
    public func matches(_ record: CreditRecord, severity: Severity) -> Bool {
        kinds.contains(record.kind) && severities.contains(severity) && when.allSatisfy { $0.holds(for: record) }
    }
}

/// The red-list rule of the Huzhou Joint Reward and Punishment Opinions item 7: subjects with no bad record
/// for some years and a good grade are proposed for the red list; the credit office confirms.
public struct RedListRule: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var title: String
    /// Grades that qualify (default A).
    public var grades: [CreditGrade]
    /// Years without a negative record, counted back from today by decision date; the subject's first
    /// record must be at least this old.
    public var cleanYears: Int
    /// The department that decides (the credit office).
    public var decider: String
    /// Term of the red listing in months.
    public var months: Int
    public var basis: String
    public var source: String?
}

/// The measure rules in force: a version, the record rules in order (the first that matches a record
/// applies) and the red-list rules. Data, loaded by `MeasureRulesLoader`.
public struct MeasureRules: Codable, Sendable, Hashable {
    public var version: String
    public var rules: [MeasureRule]
    public var redList: [RedListRule]

    public init(version: String, rules: [MeasureRule], redList: [RedListRule] = []) {
        self.version = version
        self.rules = rules
        self.redList = redList
    }

    /// The first rule that takes a negative record, with the severity it was judged at (the record's own,
    /// else the default severity rules'); nil for a record that is not negative or that no rule takes.
    public func rule(for record: CreditRecord) -> (rule: MeasureRule, severity: Severity)? {
        guard record.isNegative, record.kind != .courtDishonestDebtor else { return nil }
        let severity = record.severity ?? SeverityRules.standard.severity(of: record) ?? .general
        return rules.first { $0.matches(record, severity: severity) }.map { ($0, severity) }
    }
}

/// Names the rule (and the version of the rules) that made a listing, proposal or notice.
public struct RuleReference: Codable, Sendable, Hashable {
    public var id: String
    public var version: String

    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }
}
