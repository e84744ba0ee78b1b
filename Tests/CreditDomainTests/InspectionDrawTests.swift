import CreditDomain
import Foundation
import Testing

/// The inspection draw (双随机、一公开): reproducible from its inputs, changed by any of them, honouring the
/// conflict rules, and drawing each grade with probability ratio × multiplier.
@Suite struct InspectionDrawTests {
    /// A valid unified social credit code of Huzhou's 吴兴区 (330502) or another division, numbered.
    static func code(_ number: Int, division: String = "330502") -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
        let organisation = Array(String(format: "%08d", 71_000_000 + number))
        let sum = zip(organisation, [3, 7, 9, 10, 5, 8, 4, 2]).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = 11 - sum % 11
        let body = Array("91" + division) + organisation + [check == 10 ? "X" : check == 11 ? "0" : Character(String(check))]
        let total = zip(body, weights).reduce(0) { $0 + alphabet.firstIndex(of: $1.0)! * $1.1 }
        return String(body) + String(alphabet[(31 - total % 31) % 31])
    }

    static func population(_ counts: [CreditGrade: Int], division: String = "330502", from start: Int = 0) -> [DrawCandidate] {
        var candidates: [DrawCandidate] = []
        var number = start
        for grade in CreditGrade.allCases {
            for _ in 0..<(counts[grade] ?? 0) {
                candidates.append(DrawCandidate(subject: code(number, division: division), grade: grade))
                number += 1
            }
        }
        return candidates
    }

    static func plan(
        ratio: Int = 1_000, multipliers: GradeMultipliers = .standard, team: Int = 2, conflicts: [ConflictRule] = [.declared],
        inspectors: [Inspector] = (1...6).map { Inspector(id: "M-10\($0)", name: "检查员\($0)") }
    ) -> InspectionPlan {
        InspectionPlan(
            id: "market-food", department: "market", title: "食品经营者抽查", authority: "湖州市市场监督管理局", basis: "国发〔2019〕5号",
            ratioBasisPoints: ratio, multiplierPercent: multipliers, team: team, conflicts: conflicts, inspectors: inspectors)
    }

    static func draw(_ plan: InspectionPlan, _ source: String, _ population: [DrawCandidate]) throws -> InspectionDraw {
        let (seed, selected) = try InspectionDrawing.draw(plan: plan, seedSource: source, population: population)
        return InspectionDraw(
            id: "I-000001", plan: plan, seedSource: source, population: population.sorted { $0.subject < $1.subject }, seed: seed,
            selected: selected, drawnAt: "2026-07-01T08:00:00.000Z", drawnBy: "market")
    }

    // MARK: - Reproducibility

    @Test func theSameInputsGiveTheSameDrawAndItVerifies() throws {
        let population = Self.population([.A: 30, .B: 10, .C: 5, .D: 5])
        let first = try Self.draw(Self.plan(), "体彩排列五 第26101期 3 8 1 5 6", population)
        let second = try Self.draw(Self.plan(), "体彩排列五 第26101期 3 8 1 5 6", population.reversed())
        #expect(first.seed == second.seed && first.selected == second.selected)
        #expect(!first.selected.isEmpty)
        #expect(InspectionDrawing.verify(first).isEmpty)
    }

    /// A fixed example that another implementation can check itself against (docs/PROTOCOL.md).
    @Test func matchesThePublishedExample() throws {
        let plan = Self.plan(
            ratio: 5_000, inspectors: [Inspector(id: "M-1", name: "甲"), Inspector(id: "M-2", name: "乙"), Inspector(id: "M-3", name: "丙")])
        let population = [
            DrawCandidate(subject: "91330502710000005U", grade: .A), DrawCandidate(subject: "913305037100003716", grade: .B),
            DrawCandidate(subject: "91330521710000742Y", grade: .D),
        ]
        let text = InspectionDrawing.inputText(plan: plan, seedSource: "example", population: population)
        #expect(
            text == """
                credit-mesh inspection draw 1
                plan market-food
                department market
                ratio 5000
                multipliers 50 100 200 300
                team 2
                conflicts declared
                inspector M-1 - -
                inspector M-2 - -
                inspector M-3 - -
                source 50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c
                subject 91330502710000005U A
                subject 913305037100003716 B
                subject 91330521710000742Y D

                """)
        let draw = try Self.draw(plan, "example", population)
        #expect(draw.seed == Self.exampleSeed, "\(draw.seed)")
        #expect(draw.selected == Self.exampleSelection, "\(draw.selected)")
    }

    static let exampleSeed = "0db8d2248c3744ffd140d0d5d1c2fbf3adb360fa8ed4fda003bc10b04b7c36cd"
    static let exampleSelection = [
        DrawAssignment(subject: "91330502710000005U", grade: .A, inspectors: ["M-3", "M-2"]),
        DrawAssignment(subject: "91330521710000742Y", grade: .D, inspectors: ["M-1", "M-2"]),
    ]

    @Test(arguments: ["seed source", "population grade", "population member", "ratio", "multiplier", "roster", "conflict declared", "team"])
    func changingAnyInputChangesTheSeedAndVerifyNamesIt(input: String) throws {
        let population = Self.population([.A: 30, .B: 10, .C: 5, .D: 5])
        let published = try Self.draw(Self.plan(), "26101", population)
        var altered = published
        switch input {
        case "seed source": altered.seedSource = "26102"
        case "population grade": altered.population[0].grade = .D
        case "population member": altered.population.removeLast()
        case "ratio": altered.plan.ratioBasisPoints = 1_100
        case "multiplier": altered.plan.multiplierPercent.d = 250
        case "roster": altered.plan.inspectors.removeLast()
        case "conflict declared": altered.plan.inspectors[0].related = [population[0].subject]
        default: altered.plan.team = 3
        }
        let differences = InspectionDrawing.verify(altered)
        #expect(differences.first?.hasPrefix("seed: the published inputs give") == true, "\(differences)")
        #expect(differences.first?.contains("the draw says \(published.seed)") == true)
    }

    @Test func aTamperedResultFailsVerifyNamingTheSubject() throws {
        let published = try Self.draw(Self.plan(), "26101", Self.population([.A: 30, .B: 10, .C: 5, .D: 5]))
        var swapped = published
        swapped.selected[0].inspectors.reverse()
        let differences = InspectionDrawing.verify(swapped)
        #expect(differences.count == 1 && differences[0].hasPrefix("selected[0]: the inputs draw \(published.selected[0].subject)"))

        var dropped = published
        dropped.selected.removeLast()
        #expect(InspectionDrawing.verify(dropped).first?.contains("the draw lists \(published.selected.count - 1)") == true)

        var otherAlgorithm = published
        otherAlgorithm.algorithm = "credit-mesh inspection draw 2"
        #expect(InspectionDrawing.verify(otherAlgorithm).first?.hasPrefix("algorithm:") == true)
    }

    // MARK: - Conflicts

    @Test func noInspectorIsSentToASubjectTheyDeclaredOrOfTheirOwnRegion() throws {
        let wuxing = Self.population([.A: 20, .C: 20], division: "330502")
        let nanxun = Self.population([.B: 20, .D: 20], division: "330503", from: 500)
        let inspectors = [
            Inspector(id: "M-1", name: "甲", region: "330502", related: [nanxun[0].subject]),
            Inspector(id: "M-2", name: "乙", region: "330502"),
            Inspector(id: "M-3", name: "丙", region: "330503", related: [wuxing[0].subject, wuxing[1].subject]),
            Inspector(id: "M-4", name: "丁", region: "330503"),
            Inspector(id: "M-5", name: "戊", region: "3306"),
            Inspector(id: "M-6", name: "己"),
        ]
        let flat = GradeMultipliers(a: 100, b: 100, c: 100, d: 100)
        let plan = Self.plan(ratio: 10_000, multipliers: flat, conflicts: [.declared, .sameRegion], inspectors: inspectors)
        for round in 0..<50 {
            let draw = try Self.draw(plan, "round \(round)", wuxing + nanxun)
            #expect(draw.selected.count == 80)
            for assignment in draw.selected {
                #expect(Set(assignment.inspectors).count == 2)
                for id in assignment.inspectors {
                    let inspector = try #require(inspectors.first { $0.id == id })
                    #expect(!inspector.related.contains(assignment.subject), "\(id) sent to declared \(assignment.subject)")
                    if let region = inspector.region {
                        #expect(!assignment.subject.dropFirst(2).hasPrefix(region), "\(id) sent to its own region: \(assignment.subject)")
                    }
                }
            }
        }
    }

    @Test func assignmentsAreSpreadEvenlyOverTheRoster() throws {
        let flat = GradeMultipliers(a: 100, b: 100, c: 100, d: 100)
        let draw = try Self.draw(Self.plan(ratio: 10_000, multipliers: flat), "x", Self.population([.A: 10, .B: 7]))
        var load: [String: Int] = [:]
        for assignment in draw.selected { assignment.inspectors.forEach { load[$0, default: 0] += 1 } }
        // 17 subjects × 2 places over 6 inspectors: 5 or 6 each.
        #expect(load.count == 6 && load.values.allSatisfy { (5...6).contains($0) }, "\(load)")
    }

    @Test func aSubjectThatCannotBeStaffedRefusesTheDrawNamingTheConflicts() {
        let subject = Self.code(1)
        let plan = Self.plan(
            ratio: 10_000, conflicts: [.declared, .sameRegion],
            inspectors: [
                Inspector(id: "M-1", name: "甲", related: [subject]), Inspector(id: "M-2", name: "乙", region: "3305"),
                Inspector(id: "M-3", name: "丙"),
            ])
        let error = domainError { () throws(DomainError) in
            try InspectionDrawing.draw(plan: plan, seedSource: "x", population: [DrawCandidate(subject: subject, grade: .A)])
        }
        #expect(error?.field == "plans[market-food].inspectors")
        #expect(error?.reason.contains("needs 2 inspectors free of conflict and has 1") == true, "\(String(describing: error))")
        #expect(error?.reason.contains("M-1 declared \(subject) related") == true)
        #expect(error?.reason.contains("M-2 is of region 3305") == true)
        #expect(error?.reason.contains("add inspectors to the roster of plan market-food or lower its team") == true)
    }

    // MARK: - Multipliers

    /// 10 subjects of each grade at a 10% ratio with the standard multipliers: A expects 0.5 a draw (one
    /// drawn half the time), B 1, C 2, D 3, so over 1,000 seeds a D subject is drawn six times as often
    /// as an A subject. The seeds are fixed: the counts are the same on every run.
    @Test func multipliersSetEachGradesChanceOfBeingDrawn() throws {
        let population = Self.population([.A: 10, .B: 10, .C: 10, .D: 10])
        let plan = Self.plan(ratio: 1_000, inspectors: (1...20).map { Inspector(id: "M-\($0)", name: "检查员\($0)") })
        var drawn: [CreditGrade: Int] = [:]
        var perSubject: [String: Int] = [:]
        for round in 0..<1_000 {
            for assignment in try Self.draw(plan, "seed \(round)", population).selected {
                drawn[assignment.grade, default: 0] += 1
                perSubject[assignment.subject, default: 0] += 1
            }
        }
        // Whole expectations are met exactly, fractional ones on average.
        #expect(drawn[.B] == 1_000 && drawn[.C] == 2_000 && drawn[.D] == 3_000)
        let a = try #require(drawn[.A])
        #expect((440...560).contains(a), "A drawn \(a) times; 500 expected")
        // Within a grade every subject has the same chance: D subjects ~300 of 1,000 each.
        for candidate in population where candidate.grade == .D {
            #expect((240...360).contains(perSubject[candidate.subject] ?? 0), "\(candidate.subject): \(perSubject[candidate.subject] ?? 0)")
        }
        // Everyone at 100% or more: the whole grade.
        let all = try Self.draw(Self.plan(ratio: 5_000, inspectors: plan.inspectors), "x", population)
        #expect(all.selected.filter { $0.grade == .D }.count == 10 && all.selected.filter { $0.grade == .C }.count == 10)
        #expect(all.selected.filter { $0.grade == .B }.count == 5)
    }

    @Test func aZeroMultiplierNeverDrawsItsGrade() throws {
        let plan = Self.plan(ratio: 10_000, multipliers: GradeMultipliers(a: 0, b: 100, c: 100, d: 100))
        let draw = try Self.draw(plan, "x", Self.population([.A: 5, .B: 2]))
        #expect(draw.selected.map(\.grade) == [.B, .B])
    }
}
