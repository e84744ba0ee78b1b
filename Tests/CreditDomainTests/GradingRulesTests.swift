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
}
