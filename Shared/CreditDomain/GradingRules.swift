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

/// One record as grading sees it: its kind and, when negative, its severity.
public struct GradeInput: Sendable, Hashable {
    public var kind: RecordKind
    public var severity: Severity?

    public init(kind: RecordKind, severity: Severity? = nil) {
        self.kind = kind
        self.severity = severity
    }
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

/// The public credit comprehensive evaluation: records in, grade and supervision class out.
///
/// The score starts at 100 and each record in force adds its points:
///
/// | record | points |
/// |---|---|
/// | penalty, general (一般) or without severity | −5 |
/// | penalty, serious (较重) | −15 |
/// | penalty, severe (严重) | −30 |
/// | court dishonest judgment debtor (失信被执行人) | −40 |
/// | tax or fee arrears (欠税欠费) | −10 |
/// | commendation or honour (表彰奖励) | +5 |
/// | any other kind | 0 |
///
/// The total is then held within 0…100 (so commendations cannot lift a score above 100, and the order
/// of records does not matter). Grades and supervision classes (Shaanxi Plan 三(二)4,
/// Haitang Plan (六)):
///
/// | score | grade | supervision |
/// |---|---|---|
/// | ≥ 90 | A | reduced |
/// | ≥ 75 | B | normal |
/// | ≥ 60 | C | increased |
/// | < 60 | D | increased |
///
/// Departments may add industry models (行业信用评价模型, Haitang Plan (五)); this is the public baseline.
public enum GradingRules {
    public static let baseScore = 100

    /// The points one record adds to the score (negative for dishonest conduct).
    public static func points(for input: GradeInput) -> Int {
        switch input.kind {
        case .penalty:
            switch input.severity ?? .general {
            case .general: -5
            case .serious: -15
            case .severe: -30
            }
        case .courtDishonestDebtor: -40
        case .taxArrears: -10
        case .commendation: 5
        default: 0
        }
    }

    /// The rule that scores a record, as `explain` names it.
    public static func rule(for input: GradeInput) -> String {
        switch input.kind {
        case .penalty:
            switch input.severity ?? .general {
            case .general: "penalty, general (一般)"
            case .serious: "penalty, serious (较重)"
            case .severe: "penalty, severe (严重)"
            }
        case .courtDishonestDebtor: "court dishonest judgment debtor (失信被执行人)"
        case .taxArrears: "tax or fee arrears (欠税欠费)"
        case .commendation: "commendation or honour (表彰奖励)"
        default: "\(input.kind.rawValue): not scored"
        }
    }

    /// Grades a subject from its records in force.
    public static func grade(_ records: [GradeInput]) -> GradeResult {
        grade(score: min(100, max(0, records.reduce(baseScore) { $0 + points(for: $1) })))
    }

    /// Every part of a subject's score: the base, each record's points, and what holding the total
    /// within 0…100 took away or added. They add up to the score.
    public static func explain(_ records: [(record: String, input: GradeInput)]) -> GradeExplanation {
        let components = records.sorted { $0.record < $1.record }.map { record, input in
            GradeComponent(
                record: record, kind: input.kind, severity: input.severity, rule: rule(for: input), weight: points(for: input),
                contribution: points(for: input))
        }
        let total = components.reduce(baseScore) { $0 + $1.contribution }
        let result = grade(score: min(100, max(0, total)))
        return GradeExplanation(
            base: baseScore, components: components, bound: result.score - total, score: result.score, grade: result.grade,
            supervision: result.supervision)
    }

    static func grade(score: Int) -> GradeResult {
        let grade: CreditGrade
        let supervision: SupervisionClass
        switch score {
        case 90...: (grade, supervision) = (.A, .reduced)
        case 75..<90: (grade, supervision) = (.B, .normal)
        case 60..<75: (grade, supervision) = (.C, .increased)
        default: (grade, supervision) = (.D, .increased)
        }
        return GradeResult(score: score, grade: grade, supervision: supervision)
    }
}

/// One record's part in a score: the rule that scores it, its weight (the points a record under that
/// rule adds) and its contribution to this score.
public struct GradeComponent: Codable, Sendable, Equatable {
    public var record: String
    public var kind: RecordKind
    public var severity: Severity?
    public var rule: String
    public var weight: Int
    public var contribution: Int

    public init(record: String, kind: RecordKind, severity: Severity?, rule: String, weight: Int, contribution: Int) {
        self.record = record
        self.kind = kind
        self.severity = severity
        self.rule = rule
        self.weight = weight
        self.contribution = contribution
    }
}

/// A score taken apart: `base` + every component's contribution + `bound` = `score`, where `bound` is
/// what holding the total within 0…100 changed (0, or negative above 100, or positive below 0).
public struct GradeExplanation: Codable, Sendable, Equatable {
    /// The subject explained, when the explanation is of one (`grade.explain`); empty otherwise.
    public var subjectID = ""
    public var subjectName = ""
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
}
