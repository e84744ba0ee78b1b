import Foundation

/// How long an administrative penalty stays public, and so from when its subject may apply to repair it
/// (终止公示, end its publicity early): a minimum period, after which an application may be made, and a
/// maximum, after which the penalty leaves public view by itself. Both count from the decision date.
///
/// The national rule: the NDRC's Measures for Repairing Credit Information after Dishonest Conduct Is
/// Corrected (Trial) (《失信行为纠正后的信用信息修复管理办法（试行）》, NDRC Order No. 58 of 2023, in force
/// 1 May 2023) — penalty information is public for at least three months and at most three years;
/// penalties in food, drugs, special equipment, work safety and fire safety for at least one year; when
/// one decision imposes several kinds of penalty the longest period applies. The State Council General
/// Office's Implementation Plan for Further Improving the Credit Repair System (国办发〔2025〕22号) grades
/// dishonesty information as minor, general and severe (severe: at least one year, at most three); the
/// `severe` rule below carries that. Every figure is configuration (`publicity.*`, docs/CONFIG.md).
public struct PublicityRules: Sendable, Hashable {
    /// A longer period for penalties that match: in a field named by keywords, or of a severity.
    public struct Rule: Sendable, Hashable {
        public var name: String
        /// Matched (case-insensitive) against the record's legal basis, content, category and authority;
        /// empty matches every record of the severities.
        public var keywords: [String]
        /// The severities the rule is for; empty is every severity.
        public var severities: Set<Severity>
        public var minimumMonths: Int
        public var maximumMonths: Int?

        public init(name: String, keywords: [String] = [], severities: Set<Severity> = [], minimumMonths: Int, maximumMonths: Int? = nil) {
            self.name = name
            self.keywords = keywords
            self.severities = severities
            self.minimumMonths = minimumMonths
            self.maximumMonths = maximumMonths
        }

        func matches(_ record: CreditRecord, text: String) -> Bool {
            guard keywords.isEmpty || keywords.contains(where: { text.contains($0.lowercased()) }) else { return false }
            guard !severities.isEmpty else { return !keywords.isEmpty }
            return record.severity.map(severities.contains) ?? false
        }
    }

    /// A record's periods and the rules that set them.
    public struct Period: Sendable, Hashable, Codable {
        public var minimumMonths: Int
        public var maximumMonths: Int
        /// The rules that matched, by name (empty: the base periods).
        public var rules: [String]
        /// The decision date plus the minimum: the first day a repair may be applied for.
        public var eligibleFrom: String
        /// The decision date plus the maximum: the first day the record is no longer public.
        public var publicUntil: String
    }

    public var minimumMonths: Int
    public var maximumMonths: Int
    public var rules: [Rule]

    public init(minimumMonths: Int = 3, maximumMonths: Int = 36, rules: [Rule] = PublicityRules.nationalRules) {
        self.minimumMonths = minimumMonths
        self.maximumMonths = maximumMonths
        self.rules = rules
    }

    /// NDRC Order No. 58 (2023): one year in food, drugs, special equipment, work safety and fire safety;
    /// 国办发〔2025〕22号: one year for severe dishonesty.
    public static let nationalRules = [
        Rule(
            name: "safety-fields",
            keywords: [
                "食品", "药品", "特种设备", "安全生产", "消防", "food", "drug", "special equipment", "work safety", "fire safety",
            ],
            minimumMonths: 12),
        Rule(name: "severe", severities: [.severe], minimumMonths: 12),
    ]

    /// The periods of `record`: the longest minimum and maximum among the base and every matching rule.
    public func period(of record: CreditRecord) -> Period {
        let text = [record.legalBasis, record.summary, record.category, record.authority].compactMap { $0 }.joined(separator: "|")
            .lowercased()
        let matched = rules.filter { $0.matches(record, text: text) }
        let minimum = matched.map(\.minimumMonths).reduce(minimumMonths, max)
        let maximum = max(matched.compactMap(\.maximumMonths).reduce(maximumMonths, max), minimum)
        return Period(
            minimumMonths: minimum, maximumMonths: maximum, rules: matched.map(\.name),
            eligibleFrom: FieldDates.adding(months: minimum, to: record.decisionDate) ?? record.decisionDate,
            publicUntil: FieldDates.adding(months: maximum, to: record.decisionDate) ?? record.decisionDate)
    }

    /// Parses the flattened `publicity.*` values: `publicity.minimumMonths`, `publicity.maximumMonths`,
    /// and `publicity.rules.<name>.keywords|severities|minimumMonths|maximumMonths`. A `rules` entry
    /// replaces the national rules as a whole.
    public static func parse(_ values: [String: String], source: String) throws(DomainError) -> PublicityRules {
        var result = PublicityRules()
        var rules: [String: Rule] = [:]
        func months(_ key: String, _ text: String) throws(DomainError) -> Int {
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), (0...120).contains(value) else {
                throw .invalid(field: key, value: text, reason: "must be a whole number of months, 0…120")
            }
            return value
        }
        for (key, text) in values.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: ".").map(String.init)
            switch parts.dropFirst().first {
            case "minimumMonths" where parts.count == 2: result.minimumMonths = try months(key, text)
            case "maximumMonths" where parts.count == 2: result.maximumMonths = try months(key, text)
            case "rules" where parts.count == 4:
                var rule = rules[parts[2]] ?? Rule(name: parts[2], minimumMonths: 0)
                let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                switch parts[3] {
                case "keywords": rule.keywords = items
                case "severities":
                    for item in items {
                        guard let severity = Severity(rawValue: item) else {
                            throw .invalid(field: key, value: item, reason: "not a severity; severities are general, serious, severe")
                        }
                        rule.severities.insert(severity)
                    }
                case "minimumMonths": rule.minimumMonths = try months(key, text)
                case "maximumMonths": rule.maximumMonths = try months(key, text)
                default:
                    throw .invalid(
                        field: key, value: text,
                        reason: "unknown rule field \(parts[3]); fields are keywords, severities, minimumMonths, maximumMonths")
                }
                rules[parts[2]] = rule
            default:
                throw .invalid(
                    field: key, value: text,
                    reason: "publicity entries are publicity.minimumMonths, publicity.maximumMonths and publicity.rules.<name>.<field>")
            }
        }
        guard result.minimumMonths <= result.maximumMonths else {
            throw .invalid(
                field: "publicity.minimumMonths", value: String(result.minimumMonths),
                reason: "is longer than publicity.maximumMonths (\(result.maximumMonths))")
        }
        if !rules.isEmpty {
            for rule in rules.values where rule.keywords.isEmpty && rule.severities.isEmpty {
                throw .invalid(
                    field: "publicity.rules.\(rule.name)", value: "", reason: "names neither keywords nor severities, so it matches nothing"
                )
            }
            result.rules = rules.keys.sorted().map { rules[$0]! }
        }
        return result
    }
}

extension FieldDates {
    /// The date `months` months after an ISO date; a day past the end of the month becomes its last day
    /// (31 August + 6 months = 28 or 29 February). Nil when `iso` is not a `yyyy-MM-dd` date.
    public static func adding(months: Int, to iso: String) -> String? {
        guard let (year, month, day) = parts(of: iso) else { return nil }
        let index = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (index / 12, index % 12 + 1)
        return format(year: newYear, month: newMonth, day: min(day, daysIn(month: newMonth, year: newYear)))
    }
}
