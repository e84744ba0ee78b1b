/// A period of the credit office's department assessment (考核): a quarter (`2026Q4`) or a year
/// (`2026`), as calendar days `from` through `through` (UTC dates, as every record and case is dated).
public struct AssessmentPeriod: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var from: String
    public var through: String

    /// Parses `YYYY` or `YYYYQn` (the `Q` in either case; spaces ignored).
    ///
    /// - Throws: `DomainError.invalid` for `period` naming what is wrong and the shapes accepted.
    public init(parsing text: String) throws(DomainError) {
        let compact = text.filter { !$0.isWhitespace }.uppercased()
        let shapes = "write a year (2026) or a quarter (2026Q4)"
        let parts = compact.split(separator: "Q", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts[0].count == 4, let year = Int(parts[0]) else {
            throw .invalid(field: "period", value: text, reason: "is not a period; \(shapes)")
        }
        guard FieldDates.acceptedYears.contains(year) else {
            throw .invalid(
                field: "period", value: text,
                reason: "year \(year) is outside \(FieldDates.acceptedYears.lowerBound)–\(FieldDates.acceptedYears.upperBound)")
        }
        guard parts.count == 2 else {
            self.init(name: String(year), from: "\(year)-01-01", through: "\(year)-12-31")
            return
        }
        guard parts[1].count == 1, let quarter = Int(parts[1]), (1...4).contains(quarter) else {
            throw .invalid(field: "period", value: text, reason: "a year has quarters Q1 to Q4; \(shapes)")
        }
        self = Self.quarter(quarter, of: year)
    }

    init(name: String, from: String, through: String) {
        self.name = name
        self.from = from
        self.through = through
    }

    /// Quarter `quarter` (1–4) of `year`.
    static func quarter(_ quarter: Int, of year: Int) -> AssessmentPeriod {
        let first = (quarter - 1) * 3 + 1
        let last = first + 2
        return AssessmentPeriod(
            name: "\(year)Q\(quarter)", from: FieldDates.format(year: year, month: first, day: 1),
            through: FieldDates.format(year: year, month: last, day: FieldDates.daysIn(month: last, year: year)))
    }

    /// The quarter a `yyyy-MM-dd` day falls in (the default period: the one under way).
    public static func quarter(containing day: String) -> AssessmentPeriod {
        guard let (year, month, _) = FieldDates.parts(of: day) else { return quarter(1, of: 1970) }
        return quarter((month - 1) / 3 + 1, of: year)
    }

    /// Whether a date, or a timestamp by its date, falls in the period.
    public func contains(_ dateOrTime: String) -> Bool {
        let day = dateOrTime.prefix(10)
        return day >= from && day <= through
    }

    public var description: String { "\(name) (\(from) – \(through))" }
}
