import CreditDomain
import Testing

@Suite struct AssessmentPeriodTests {
    @Test(arguments: [
        ("2026Q4", "2026Q4", "2026-10-01", "2026-12-31"), ("2024q1", "2024Q1", "2024-01-01", "2024-03-31"),
        (" 2024 Q2 ", "2024Q2", "2024-04-01", "2024-06-30"), ("2026", "2026", "2026-01-01", "2026-12-31"),
    ])
    func quartersAndYearsAreTheirCalendarDays(text: String, name: String, from: String, through: String) throws {
        let period = try AssessmentPeriod(parsing: text)
        #expect(period.name == name && period.from == from && period.through == through)
    }

    @Test(arguments: ["2026Q5", "2026Q0", "26Q4", "2026-Q4x", "Q4", "", "1900", "2026Q"])
    func anythingElseIsRefusedNamingTheShapes(text: String) {
        var reason = ""
        do {
            _ = try AssessmentPeriod(parsing: text)
        } catch {
            reason = error.description
        }
        #expect(reason.contains("2026Q4") || reason.contains("Q1 to Q4") || reason.contains("outside"), "\(reason)")
    }

    @Test func theDefaultIsTheQuarterUnderWayAndTimestampsCountByTheirDay() {
        let period = AssessmentPeriod.quarter(containing: "2026-12-06")
        #expect(period.name == "2026Q4")
        #expect(period.contains("2026-12-31T23:59:59.999Z") && period.contains("2026-10-01") && !period.contains("2027-01-01T00:00:00Z"))
    }
}
