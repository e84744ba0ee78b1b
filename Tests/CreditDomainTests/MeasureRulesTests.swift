import CreditDomain
import Foundation
import Testing

@Suite struct MeasureRulesTests {
    static let shipped: MeasureRules = {
        let url = catalogueURL.deletingLastPathComponent().appendingPathComponent("measure-rules.yaml")
        return try! MeasureRulesLoader.load(contentsOf: url)
    }()

    static func record(
        _ kind: RecordKind, severity: Severity?, fine: Double? = nil, amount: Double? = nil, performance: Performance? = nil
    ) -> CreditRecord {
        CreditRecord(
            kind: kind, subjectID: "91330100799655058B", subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
            subjectName: "杭州某某贸易有限公司",
            documentNumber: "D-1", authority: "湖州市市场监督管理局", summary: "s", decisionDate: "2026-11-02", severity: severity,
            fineAmount: fine, amount: amount, performance: performance)
    }

    /// The rules table of the shipped file (Siyang Measures Art. 18, Shaanxi Plan 三(三)1): each severity to its
    /// measure, the first rule that takes the record winning.
    @Test(arguments: [
        (RecordKind.penalty, Severity.general, 0.5 as Double?, nil as Double?, RuleMeasure.reminder, "general-reminder"),
        (.penalty, .general, 1, nil, .interview, "general-penalty-interview"),
        (.penalty, .serious, 10, nil, .keyAttention, "serious-key-attention"),
        (.penalty, .severe, 80, nil, .blackProposal, "severe-black-proposal"),
        (.taxArrears, .general, nil, 5_000, .reminder, "general-reminder"),
        (.taxArrears, .serious, nil, 200_000, .keyAttention, "serious-key-attention"),
        (.taxArrears, .severe, nil, 1_500_000, .blackProposal, "severe-tax-arrears-black-proposal"),
    ])
    func eachSeverityLeadsToItsMeasure(
        kind: RecordKind, severity: Severity, fine: Double?, amount: Double?, measure: RuleMeasure, ruleID: String
    ) throws {
        let match = try #require(Self.shipped.rule(for: Self.record(kind, severity: severity, fine: fine, amount: amount)))
        #expect(match.rule.measure == measure)
        #expect(match.rule.id == ruleID)
        #expect(match.severity == severity)
    }

    @Test func severeTaxArrearsGoToTheTaxAuthorityAndOtherSevereRecordsToTheirSource() throws {
        let tax = try #require(Self.shipped.rule(for: Self.record(.taxArrears, severity: .severe, amount: 2_000_000)))
        #expect(tax.rule.decidingDepartment(recordSource: "finance") == "tax")
        let penalty = try #require(Self.shipped.rule(for: Self.record(.penalty, severity: .severe, fine: 60)))
        #expect(penalty.rule.decidingDepartment(recordSource: "market") == "market")
    }

    @Test func recordsThatAreNotDishonestOrAreTheCourtsTakeNoRule() {
        #expect(Self.shipped.rule(for: Self.record(.licence, severity: nil)) == nil)
        #expect(Self.shipped.rule(for: Self.record(.commitment, severity: nil, performance: .kept)) == nil)
        #expect(Self.shipped.rule(for: Self.record(.courtDishonestDebtor, severity: .severe)) == nil)
        // A breached commitment without a severity is judged by the default severity rules: serious.
        #expect(Self.shipped.rule(for: Self.record(.commitment, severity: nil, performance: .breached))?.rule.measure == .keyAttention)
    }

    @Test func theShippedRedListRuleIsThreeCleanYearsAndGradeA() throws {
        let rule = try #require(Self.shipped.redList.first)
        #expect(rule.grades == [.A] && rule.cleanYears == 3 && rule.decider == "ndrc")
        #expect(rule.source == "Huzhou Joint Reward and Punishment Opinions, item 7")
    }

    /// Bad files stop start-up with the rule and field named.
    @Test(arguments: [
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [general]\n    measure: fine\n    basis: b\n",
            "rules[x].measure"
        ),
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [court-dishonest-debtor]\n    severities: [severe]\n    measure: reminder\n    basis: b\n",
            "rules[x].kinds"
        ),
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [serious]\n    measure: key-attention\n    basis: b\n",
            "rules[x].months"
        ),
        ("version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [general]\n    measure: reminder\n", "rules[x].basis"),
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [general]\n    when: [{field: colour, atLeast: 1}]\n    measure: reminder\n    basis: b\n",
            "rules[x].when[0].field"
        ),
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [general]\n    measure: interview\n    basis: b\n",
            "rules[x].respondWorkingDays"
        ),
        (
            "version: \"1\"\nrules:\n  - id: x\n    kinds: [penalty]\n    severities: [severe]\n    measure: black-proposal\n    decider: Tax Bureau\n    months: 3\n    basis: b\n",
            "rules[x].decider"
        ),
        (
            "version: \"1\"\nredList:\n  - id: r\n    cleanYears: 0\n    decider: ndrc\n    months: 12\n    basis: b\n",
            "redList[r].cleanYears"
        ),
        ("rules: []\n", "version"),
    ])
    func refusesABadRuleNamingIt(yaml: String, field: String) {
        #expect {
            try MeasureRulesLoader.load(yaml: yaml)
        } throws: { error in
            (error as? DomainError)?.field == field
        }
    }

    @Test func aConditionOnAFieldMustHold() throws {
        let rules = try MeasureRulesLoader.load(
            yaml: """
                version: "t"
                rules:
                  - id: revocation
                    kinds: [penalty]
                    severities: [general, serious, severe]
                    when: [{field: category, contains: [吊销]}, {field: fineAmount, below: 100}]
                    measure: reminder
                    basis: b
                """)
        var record = Self.record(.penalty, severity: .general, fine: 5)
        #expect(rules.rule(for: record) == nil, "no category")
        record.category = "罚款;吊销营业执照"
        #expect(rules.rule(for: record)?.rule.id == "revocation")
        record.fineAmount = 100
        #expect(rules.rule(for: record) == nil, "below is exclusive")
    }
}
