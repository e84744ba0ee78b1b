import CreditDomain
import Testing

/// Publicity periods of penalties: the base three months, a year in the safety fields or for severe
/// dishonesty, the longest of several, and the configuration that replaces them.
@Suite struct PublicityRulesTests {
    static func penalty(
        basis: String = "《企业信息公示暂行条例》第十八条", category: String = "警告", severity: Severity = .general, on date: String
    )
        -> CreditRecord
    {
        CreditRecord(
            kind: .penalty, subjectID: "91330502MA28K6XY14", subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
            subjectName: "湖州示例食品有限公司", documentNumber: "湖市监罚〔2026〕1号", authority: "湖州市市场监督管理局", legalBasis: basis,
            summary: "未按时公示年度报告", decisionDate: date, severity: severity, category: category)
    }

    @Test func aGeneralPenaltyIsPublicThreeMonthsAtLeastAndThreeYearsAtMost() {
        let period = PublicityRules().period(of: Self.penalty(on: "2026-09-03"))
        #expect(period.minimumMonths == 3 && period.maximumMonths == 36 && period.rules.isEmpty)
        #expect(period.eligibleFrom == "2026-12-03" && period.publicUntil == "2029-09-03")
    }

    @Test func foodSafetyAndSevereDishonestyKeepAYear() {
        let food = PublicityRules().period(of: Self.penalty(basis: "《中华人民共和国食品安全法》第一百二十四条", on: "2026-09-01"))
        #expect(food.minimumMonths == 12 && food.rules == ["safety-fields"] && food.eligibleFrom == "2027-09-01")
        let fire = PublicityRules().period(of: Self.penalty(basis: "《中华人民共和国消防法》第六十条", on: "2026-01-15"))
        #expect(fire.eligibleFrom == "2027-01-15")
        let severe = PublicityRules().period(of: Self.penalty(category: "吊销营业执照", severity: .severe, on: "2026-02-10"))
        #expect(severe.rules == ["severe"] && severe.eligibleFrom == "2027-02-10")
        // Both at once: the longest of the matching periods, each rule named.
        let both = PublicityRules().period(of: Self.penalty(basis: "《特种设备安全法》第八十四条", severity: .severe, on: "2026-02-10"))
        #expect(both.rules == ["safety-fields", "severe"] && both.minimumMonths == 12)
    }

    @Test func monthsEndOnTheLastDayOfAShorterMonth() {
        #expect(FieldDates.adding(months: 6, to: "2026-08-31") == "2027-02-28")
        #expect(FieldDates.adding(months: 6, to: "2027-08-31") == "2028-02-29")
        #expect(FieldDates.adding(months: -12, to: "2026-12-05") == "2025-12-05")
        #expect(FieldDates.adding(months: 3, to: "not a date") == nil)
    }

    @Test func configurationReplacesTheRulesAndRefusesNonsense() throws {
        let rules = try PublicityRules.parse(
            [
                "publicity.minimumMonths": "6", "publicity.maximumMonths": "24",
                "publicity.rules.environment.keywords": "环境保护, 生态环境", "publicity.rules.environment.minimumMonths": "18",
                "publicity.rules.environment.maximumMonths": "36",
            ], source: "test")
        #expect(rules.rules.map(\.name) == ["environment"])
        let plain = rules.period(of: Self.penalty(basis: "《中华人民共和国食品安全法》", on: "2026-01-01"))
        #expect(plain.minimumMonths == 6 && plain.maximumMonths == 24, "the national rules are replaced as a whole")
        let green = rules.period(of: Self.penalty(basis: "《中华人民共和国环境保护法》第六十三条", on: "2026-01-01"))
        #expect(green.minimumMonths == 18 && green.maximumMonths == 36 && green.publicUntil == "2029-01-01")

        let refusals: [([String: String], String)] = [
            (["publicity.minimumMonths": "soon"], "whole number of months"),
            (["publicity.minimumMonths": "40", "publicity.maximumMonths": "36"], "longer than publicity.maximumMonths"),
            (["publicity.rules.x.severities": "awful"], "not a severity"),
            (["publicity.rules.x.minimumMonths": "12"], "matches nothing"),
            (["publicity.rules.x.colour": "red"], "unknown rule field colour"),
            (["publicity.period": "3"], "publicity entries are"),
        ]
        for (values, message) in refusals {
            #expect { _ = try PublicityRules.parse(values, source: "test") } throws: { "\($0)".contains(message) }
        }
    }
}
