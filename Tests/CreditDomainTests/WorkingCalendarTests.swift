import CreditDomain
import Foundation
import Testing

/// The repository's `config/calendar.yaml`, found like `catalogueURL`.
let calendarURL: URL = catalogueURL.deletingLastPathComponent().appendingPathComponent("calendar.yaml")

@Suite struct WorkingCalendarTests {
    static let shipped: WorkingCalendar = {
        do {
            return try WorkingCalendar.load(contentsOf: calendarURL)
        } catch {
            fatalError("config/calendar.yaml does not load: \(error)")
        }
    }()

    // MARK: - Weekends

    @Test(arguments: [
        ("2025-06-02", false),  // Monday — a plain week without holidays
        ("2025-06-06", false),  // Friday
        ("2025-06-07", true),  // Saturday
        ("2025-06-08", true),  // Sunday
        ("2000-02-29", false),  // Tuesday, leap day
        ("1970-01-01", false),  // Thursday, day 0
        ("1969-12-28", true),  // Sunday before day 0
    ])
    func knowsTheWeekend(date: String, weekend: Bool) {
        #expect(WorkingCalendar().isWorkingDay(date) == !weekend, "\(date)")
    }

    @Test func refusesTextThatIsNotADate() {
        #expect(!WorkingCalendar().isWorkingDay("2026-02-30"))
        #expect(!WorkingCalendar().isWorkingDay("2026/3/2"))
        #expect(WorkingCalendar().adding(workingDays: 3, to: "not a date") == "not a date")
    }

    @Test(arguments: [
        ("2025-06-05", 0, "2025-06-05"),  // Thursday + 0: itself
        ("2025-06-07", 0, "2025-06-07"),  // Saturday + 0: itself, even on a weekend
        ("2025-06-05", 1, "2025-06-06"),  // Thursday + 1: Friday
        ("2025-06-06", 1, "2025-06-09"),  // Friday + 1: Monday
        ("2025-06-07", 1, "2025-06-09"),  // Saturday + 1: Monday
        ("2025-06-06", 5, "2025-06-13"),  // a week
        ("2025-06-06", 7, "2025-06-17"),  // 双公示 deadline over one weekend
        ("2025-06-09", -1, "2025-06-06"),  // back over the weekend
        ("2024-02-28", 2, "2024-03-01"),  // over a leap day
        ("2025-12-31", 1, "2026-01-01"),  // over the year end, no holidays configured
    ])
    func addsWorkingDaysSkippingWeekends(start: String, days: Int, expected: String) {
        #expect(WorkingCalendar().adding(workingDays: days, to: start) == expected)
    }

    // MARK: - Holidays and make-up working days

    @Test func skipsTheNationalDayHolidayAndCountsTheMakeUpSaturday() {
        let calendar = Self.shipped
        // Decision on Wednesday 2026-09-30: 1–7 October are holidays, Saturday 10 October is worked.
        #expect(calendar.adding(workingDays: 1, to: "2026-09-30") == "2026-10-08")
        #expect(calendar.adding(workingDays: 2, to: "2026-09-30") == "2026-10-09")
        #expect(calendar.adding(workingDays: 3, to: "2026-09-30") == "2026-10-10")
        #expect(calendar.adding(workingDays: 4, to: "2026-09-30") == "2026-10-12")
        // Seven working days (双公示, Shaanxi Plan 三(四)3) from the decision.
        #expect(calendar.adding(workingDays: 7, to: "2026-09-30") == "2026-10-15")
        #expect(calendar.isWorkingDay("2026-10-10"))
        #expect(!calendar.isWorkingDay("2026-10-01"))
        #expect(!calendar.isWorkingDay("2026-10-11"))  // the Sunday after is a weekend again
    }

    @Test func countsMakeUpWeekendDaysAroundSpringFestival() {
        let calendar = Self.shipped
        #expect(calendar.isWorkingDay("2026-02-14"))  // Saturday, worked
        #expect(calendar.isWorkingDay("2026-02-28"))  // Saturday, worked
        #expect(calendar.isWorkingDay("2026-09-20"))  // Sunday, worked
        #expect(calendar.isWorkingDay("2026-01-04"))  // Sunday, worked (元旦调休)
        // Friday 13 February + 1: the make-up Saturday; + 2: after the nine-day holiday.
        #expect(calendar.adding(workingDays: 1, to: "2026-02-13") == "2026-02-14")
        #expect(calendar.adding(workingDays: 2, to: "2026-02-13") == "2026-02-24")
        // Commitments within 3 working days (Siyang Measures Art. 12) from Thursday 2026-04-02 over 清明.
        #expect(calendar.adding(workingDays: 3, to: "2026-04-02") == "2026-04-08")
        #expect(calendar.adding(workingDays: -1, to: "2026-02-24") == "2026-02-14")
    }

