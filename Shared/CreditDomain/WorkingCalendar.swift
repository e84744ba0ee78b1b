import Foundation
import MeshProtocol
import Yams

/// Working days (工作日) for deadlines: weekends and public holidays are excluded, make-up working
/// days (调休上班) that fall on a weekend are included. The holiday calendar is configuration, not
/// code (DOMAIN.md "Time"; `config/calendar.yaml`), because the State Council publishes it anew every
/// year.
///
/// The deadlines it serves: licences and penalties published within 7 working days of the decision
/// (Shaanxi Plan 三(四)3, Otog Front Banner Plan 四(一); 5 + 2 working days in Siyang Measures
/// Art. 16), credit commitments within 3 working days (Siyang Measures Art. 12).
///
/// Dates are ISO `yyyy-MM-dd` strings in the proleptic Gregorian calendar; weekdays are computed
/// arithmetically, never from the host's zone or locale.
public struct WorkingCalendar: Sendable, Equatable, Hashable, Codable {
    /// Public holidays (法定节假日 and the days swapped into them), `yyyy-MM-dd`. A holiday on a
    /// weekend is harmless: it was not a working day anyway.
    public var holidays: Set<String>
    /// Make-up working days (调休上班) that fall on a Saturday or Sunday, `yyyy-MM-dd`.
    public var workdays: Set<String>
    /// The years whose holidays the calendar lists in full (the State Council notice entered). Past
    /// them every Monday to Friday counts as a working day, which is wrong for a week of Spring
    /// Festival: a deadline counted there must be flagged (`yearsNotCovered`), never trusted silently.
    public var years: Set<Int>

    /// A calendar with the given holidays and make-up working days; with none, Monday to Friday.
    /// `years` defaults to the years of the dates given.
    public init(holidays: Set<String> = [], workdays: Set<String> = [], years: Set<Int>? = nil) {
        self.holidays = holidays
        self.workdays = workdays
        self.years = years ?? Set(holidays.union(workdays).compactMap { Int($0.prefix(4)) })
    }

    /// The last year the calendar lists in full, or nil when it lists none.
    public var lastYear: Int? { years.max() }

    /// The years between `from` and `through` (`yyyy-MM-dd`, either order, both included) whose
    /// holidays the calendar does not list: a working-day count over them took every Monday to Friday
    /// for a working day. Empty when the calendar covers the span (or a date is not a calendar date).
    public func yearsNotCovered(from: String, through: String) -> [Int] {
        guard Self.dayNumber(from) != nil, Self.dayNumber(through) != nil, let first = Int(from.prefix(4)),
            let last = Int(through.prefix(4))
        else { return [] }
        return (min(first, last)...max(first, last)).filter { !years.contains($0) }
    }

    /// Whether `iso` (`yyyy-MM-dd`) is a working day: a make-up working day, or a Monday to Friday
    /// that is not a public holiday. False for text that is not a calendar date.
    public func isWorkingDay(_ iso: String) -> Bool {
        guard let day = Self.dayNumber(iso) else { return false }
        return isWorkingDay(iso, day: day)
    }

    /// The working day `workingDays` working days after `iso`: for n > 0 the n-th working day strictly
    /// after `iso` (so a decision on Friday 2026-09-25 with 1 working day is due Monday 2026-09-28,
    /// and a decision on a holiday counts from the next working day); for 0, `iso` itself, whether or
    /// not it is a working day. A negative n counts back: the |n|-th working day strictly before `iso`.
    ///
    /// `iso` must be a `yyyy-MM-dd` date (records and listings hold only validated dates); any other
    /// text is returned unchanged.
    public func adding(workingDays: Int, to iso: String) -> String {
        guard workingDays != 0, var day = Self.dayNumber(iso) else { return iso }
        let step = workingDays > 0 ? 1 : -1
        var remaining = abs(workingDays)
        var date = iso
        while remaining > 0 {
            day += step
            date = Self.isoDate(dayNumber: day)
            if isWorkingDay(date, day: day) { remaining -= 1 }
        }
        return date
    }

    /// The working days strictly after `start` up to and including `end`: 0 when `end` is not after
    /// `start`, or either is not a `yyyy-MM-dd` date. `adding(workingDays: n, to: start)` is the first
    /// day for which this is n.
    public func workingDays(after start: String, through end: String) -> Int {
        guard let first = Self.dayNumber(start), let last = Self.dayNumber(end), last > first else { return 0 }
        return (first + 1...last).reduce(0) { count, day in
            count + (isWorkingDay(Self.isoDate(dayNumber: day), day: day) ? 1 : 0)
        }
    }

    private func isWorkingDay(_ iso: String, day: Int) -> Bool {
        if workdays.contains(iso) { return true }
        if holidays.contains(iso) { return false }
        return !Self.isWeekend(dayNumber: day)
    }

    // MARK: - Loading

