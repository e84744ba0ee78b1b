import CreditDomain
import Foundation
import Testing

/// The shipped evaluation model (`config/evaluation-model.yaml`), loaded once.
let shippedModel: EvaluationModel = {
    do {
        return try EvaluationModelLoader.load(
            contentsOf: catalogueURL.deletingLastPathComponent().appendingPathComponent("evaluation-model.yaml"))
    } catch {
        fatalError("config/evaluation-model.yaml does not load: \(error)")
    }
}()

@Suite struct EvaluationModelTests {
    static let general = GradeInput(kind: .penalty, severity: .general)
    static let serious = GradeInput(kind: .penalty, severity: .serious)
    static let severe = GradeInput(kind: .penalty, severity: .severe)
    static let debtor = GradeInput(kind: .courtDishonestDebtor, severity: .severe)
    static let arrears = GradeInput(kind: .taxArrears)
    static let honour = GradeInput(kind: .commendation)
    static let today = "2026-12-05"

    static func grade(_ records: [GradeInput], listings: [ListType] = [], on day: String = today) -> GradeResult {
        shippedModel.evaluate(records, listings: listings, on: day).result
    }

    /// Records without a date count in full: the model's weights and grade bands as a table.
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
            ([GradeInput(kind: .commitment, performance: .breached), serious], 75, .B, .normal),
            ([GradeInput(kind: .commitment, performance: .kept), serious], 87, .B, .normal),
            ([GradeInput(kind: .voluntary), severe], 71, .C, .increased),
        ] as [([GradeInput], Int, CreditGrade, SupervisionClass)])
    func gradesRecords(records: [GradeInput], score: Int, grade: CreditGrade, supervision: SupervisionClass) {
        #expect(Self.grade(records) == GradeResult(score: score, grade: grade, supervision: supervision))
    }

    @Test func orderOfRecordsDoesNotMatter() {
        let records = [Self.honour, Self.honour, Self.severe, Self.general]
        #expect(Self.grade(records) == Self.grade(records.reversed()))
        #expect(Self.grade(records).score == 75)
    }

    @Test func betterGradesCompareGreater() {
        #expect(CreditGrade.A > .B)
        #expect(CreditGrade.C > .D)
    }

    /// A serious penalty counts in full for twelve months, half until thirty-six, then not at all; the
    /// day its factor changes is the subject's next regrade. A court debtor does not decay.
    @Test(
        arguments: [
            ("2026-12-05", 85, "2027-12-05"), ("2026-01-01", 85, "2027-01-01"), ("2025-12-06", 85, "2026-12-06"),
            ("2025-12-05", 92, "2028-12-05"), ("2024-01-31", 92, "2027-01-31"), ("2023-12-05", 100, nil),
            ("2020-06-30", 100, nil),
        ] as [(String, Int, String?)])
    func recencyDecays(decided: String, score: Int, nextChange: String?) {
        let serious = GradeInput(kind: .penalty, severity: .serious, decided: decided)
        let evaluation = shippedModel.evaluate([serious], on: Self.today)
        // −15 × 0.5 = −7.5, rounded half away from zero: −8.
        #expect(evaluation.result.score == score)
        #expect(evaluation.nextChange == nextChange)
        let debtor = GradeInput(kind: .courtDishonestDebtor, decided: "2020-06-30")
        #expect(shippedModel.evaluate([debtor], on: Self.today).result.score == 60)
        #expect(shippedModel.evaluate([debtor], on: Self.today).nextChange == nil)
    }

    /// The month arithmetic at the ends of months: 31 January plus one month is the last of February.
    @Test func monthsEndOnTheLastDay() {
        let record = GradeInput(kind: .penalty, severity: .serious, decided: "2026-01-31")
        #expect(shippedModel.evaluate([record], on: "2027-01-30").result.score == 85)
        #expect(shippedModel.evaluate([record], on: "2027-01-31").result.score == 92)
        #expect(shippedModel.evaluate([record], on: "2027-01-30").nextChange == "2027-01-31")
        let leap = GradeInput(kind: .penalty, severity: .serious, decided: "2024-02-29")
        #expect(shippedModel.evaluate([leap], on: "2025-02-27").nextChange == "2025-02-28")
    }

    @Test func theRedListAddsItsIncentivePoints() {
        #expect(Self.grade([Self.serious], listings: [.red]) == GradeResult(score: 95, grade: .A, supervision: .reduced))
        // Lists the model does not score add nothing: the black list's consequences come from its records.
        #expect(Self.grade([Self.serious], listings: [.black, .keyAttention]).score == 85)
    }

    /// The market industry model starts from the public score and adds its rules for market's records.
    @Test func industryModelsAddTheirRulesForTheirDepartmentsRecords() {
        let market = GradeInput(kind: .penalty, severity: .serious, department: "market")
        let finance = GradeInput(kind: .penalty, severity: .serious, department: "finance")
        let evaluation = shippedModel.evaluate([market, finance], on: Self.today)
        #expect(evaluation.result.score == 70)
        #expect(evaluation.industries.map(\.id) == ["market"])
        #expect(evaluation.industries[0].result == GradeResult(score: 65, grade: .C, supervision: .increased))
        let explanation = shippedModel.explain(records: [("R-1", market), ("R-2", finance)], on: Self.today, industry: "market")
        #expect(explanation.score == 65 && explanation.industry == "market")
        #expect(explanation.components.map(\.model) == ["public", "public", "market"])
        #expect(explanation.base + explanation.components.reduce(0) { $0 + $1.contribution } + explanation.bound == 65)
    }

    /// `explain` takes the score apart: base + contributions + bound = score, for every case above and
    /// with decay, lists and bounds.
    @Test(
        arguments: [
            [], [general], [serious, serious], [debtor, debtor, debtor], [honour], [serious, honour], [arrears, serious],
            [GradeInput(kind: .licence), GradeInput(kind: .otherAdministrativeAct)],
            [GradeInput(kind: .penalty, severity: .serious, decided: "2025-01-01"), GradeInput(kind: .penalty, decided: "2024-06-30")],
            [honour, honour, honour, GradeInput(kind: .voluntary, decided: "2026-11-01")],
        ] as [[GradeInput]])
    func explanationAddsUpToTheScore(records: [GradeInput]) {
        for listings in [[], [(listing: "L-1", list: ListType.red)]] {
            let explanation = shippedModel.explain(
                records: records.enumerated().map { ("R-\($0.offset)", $0.element) }, listings: listings, on: Self.today)
            let result = Self.grade(records, listings: listings.map(\.list))
            #expect(explanation.result == result)
            #expect(explanation.base + explanation.components.reduce(0) { $0 + $1.contribution } + explanation.bound == explanation.score)
            #expect(explanation.components.count == records.count + listings.count)
            #expect(explanation.model == shippedModel.version)
        }
    }

    @Test func explanationNamesEachRecordsRuleFactorAndWhatTheBoundTookAway() {
        let old = GradeInput(kind: .penalty, severity: .serious, decided: "2025-06-01")
        let explanation = shippedModel.explain(
            records: [("R-2", Self.honour), ("R-1", old), ("R-3", Self.honour), ("R-4", Self.honour)], on: Self.today)
        #expect(explanation.components.map(\.record) == ["R-1", "R-2", "R-3", "R-4"])
        #expect(explanation.components[0].rule == "penalty, serious (较重)" && explanation.components[0].weight == -15)
        #expect(explanation.components[0].factor == 50 && explanation.components[0].contribution == -8)
        #expect(explanation.components[1].rule == "commendation or honour (表彰奖励)" && explanation.components[1].contribution == 5)
        // 100 − 8 + 15 = 107, held at 100.
        #expect(explanation.bound == -7 && explanation.score == 100)
        #expect(
            shippedModel.explain(records: [("R-1", Self.debtor), ("R-2", Self.debtor), ("R-3", Self.debtor)], on: Self.today).bound == 20)
    }

    // MARK: - The file

    @Test func theShippedModelNamesItsVersionAndEveryNegativeKind() {
        #expect(shippedModel.version == "2026.1")
        for kind in RecordKind.allCases where kind.isNegative {
            #expect(shippedModel.rules.contains { $0.kind == kind }, "no rule scores \(kind.rawValue)")
        }
        #expect(shippedModel.scoredLists == [.red])
    }

    static let minimal = """
        version: "t1"
        weights: [{kind: penalty, points: -5}]
        grades: [{grade: A, from: 90, supervision: reduced}, {grade: D, from: 0, supervision: increased}]
        """

    @Test func aMinimalModelTakesTheDefaults() throws {
        let model = try EvaluationModelLoader.load(yaml: Self.minimal)
        #expect(model.base == 100 && model.floor == 0 && model.ceiling == 100)
        #expect(model.decay == [.init(fromMonths: 0, factor: 100)])
        #expect(model.rules[0].rule == "penalty")
        #expect(model.evaluate([Self.general, Self.general, Self.general], on: Self.today).result.grade == .D)
    }

    /// Each mistake is refused with the field and what is allowed.
    @Test(
        arguments: [
            ("weights: [{kind: penalty, points: -5}]", "version"),
            ("version: t\nweights: [{kind: penalty, points: 5}]\ngrades: [{grade: D, from: 0, supervision: normal}]", "weights[0].points"),
            (
                "version: t\npositives: [{kind: commendation, points: -1}]\ngrades: [{grade: D, from: 0, supervision: normal}]",
                "positives[0].points"
            ),
            ("version: t\nweights: [{kind: fine, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]", "weights[0].kind"),
            (
                "version: t\nweights: [{kind: penalty, list: red, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]",
                "weights[0]"
            ),
            ("version: t\nweights: [{kind: penalty}]\ngrades: [{grade: D, from: 0, supervision: normal}]", "weights[0].points"),
            ("version: t\nweights: [{kind: penalty, points: -5}]", "grades"),
            ("version: t\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: A, from: 90, supervision: reduced}]", "grades[0].from"),
            (
                "version: t\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: B, from: 90, supervision: normal}, {grade: A, from: 0, supervision: reduced}]",
                "grades[1].from"
            ),
            (
                "version: t\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: D, from: 0, supervision: lax}]",
                "grades[0].supervision"
            ),
            (
                "version: t\ndecay: [{fromMonths: 12, factor: 0.5}]\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]",
                "decay[0].fromMonths"
            ),
            (
                "version: t\ndecay: [{fromMonths: 0, factor: 1.5}]\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]",
                "decay[0].factor"
            ),
            (
                "version: t\nrange: [100, 0]\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]",
                "range"
            ),
            (
                "version: t\nweights: [{kind: penalty, points: -5}]\ngrades: [{grade: D, from: 0, supervision: normal}]\nindustries: [{id: Market, department: market}]",
                "industries[Market].id"
            ),
            ("version: [1", "evaluation model"),
        ] as [(String, String)])
    func refusesMistakesNamingTheField(yaml: String, field: String) {
        let error = domainError { () throws(DomainError) in try EvaluationModelLoader.load(yaml: yaml) }
        #expect(error?.field == field, "\(String(describing: error))")
    }
}
