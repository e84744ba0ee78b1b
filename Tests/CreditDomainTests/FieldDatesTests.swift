import CreditDomain
import Foundation
import Testing

@Suite struct FieldDatesTests {
    @Test(arguments: [
        "2024-01-05", "2024/1/5", "2024/01/05", "2024.1.5", "20240105", "2024年1月5日", "2024年01月05日",
        "2024-01-05 00:00:00", "2024-1-5 8:30", "2024-01-05T00:00:00Z", "2024-01-05T08:30:00+08:00",
        "2024-01-05T00:00:00.000Z", " 2024-01-05 ",
    ])
    func acceptsTheShapesSourcesWrite(text: String) throws {
        #expect(try FieldDates.isoDate(text, field: "CF_JDRQ") == "2024-01-05")
    }

    @Test(arguments: ["2024-02-29", "2000-02-29", "1949-10-01", "2100-12-31"])
    func acceptsRealDatesAtTheEdges(text: String) throws {
        #expect(try FieldDates.isoDate(text, field: "CF_JDRQ") == text)
    }

    @Test(arguments: [
        ("2023-02-30", "2023-02-30 is not a calendar date"),
        ("2023-02-29", "2023-02-29 is not a calendar date"),
        ("1900-02-29", "year 1900 is outside 1949–2100"),
        ("2024-13-01", "2024-13-01 is not a calendar date"),
        ("2024年4月31日", "2024-04-31 is not a calendar date"),
        ("19480101", "year 1948 is outside 1949–2100"),
        ("2101-01-01", "year 2101 is outside 1949–2100"),
    ])
    func refusesImpossibleDatesWithAReason(text: String, reason: String) {
        let error = domainError { () throws(DomainError) in try FieldDates.isoDate(text, field: "CF_JDRQ") }
        #expect(error?.field == "CF_JDRQ")
        #expect(error?.reason == reason)
    }

    @Test(arguments: ["", "hello", "2024-01", "2024-01-05x", "2024/01-05", "2024年1月5", "05/01/2024", "2024-01-05T"])
    func refusesTextThatIsNoDate(text: String) {
        let error = domainError { () throws(DomainError) in try FieldDates.isoDate(text, field: "regDate") }
        #expect(
            error
                == .invalid(
                    field: "regDate", value: text, reason: "is not a date; write it as yyyy-MM-dd, such as 2024-01-05"))
    }

    @Test func convertsInstantsAndBackInUTC() throws {
        #expect(FieldDates.isoDate(Date(timeIntervalSince1970: 0)) == "1970-01-01")
        #expect(FieldDates.isoDate(Date(timeIntervalSince1970: 86_399)) == "1970-01-01")
        let date = try #require(FieldDates.date("2024-01-05"))
        #expect(date.timeIntervalSince1970 == 1_704_412_800)
        #expect(FieldDates.isoDate(date) == "2024-01-05")
        #expect(FieldDates.date("2024-1-5") == nil)
        #expect(FieldDates.date("2023-02-29") == nil)
    }

    @Test(arguments: [
        (3, "2025-01-05", "2028-01-05"),
        (1, "2024-02-29", "2025-02-28"),
        (4, "2024-02-29", "2028-02-29"),
        (-1, "2024-03-01", "2023-03-01"),
    ])
    func addsYears(years: Int, start: String, end: String) {
        #expect(FieldDates.adding(years: years, to: start) == end)
    }

    @Test func addingToANonDateGivesNil() {
        #expect(FieldDates.adding(years: 1, to: "tomorrow") == nil)
    }
}