    /// Loads a calendar from YAML (or JSON):
    ///
    /// ```yaml
    /// years: [2026]                        # the years listed in full
    /// holidays: [2026-10-01, 2026-10-02]   # public holidays, yyyy-MM-dd
    /// workdays: [2026-10-10]               # make-up working days on a weekend
    /// ```
    ///
    /// The keys are optional (without `years`, the years of the dates listed count as covered); any
    /// other key is refused (a misspelt `holiday:` would otherwise
    /// silently leave every holiday a working day). Each date is read by `FieldDates.isoDate` (so
    /// `2026/10/1` is accepted and stored as `2026-10-01`). Errors name the entry by key and position,
    /// e.g. `holidays[3] "2026-02-30": 2026-02-30 is not a calendar date`; refused as well are a
    /// make-up working day that falls Monday to Friday and a date listed as both holiday and workday.
    public static func load(yaml: String) throws(DomainError) -> WorkingCalendar {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw .invalid(field: "calendar", value: "", reason: "is not valid YAML: \(error)")
        }
        guard let root else {
            throw .invalid(field: "calendar", value: "", reason: "is empty; list holidays and workdays (yyyy-MM-dd)")
        }
        guard let mapping = root.mapping else {
            throw .invalid(
                field: "calendar", value: root.string ?? "",
                reason: "must be a mapping with the keys holidays and workdays")
        }
        var holidays: [String] = []
        var workdays: [String] = []
        var years: Set<Int>?
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "holidays": holidays = try dates(value, key: key)
            case "workdays": workdays = try dates(value, key: key)
            case "years": years = try Self.years(value)
            default:
                throw .invalid(
                    field: "calendar", value: key, reason: "is not a key of the calendar; use years, holidays and workdays")
            }
        }
        for (index, date) in workdays.enumerated() {
            if let day = dayNumber(date), !isWeekend(dayNumber: day) {
                throw .invalid(
                    field: "workdays[\(index)]", value: date,
                    reason: "is a Monday to Friday; a make-up working day (调休上班) falls on a Saturday or Sunday")
            }
            if holidays.contains(date) {
                throw .invalid(field: "workdays[\(index)]", value: date, reason: "is listed under holidays as well")
            }
        }
        return WorkingCalendar(holidays: Set(holidays), workdays: Set(workdays), years: years)
    }

    private static func years(_ node: Node) throws(DomainError) -> Set<Int> {
        if node.scalar != nil, ["", "~", "null"].contains(node.string ?? "") { return [] }
        guard let sequence = node.sequence else {
            throw .invalid(field: "years", value: node.string ?? "", reason: "must be a list of years, e.g. [2026, 2027]")
        }
        var years: Set<Int> = []
        for (index, entry) in sequence.enumerated() {
            guard let text = entry.scalar?.string, let year = Int(text), (1900...9999).contains(year) else {
                throw .invalid(field: "years[\(index)]", value: entry.string ?? "", reason: "must be a year such as 2027")
            }
            years.insert(year)
        }
        return years
    }

    /// Loads a calendar file (`config/calendar.yaml`).
    public static func load(contentsOf url: URL) throws(DomainError) -> WorkingCalendar {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .invalid(field: "calendar", value: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try load(yaml: text)
    }

    private static func dates(_ node: Node, key: String) throws(DomainError) -> [String] {
        if node.scalar != nil, ["", "~", "null"].contains(node.string ?? "") {
            return []  // `holidays:` with nothing after it
        }
        guard let sequence = node.sequence else {
            throw .invalid(field: key, value: node.string ?? "", reason: "must be a list of dates (yyyy-MM-dd)")
        }
        var dates: [String] = []
        for (index, entry) in sequence.enumerated() {
            guard let text = entry.scalar?.string else {
                throw .invalid(
                    field: "\(key)[\(index)]", value: "", reason: "must be a date (yyyy-MM-dd), not a list or mapping")
            }
            dates.append(try FieldDates.isoDate(text, field: "\(key)[\(index)]"))
        }
        return dates
    }

    // MARK: - Day arithmetic

    /// Days since 1970-01-01 of a strict `yyyy-MM-dd` date (days-from-civil, proleptic Gregorian).
    static func dayNumber(_ iso: String) -> Int? {
        let characters = Array(iso)
        guard characters.count == 10, characters[4] == "-", characters[7] == "-",
            let year = Int(String(characters[0..<4])), let month = Int(String(characters[5..<7])),
            let day = Int(String(characters[8..<10])),
            (1...12).contains(month), (1...FieldDates.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        return CivilDate.days(year: year, month: month, day: day)
    }

    /// The `yyyy-MM-dd` date of a day number.
    static func isoDate(dayNumber: Int) -> String {
        let (year, month, day) = CivilDate.date(daysSince1970: dayNumber)
        return FieldDates.format(year: year, month: month, day: day)
    }

    /// Saturday or Sunday. Day 0 (1970-01-01) was a Thursday.
    static func isWeekend(dayNumber: Int) -> Bool {
        let weekday = ((dayNumber + 3) % 7 + 7) % 7  // 0 = Monday … 6 = Sunday
        return weekday >= 5
    }
}
