/// One record as grading sees it: its kind, severity and performance, when it was decided and which
/// department sent it.
public struct GradeInput: Sendable, Hashable {
    public var kind: RecordKind
    public var severity: Severity?
    public var performance: Performance?
    /// yyyy-MM-dd; a record without a date counts in full (no recency).
    public var decided: String?
    public var department: String?

    public init(
        kind: RecordKind, severity: Severity? = nil, performance: Performance? = nil, decided: String? = nil, department: String? = nil
    ) {
        self.kind = kind
        self.severity = severity
        self.performance = performance
        self.decided = decided
        self.department = department
    }
}

/// The public credit comprehensive evaluation model (公共信用综合评价, Haitang Plan (五), Shaanxi Plan
/// 三(二)3) as versioned configuration (`grading.model`, loaded by `EvaluationModelLoader`).
///
/// A subject's score is `base` plus every contribution, held within `floor…ceiling`:
/// - each record in force takes the **first** rule of `weights` (then `positives`) that matches its
///   kind, severity and performance; a record no rule matches is not scored;
/// - its contribution is the rule's points times the recency factor of the record's age (the `decay`
///   band it falls in, counted in whole months from its decision date to the day graded), rounded
///   half away from zero; rules with `decay: false` and records without a date count in full;
/// - each active listing on a list a rule names (e.g. the red list) adds that rule's points in full.
///
/// The grade and supervision class are those of the highest band whose `from` the score reaches.
/// Industry models (行业信用评价模型, Haitang Plan (五)) start from the public score and add their own
/// rules for the records their department sent; each has its own grade.
public struct EvaluationModel: Codable, Sendable, Equatable {
    public struct Rule: Codable, Sendable, Equatable {
        public var rule: String
        public var kind: RecordKind?
        /// Matches the record's severity; a negative record without one counts as general.
        public var severity: Severity?
        public var performance: Performance?
        public var list: ListType?
        public var points: Int
        public var decays: Bool

        public init(
            rule: String, kind: RecordKind? = nil, severity: Severity? = nil, performance: Performance? = nil, list: ListType? = nil,
            points: Int, decays: Bool = true
        ) {
            self.rule = rule
            self.kind = kind
            self.severity = severity
            self.performance = performance
            self.list = list
            self.points = points
            self.decays = decays
        }

        func matches(_ input: GradeInput) -> Bool {
            guard let kind, kind == input.kind else { return false }
            if let severity {
                let effective = input.severity ?? ((input.kind.isNegative || input.performance == .breached) ? .general : nil)
                guard effective == severity else { return false }
            }
            if let performance, performance != (input.performance ?? .pending) { return false }
            return true
        }
    }

    /// From `fromMonths` of age on, a record's points count `factor` hundredths (100 = in full).
    public struct DecayBand: Codable, Sendable, Equatable {
        public var fromMonths: Int
        public var factor: Int

        public init(fromMonths: Int, factor: Int) {
            self.fromMonths = fromMonths
            self.factor = factor
        }
    }

    public struct GradeBand: Codable, Sendable, Equatable {
        public var grade: CreditGrade
        public var from: Int
        public var supervision: SupervisionClass

        public init(grade: CreditGrade, from: Int, supervision: SupervisionClass) {
            self.grade = grade
            self.from = from
            self.supervision = supervision
        }
    }

