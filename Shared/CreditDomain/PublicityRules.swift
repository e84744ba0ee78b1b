import Foundation

/// How long dishonesty information (a penalty, a breached commitment …) stays public, and so from when
/// its subject may apply to repair it (终止公示, end its publicity early): a minimum period, after which
/// an application may be made, and a maximum, after which it leaves public view by itself. Both count
/// from the decision date.
///
/// The national rule: the NDRC's Credit Repair Measures (《信用修复管理办法》, NDRC Order No. 36 of 2025,
/// in force 1 April 2026, which repealed Order No. 58 of 2023), following the State Council General
/// Office's Implementation Plan for Further Improving the Credit Repair System (国办发〔2025〕22号, item 二):
/// dishonesty information is minor (轻微: in principle not published, at most three months, repairable
/// once the legal obligations are fulfilled), general (一般: at least three months, at most one year) or
/// severe (严重: at least one year, at most three years). The suite grades records with the three
/// severities of the Siyang Measures Art. 15 (`SeverityRules`): general, serious and severe map to those
/// classes in order. Rules may lengthen the periods of records in a field (a city that keeps the one-year
/// minimum Order No. 58 gave to food, drugs, special equipment, work safety and fire safety). When one
/// decision imposes several kinds of penalty the most severe decides, and among rules the longest period
/// wins. Every figure is configuration (`publicity.*`, docs/CONFIG.md).
public struct PublicityRules: Sendable, Hashable {
    /// The periods of one class, in months.
    public struct Periods: Sendable, Hashable {
        public var minimumMonths: Int
        public var maximumMonths: Int

        public init(minimumMonths: Int, maximumMonths: Int) {
            self.minimumMonths = minimumMonths
            self.maximumMonths = maximumMonths
        }
    }

    /// A longer period for records that match: in a field named by keywords, or of a severity.
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

        func matches(_ severity: Severity, text: String) -> Bool {
            guard keywords.isEmpty || keywords.contains(where: { text.contains($0.lowercased()) }) else { return false }
            return severities.isEmpty ? !keywords.isEmpty : severities.contains(severity)
        }
    }

    /// A record's periods, its class and the rules that lengthened them.
    public struct Period: Sendable, Hashable, Codable {
        public var minimumMonths: Int
        public var maximumMonths: Int
        /// The severity whose class set the periods.
        public var severity: Severity?
        /// The rules that matched, by name (empty: the class periods).
        public var rules: [String]
        /// The decision date plus the minimum: the first day a repair may be applied for.
        public var eligibleFrom: String
        /// The decision date plus the maximum: the first day the record is no longer public.
        public var publicUntil: String
    }

    /// The periods by severity (`publicity.<severity>.minimumMonths|maximumMonths`).
    public var classes: [Severity: Periods]
    public var rules: [Rule]

    public init(classes: [Severity: Periods] = PublicityRules.nationalClasses, rules: [Rule] = []) {
        self.classes = classes
        self.rules = rules
    }

    /// NDRC Order No. 36 (2025): minor 0–3 months, general 3–12, severe 12–36.
    public static let nationalClasses: [Severity: Periods] = [
        .general: Periods(minimumMonths: 0, maximumMonths: 3),
        .serious: Periods(minimumMonths: 3, maximumMonths: 12),
        .severe: Periods(minimumMonths: 12, maximumMonths: 36),
    ]

    /// The periods of `record`: its class's, lengthened by the longest of the rules that match.
    public func period(of record: CreditRecord) -> Period {
        let severity = record.severity ?? .general
        let base = classes[severity] ?? Self.nationalClasses[severity]!
        let text = [record.legalBasis, record.summary, record.category, record.authority].compactMap { $0 }.joined(separator: "|")
            .lowercased()
        let matched = rules.filter { $0.matches(severity, text: text) }
        let minimum = matched.map(\.minimumMonths).reduce(base.minimumMonths, max)
        let maximum = max(matched.compactMap(\.maximumMonths).reduce(base.maximumMonths, max), minimum)
        return Period(
            minimumMonths: minimum, maximumMonths: maximum, severity: severity, rules: matched.map(\.name),
            eligibleFrom: FieldDates.adding(months: minimum, to: record.decisionDate) ?? record.decisionDate,
            publicUntil: FieldDates.adding(months: maximum, to: record.decisionDate) ?? record.decisionDate)
    }

    /// Parses the flattened `publicity.*` values: `publicity.<general|serious|severe>.minimumMonths|maximumMonths`
    /// and `publicity.rules.<name>.keywords|severities|minimumMonths|maximumMonths`.
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
            if parts.count == 3, let severity = Severity(rawValue: parts[1]) {
                var periods = result.classes[severity]!
                switch parts[2] {
                case "minimumMonths": periods.minimumMonths = try months(key, text)
                case "maximumMonths": periods.maximumMonths = try months(key, text)
                default:
                    throw .invalid(field: key, value: text, reason: "unknown period \(parts[2]); periods are minimumMonths, maximumMonths")
                }
                result.classes[severity] = periods
                continue
            }
            guard parts.count == 4, parts[1] == "rules" else {
                throw .invalid(
                    field: key, value: text,
                    reason:
                        "publicity entries are publicity.<general|serious|severe>.minimumMonths|maximumMonths and publicity.rules.<name>.<field>"
                )
            }
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
        }
        for severity in Severity.allCases {
            let periods = result.classes[severity]!
            guard periods.minimumMonths <= periods.maximumMonths else {
                throw .invalid(
                    field: "publicity.\(severity.rawValue).minimumMonths", value: String(periods.minimumMonths),
                    reason: "is longer than publicity.\(severity.rawValue).maximumMonths (\(periods.maximumMonths))")
            }
        }
        for rule in rules.values where rule.keywords.isEmpty && rule.severities.isEmpty {
            throw .invalid(
                field: "publicity.rules.\(rule.name)", value: "", reason: "names neither keywords nor severities, so it matches nothing")
        }
        result.rules = rules.keys.sorted().map { rules[$0]! }
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
