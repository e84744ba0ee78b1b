import CreditDomain
import Testing

/// Publicity periods of dishonesty information: the three classes of the Credit Repair Measures (NDRC
/// Order No. 36), rules that lengthen a field's periods (the longest wins), and their configuration.
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

    @Test func theThreeClassesOfTheCreditRepairMeasures() {
        let minor = PublicityRules().period(of: Self.penalty(on: "2026-09-03"))
        #expect(minor.minimumMonths == 0 && minor.maximumMonths == 3 && minor.severity == .general && minor.rules.isEmpty)
        #expect(minor.eligibleFrom == "2026-09-03" && minor.publicUntil == "2026-12-03")
        let general = PublicityRules().period(of: Self.penalty(category: "没收违法所得", severity: .serious, on: "2026-09-03"))
        #expect(general.eligibleFrom == "2026-12-03" && general.publicUntil == "2027-09-03")
        let severe = PublicityRules().period(of: Self.penalty(category: "吊销营业执照", severity: .severe, on: "2026-02-10"))
        #expect(severe.eligibleFrom == "2027-02-10" && severe.publicUntil == "2029-02-10")
    }

    @Test func rulesLengthenTheirFieldAndTheLongestWins() throws {
        let rules = try PublicityRules.parse(
            [
                "publicity.rules.safety-fields.keywords": "食品, 药品, 特种设备, 安全生产, 消防",
                "publicity.rules.safety-fields.minimumMonths": "12",
                "publicity.rules.fire.keywords": "消防", "publicity.rules.fire.minimumMonths": "18",
                "publicity.rules.fire.maximumMonths": "24",
            ], source: "test")
        let food = rules.period(of: Self.penalty(basis: "《中华人民共和国食品安全法》第一百二十四条", on: "2026-09-01"))
        #expect(
            food.minimumMonths == 12 && food.maximumMonths == 12 && food.rules == ["safety-fields"] && food.eligibleFrom == "2027-09-01")
        let fire = rules.period(of: Self.penalty(basis: "《中华人民共和国消防法》第六十条", on: "2026-01-15"))
        #expect(fire.rules == ["fire", "safety-fields"] && fire.eligibleFrom == "2027-07-15" && fire.publicUntil == "2028-01-15")
        let plain = rules.period(of: Self.penalty(on: "2026-01-15"))
        #expect(plain.minimumMonths == 0 && plain.rules.isEmpty)
    }

    @Test func monthsEndOnTheLastDayOfAShorterMonth() {
        #expect(FieldDates.adding(months: 6, to: "2026-08-31") == "2027-02-28")
        #expect(FieldDates.adding(months: 6, to: "2027-08-31") == "2028-02-29")
        #expect(FieldDates.adding(months: -12, to: "2026-12-05") == "2025-12-05")
        #expect(FieldDates.adding(months: 3, to: "not a date") == nil)
    }

    @Test func configurationSetsTheClassesAndRefusesNonsense() throws {
        let rules = try PublicityRules.parse(
            ["publicity.general.minimumMonths": "3", "publicity.general.maximumMonths": "12", "publicity.severe.maximumMonths": "60"],
            source: "test")
        #expect(rules.classes[.general] == PublicityRules.Periods(minimumMonths: 3, maximumMonths: 12))
        #expect(rules.classes[.serious] == PublicityRules.Periods(minimumMonths: 3, maximumMonths: 12))
        #expect(rules.classes[.severe] == PublicityRules.Periods(minimumMonths: 12, maximumMonths: 60))

        let refusals: [([String: String], String)] = [
            (["publicity.general.minimumMonths": "soon"], "whole number of months"),
            (["publicity.serious.minimumMonths": "40"], "longer than publicity.serious.maximumMonths (12)"),
            (["publicity.severe.length": "3"], "unknown period length"),
            (["publicity.rules.x.severities": "awful"], "not a severity"),
            (["publicity.rules.x.minimumMonths": "12"], "matches nothing"),
            (["publicity.rules.x.colour": "red"], "unknown rule field colour"),
            (["publicity.minimumMonths": "3"], "publicity entries are"),
        ]
        for (values, message) in refusals {
            #expect { _ = try PublicityRules.parse(values, source: "test") } throws: { "\($0)".contains(message) }
        }
    }
}