    /// A department's industry model: the public score plus its rules for the records it sent.
    public struct Industry: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var department: String
        public var rules: [Rule]
        /// Highest first; the public bands when the file gives none.
        public var grades: [GradeBand]
    }

    public var version: String
    public var name: String
    public var base: Int
    public var floor: Int
    public var ceiling: Int
    /// Ascending by `fromMonths`, the first from 0.
    public var decay: [DecayBand]
    /// `weights` then `positives`, in the file's order: the first that matches scores a record.
    public var rules: [Rule]
    /// Highest `from` first; the last covers the floor.
    public var grades: [GradeBand]
    public var industries: [Industry]

    /// The lists some rule scores: grading follows those listings.
    public var scoredLists: Set<ListType> { Set(rules.compactMap(\.list)) }

    public func industry(_ id: String) -> Industry? { industries.first { $0.id == id } }

    // MARK: - Scoring

    /// What grading keeps of a subject: its public result, each industry's, and the first day on which
    /// some record's recency factor changes (when the subject must be graded again by itself).
    public struct Evaluation: Sendable, Equatable {
        public var result: GradeResult
        public var industries: [(id: String, result: GradeResult)]
        public var nextChange: String?

        public static func == (lhs: Evaluation, rhs: Evaluation) -> Bool {
            lhs.result == rhs.result && lhs.nextChange == rhs.nextChange && lhs.industries.map(\.id) == rhs.industries.map(\.id)
                && lhs.industries.map(\.result) == rhs.industries.map(\.result)
        }
    }

    /// Grades a subject's records in force and active listings on `day` (yyyy-MM-dd).
    public func evaluate(_ records: [GradeInput], listings: [ListType] = [], on day: String) -> Evaluation {
        let today = ModelDay(day) ?? ModelDay(year: 1970, month: 1, day: 1)
        var publicTotal = base
        var industryTotals = [Int](repeating: 0, count: industries.count)
        var nextChange: ModelDay?
        for input in records {
            let decided = input.decided.flatMap(ModelDay.init)
            if let rule = rules.first(where: { $0.matches(input) }) {
                publicTotal += contribution(rule, decided: decided, today: today, nextChange: &nextChange).contribution
            }
            for (index, industry) in industries.enumerated() where industry.department == input.department {
                if let rule = industry.rules.first(where: { $0.matches(input) }) {
                    industryTotals[index] += contribution(rule, decided: decided, today: today, nextChange: &nextChange).contribution
                }
            }
        }
        for list in listings {
            if let rule = rules.first(where: { $0.list == list }) { publicTotal += rule.points }
        }
        let score = bounded(publicTotal)
        return Evaluation(
            result: grade(score: score, bands: grades),
            industries: industries.enumerated().map { index, industry in
                (industry.id, grade(score: bounded(score + industryTotals[index]), bands: industry.grades))
            },
            nextChange: nextChange?.iso)
    }

    /// Every part of a subject's score on `day`, for the public evaluation or one industry model:
    /// base + contributions + bound = score.
    public func explain(
        records: [(record: String, input: GradeInput)], listings: [(listing: String, list: ListType)] = [], on day: String,
        industry industryID: String? = nil
    ) -> GradeExplanation {
        let today = ModelDay(day) ?? ModelDay(year: 1970, month: 1, day: 1)
        var unused: ModelDay?
        var components: [GradeComponent] = []
        for (record, input) in records.sorted(by: { $0.record < $1.record }) {
            let decided = input.decided.flatMap(ModelDay.init)
            if let rule = rules.first(where: { $0.matches(input) }) {
                let part = contribution(rule, decided: decided, today: today, nextChange: &unused)
                components.append(
                    GradeComponent(
                        record: record, kind: input.kind, severity: input.severity, decided: input.decided, rule: rule.rule,
                        weight: rule.points, factor: part.factor, contribution: part.contribution))
            } else {
                components.append(
                    GradeComponent(
                        record: record, kind: input.kind, severity: input.severity, decided: input.decided,
                        rule: "\(input.kind.rawValue): not scored", weight: 0, contribution: 0))
            }
        }
        for (listing, list) in listings.sorted(by: { $0.listing < $1.listing }) {
            guard let rule = rules.first(where: { $0.list == list }) else { continue }
            components.append(
                GradeComponent(
                    record: listing, kind: nil, severity: nil, list: list, rule: rule.rule, weight: rule.points, contribution: rule.points))
        }
        var bands = grades
        if let industryID, let industry = industry(industryID) {
            bands = industry.grades
            // The public score is held within the range before the industry's rules add to it.
            let publicTotal = components.reduce(base) { $0 + $1.contribution }
            if bounded(publicTotal) != publicTotal {
                components.append(
                    GradeComponent(
                        record: "public", kind: nil, severity: nil, rule: "public score held within \(floor)…\(ceiling)", weight: 0,
                        contribution: bounded(publicTotal) - publicTotal))
            }
            for (record, input) in records.sorted(by: { $0.record < $1.record }) where input.department == industry.department {
                guard let rule = industry.rules.first(where: { $0.matches(input) }) else { continue }
                let part = contribution(rule, decided: input.decided.flatMap(ModelDay.init), today: today, nextChange: &unused)
                components.append(
                    GradeComponent(
                        record: record, kind: input.kind, severity: input.severity, decided: input.decided, model: industry.id,
                        rule: rule.rule, weight: rule.points, factor: part.factor, contribution: part.contribution))
            }
        }
        let total = components.reduce(base) { $0 + $1.contribution }
        let result = grade(score: bounded(total), bands: bands)
        var explanation = GradeExplanation(
            base: base, components: components, bound: result.score - total, score: result.score, grade: result.grade,
            supervision: result.supervision)
        explanation.model = version
        explanation.industry = industryID
        explanation.day = day
        return explanation
    }

    /// A rule's part for one record: its factor on `today` and the contribution; lowers `nextChange`
    /// to the day the record enters its next decay band.
    private func contribution(
        _ rule: Rule, decided: ModelDay?, today: ModelDay, nextChange: inout ModelDay?
    ) -> (
        factor: Int, contribution: Int
    ) {
        guard rule.decays, let decided, decay.count > 1 else { return (100, rule.points) }
        let age = decided.wholeMonths(to: today)
        var factor = decay[0].factor
        for band in decay {
            if band.fromMonths <= age {
                factor = band.factor
            } else {
                let change = decided.adding(months: band.fromMonths)
                if nextChange.map({ change < $0 }) ?? true { nextChange = change }
                break
            }
        }
        let product = rule.points * factor
        let rounded = product >= 0 ? (product + 50) / 100 : -((-product + 50) / 100)
        return (factor, rounded)
    }

    private func bounded(_ total: Int) -> Int { min(ceiling, max(floor, total)) }

    private func grade(score: Int, bands: [GradeBand]) -> GradeResult {
        let band = bands.first { score >= $0.from } ?? bands[bands.count - 1]
        return GradeResult(score: score, grade: band.grade, supervision: band.supervision)
    }
}

