/// The grade of the public credit comprehensive evaluation (公共信用综合评价, Haitang Plan (五), Shaanxi Plan
/// 三(二)3).
public enum CreditGrade: String, Codable, Sendable, CaseIterable, Comparable {
    case A, B, C, D

    public static func < (lhs: CreditGrade, rhs: CreditGrade) -> Bool { lhs.rawValue > rhs.rawValue }
}

/// The class of "double random, one public" (双随机、一公开) supervision a grade leads to: good credit
/// and low risk → a lower sampling ratio and frequency; ordinary → the normal ratio; dishonest and
/// high risk → a higher ratio (Shaanxi Plan 三(二)4, Haitang Plan (六)).
public enum SupervisionClass: String, Codable, Sendable, CaseIterable {
    case reduced
    case normal
    case increased
}

/// A subject's score, grade and supervision class.
public struct GradeResult: Codable, Sendable, Equatable {
    public var score: Int
    public var grade: CreditGrade
    public var supervision: SupervisionClass

    public init(score: Int, grade: CreditGrade, supervision: SupervisionClass) {
        self.score = score
        self.grade = grade
        self.supervision = supervision
    }
}

/// One record's (or listing's) part in a score: the model and rule that score it, its weight (the
/// points an entry under that rule adds when new), the recency factor of its age and its contribution
/// to this score (weight × factor, rounded half away from zero).
public struct GradeComponent: Codable, Sendable, Equatable {
    /// The record id (`R-…`), or the listing id (`L-…`) for a list the model scores.
    public var record: String
    public var kind: RecordKind?
    public var severity: Severity?
    /// The list, for a listing.
    public var list: ListType?
    /// When the record was decided (yyyy-MM-dd), when it says.
    public var decided: String?
    /// `public`, or the industry model's id.
    public var model: String
    public var rule: String
    public var weight: Int
    /// The recency factor in hundredths (100 = counts in full).
    public var factor: Int
    public var contribution: Int

    public init(
        record: String, kind: RecordKind?, severity: Severity?, list: ListType? = nil, decided: String? = nil, model: String = "public",
        rule: String, weight: Int, factor: Int = 100, contribution: Int
    ) {
        self.record = record
        self.kind = kind
        self.severity = severity
        self.list = list
        self.decided = decided
        self.model = model
        self.rule = rule
        self.weight = weight
        self.factor = factor
        self.contribution = contribution
    }
}

/// A score taken apart: `base` + every component's contribution + `bound` = `score`, where `bound` is
/// what holding the total within the model's range changed (0, negative above it, positive below it).
public struct GradeExplanation: Codable, Sendable, Equatable {
    /// The subject explained, when the explanation is of one (`grade.explain`); empty otherwise.
    public var subjectID = ""
    public var subjectName = ""
    /// The model's version.
    public var model = ""
    /// The industry model explained, or nil for the public evaluation.
    public var industry: String?
    /// The day the score is for (recency is counted to it).
    public var day = ""
    public var base: Int
    public var components: [GradeComponent]
    public var bound: Int
    public var score: Int
    public var grade: CreditGrade
    public var supervision: SupervisionClass

    public init(base: Int, components: [GradeComponent], bound: Int, score: Int, grade: CreditGrade, supervision: SupervisionClass) {
        self.base = base
        self.components = components
        self.bound = bound
        self.score = score
        self.grade = grade
        self.supervision = supervision
    }

    public var result: GradeResult { GradeResult(score: score, grade: grade, supervision: supervision) }
}