    @Test func holdsTheShippedHolidays() {
        let calendar = Self.shipped
        #expect(calendar.holidays.count == 34)
        #expect(calendar.workdays == ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
        for date in ["2026-01-01", "2026-02-23", "2026-04-06", "2026-05-05", "2026-06-19", "2026-09-25", "2027-01-01"] {
            #expect(calendar.holidays.contains(date), "\(date)")
            #expect(!calendar.isWorkingDay(date), "\(date)")
        }
    }

    // MARK: - Reach

    @Test func theShippedCalendarListsTwentyTwentySixInFull() {
        let calendar = Self.shipped
        #expect(calendar.years == [2026] && calendar.lastYear == 2026)
        // 2027-01-01 is listed, but the year is not: its Spring Festival is not.
        #expect(calendar.yearsNotCovered(from: "2026-12-28", through: "2027-01-05") == [2027])
        #expect(calendar.yearsNotCovered(from: "2026-09-28", through: "2026-10-10").isEmpty)
    }

    @Test func namesTheYearsADeadlineRanIntoThatTheCalendarDoesNotList() {
        let calendar = WorkingCalendar(holidays: ["2026-10-01"], years: [2026, 2028])
        #expect(calendar.yearsNotCovered(from: "2026-12-01", through: "2028-02-01") == [2027])
        #expect(calendar.yearsNotCovered(from: "2029-01-02", through: "2028-12-29") == [2029], "either order")
        #expect(calendar.yearsNotCovered(from: "not a date", through: "2031-01-01").isEmpty)
        // Without years, the years of the dates listed count; with no dates, no year does.
        #expect(WorkingCalendar(holidays: ["2026-10-01"], workdays: ["2027-01-09"]).years == [2026, 2027])
        #expect(WorkingCalendar().yearsNotCovered(from: "2026-01-05", through: "2026-01-06") == [2026])
    }

    @Test func loadsTheYearsListedInFull() throws {
        let calendar = try WorkingCalendar.load(yaml: "years: [2026, 2027]\nholidays: [2026-10-01, 2027-01-01]")
        #expect(calendar.years == [2026, 2027])
        #expect(try WorkingCalendar.load(yaml: "holidays: [2026-10-01, 2027-01-01]").years == [2026, 2027])
        #expect(try WorkingCalendar.load(yaml: "years:\nholidays: [2026-10-01]").years.isEmpty)
        #expect(domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "years: [2026, next]") }?.field == "years[1]")
        #expect(domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "years: 2026") }?.field == "years")
    }

    // MARK: - Loading

    @Test func loadsAndNormalisesDates() throws {
        let calendar = try WorkingCalendar.load(yaml: "holidays: [2026/10/1, \"2026-10-02\"]\nworkdays:\n  - 2026年10月10日\n")
        #expect(calendar == WorkingCalendar(holidays: ["2026-10-01", "2026-10-02"], workdays: ["2026-10-10"]))
        #expect(try WorkingCalendar.load(yaml: "holidays:\nworkdays: []") == WorkingCalendar())
        #expect(try WorkingCalendar.load(yaml: #"{"holidays": ["2026-05-01"]}"#).holidays == ["2026-05-01"])
    }

    @Test(arguments: [
        ("holidays: [2026-10-01, 2026-02-30]", "holidays[1]", "2026-02-30"),
        ("holidays: [2026-10-01]\nworkdays: [2026-10-10, tomorrow]", "workdays[1]", "tomorrow"),
        ("workdays: [2026-10-09]", "workdays[0]", "2026-10-09"),  // a Friday
        ("holidays: [2026-10-10]\nworkdays: [2026-10-10]", "workdays[0]", "2026-10-10"),
        ("holiday: [2026-10-01]", "calendar", "holiday"),
        ("holidays: 2026-10-01", "holidays", "2026-10-01"),
        ("holidays: [[2026-10-01]]", "holidays[0]", ""),
    ])
    func refusesABadEntryNamingIt(yaml: String, field: String, value: String) {
        let error = domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: yaml) }
        #expect(error?.field == field, "\(yaml)")
        if case .invalid(_, let found, _)? = error {
            #expect(found == value, "\(yaml)")
        } else {
            Issue.record("expected an invalid entry for \(yaml), got \(String(describing: error))")
        }
    }

    @Test func refusesEmptyMalformedAndMissingFiles() {
        #expect(domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "") }?.field == "calendar")
        #expect(domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "holidays: [") }?.field == "calendar")
        #expect(domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "- 2026-10-01") }?.field == "calendar")
        let missing = URL(fileURLWithPath: "/nonexistent/calendar.yaml")
        let error = domainError { () throws(DomainError) in try WorkingCalendar.load(contentsOf: missing) }
        #expect(error?.description.contains("/nonexistent/calendar.yaml") == true)
    }

    @Test func describesTheBadEntry() {
        let error = domainError { () throws(DomainError) in try WorkingCalendar.load(yaml: "holidays: [2026-02-30]") }
        #expect(error?.description == "holidays[0] \"2026-02-30\": 2026-02-30 is not a calendar date")
    }
}