/// A calendar day for recency: whole months between two days, and a day some months later (the 31st
/// becomes the month's last day).
struct ModelDay: Comparable, Sendable {
    var year: Int
    var month: Int
    var day: Int

    init?(_ iso: String) {
        let bytes = Array(iso.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                guard (0x30...0x39).contains(bytes[index]) else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), (1...12).contains(month), day >= 1,
            day <= Self.days(inMonth: month, year: year)
        else { return nil }
        (self.year, self.month, self.day) = (year, month, day)
    }

    init(year: Int, month: Int, day: Int) { (self.year, self.month, self.day) = (year, month, day) }

    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    func adding(months: Int) -> ModelDay {
        let index = year * 12 + (month - 1) + months
        let (y, m) = (index / 12, index % 12 + 1)
        return ModelDay(year: y, month: m, day: min(day, Self.days(inMonth: m, year: y)))
    }

    /// The whole months from self to `other` (0 when `other` is earlier): `other` has reached
    /// `self + n months` for the returned n and not for n + 1.
    func wholeMonths(to other: ModelDay) -> Int {
        guard self <= other else { return 0 }
        var months = (other.year - year) * 12 + (other.month - month)
        if other < adding(months: months) { months -= 1 }
        return max(0, months)
    }

    var iso: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    static func < (lhs: ModelDay, rhs: ModelDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}
