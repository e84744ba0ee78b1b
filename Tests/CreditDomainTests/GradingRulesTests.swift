import CreditDomain
import Testing

@Suite struct GradingRulesTests {
    static let general = GradeInput(kind: .penalty, severity: .general)
    static let serious = GradeInput(kind: .penalty, severity: .serious)
    static let severe = GradeInput(kind: .penalty, severity: .severe)
    static let debtor = GradeInput(kind: .courtDishonestDebtor, severity: .severe)
    static let arrears = GradeInput(kind: .taxArrears)
    static let honour = GradeInput(kind: .commendation)

    @Test(
        arguments: [
            ([], 100, CreditGrade.A, SupervisionClass.reduced),
            ([general], 95, .A, .reduced),
            ([general, general], 90, .A, .reduced),
            ([GradeInput(kind: .penalty)], 95, .A, .reduced),
            ([serious], 85, .B, .normal),
            ([serious, serious], 70, .C, .increased),
            ([general, general, general, general, general, general], 70, .C, .increased),
            ([arrears, serious], 75, .B, .normal),
            ([severe], 70, .C, .increased),
            ([debtor], 60, .C, .increased),
            ([debtor, general], 55, .D, .increased),
            ([arrears, arrears], 80, .B, .normal),
            ([honour], 100, .A, .reduced),
            ([serious, honour], 90, .A, .reduced),
            ([debtor, debtor, debtor], 0, .D, .increased),
            ([GradeInput(kind: .licence), GradeInput(kind: .commitment)], 100, .A, .reduced),
        ] as [([GradeInput], Int, CreditGrade, SupervisionClass)])
    func gradesRecords(records: [GradeInput], score: Int, grade: CreditGrade, supervision: SupervisionClass) {
        #expect(GradingRules.grade(records) == GradeResult(score: score, grade: grade, supervision: supervision))
    }

    @Test func orderOfRecordsDoesNotMatter() {
        let records = [Self.honour, Self.honour, Self.severe, Self.general]
        #expect(GradingRules.grade(records) == GradingRules.grade(records.reversed()))
        #expect(GradingRules.grade(records).score == 75)
    }

    @Test func betterGradesCompareGreater() {
        #expect(CreditGrade.A > .B)
        #expect(CreditGrade.C > .D)
    }

    /// `explain` takes the score apart: base + contributions + bound = score, for every case above.
    @Test(
        arguments: [
            [], [general], [serious, serious], [debtor, debtor, debtor], [honour], [serious, honour], [arrears, serious],
            [GradeInput(kind: .licence), GradeInput(kind: .otherAdministrativeAct)],
        ] as [[GradeInput]])
    func explanationAddsUpToTheScore(records: [GradeInput]) {
        let explanation = GradingRules.explain(records.enumerated().map { ("R-\($0.offset)", $0.element) })
        let result = GradingRules.grade(records)
        #expect(explanation.score == result.score && explanation.grade == result.grade && explanation.supervision == result.supervision)
        #expect(explanation.base + explanation.components.reduce(0) { $0 + $1.contribution } + explanation.bound == explanation.score)
        #expect(explanation.components.count == records.count)
    }

    @Test func explanationNamesEachRecordsRuleAndWhatTheBoundTookAway() {
        let explanation = GradingRules.explain([("R-2", Self.honour), ("R-1", Self.serious), ("R-3", Self.honour), ("R-4", Self.honour)])
        #expect(explanation.components.map(\.record) == ["R-1", "R-2", "R-3", "R-4"])
        #expect(explanation.components[0].rule == "penalty, serious (较重)" && explanation.components[0].weight == -15)
        #expect(explanation.components[1].rule == "commendation or honour (表彰奖励)" && explanation.components[1].contribution == 5)
        // 100 − 15 + 15 = 100: nothing held back; one more honour would be.
        #expect(explanation.bound == 0 && explanation.score == 100)
        #expect(GradingRules.explain([("R-1", Self.honour)]).bound == -5)
        #expect(GradingRules.explain([("R-1", Self.debtor), ("R-2", Self.debtor), ("R-3", Self.debtor)]).bound == 20)
    }
}
