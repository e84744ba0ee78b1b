import CreditDomain
import Foundation
import Testing

@Suite struct InspectionPlanLoaderTests {
    static let demoURL = catalogueURL.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
        "demo/inspection-plans.yaml")

    static let valid = """
        plans:
          - id: market-food
            department: market
            title: 食品经营者抽查
            authority: 湖州市市场监督管理局
            basis: 国发〔2019〕5号
            population: {regions: ["3305"], recordKinds: [licence], keywords: [食品]}
            ratio: 2.5%
            multipliers: {A: 0.5, B: 1, C: 2.25, D: 3}
            team: 2
            conflicts: [declared, same-region]
            inspectors:
              - {id: M-1, name: 甲, region: "330502", related: [91330502ma28k6xy14]}
              - {id: M-2, name: 乙}
        """

    @Test func loadsTheDemoPlans() throws {
        let plans = try InspectionPlanLoader.load(contentsOf: Self.demoURL)
        #expect(plans.ids == ["market-food-2026q3", "market-general-2026"])
        let food = try #require(plans["market-food-2026q3"])
        #expect(food.ratioBasisPoints == 2_000 && food.multiplierPercent == .standard && food.team == 2)
        #expect(food.population.keywords == ["食品"] && food.population.subjectKinds == [.enterprise, .individualBusiness])
        #expect(food.conflicts == [.declared, .sameRegion] && food.inspectors.count == 6)
    }

    @Test func readsPercentagesAndMultipliersExactly() throws {
        let plan = try #require(try InspectionPlanLoader.load(yaml: Self.valid)["market-food"])
        #expect(plan.ratioBasisPoints == 250)
        #expect(plan.multiplierPercent == GradeMultipliers(a: 50, b: 100, c: 225, d: 300))
        #expect(plan.inspectors[0].related == ["91330502MA28K6XY14"] && plan.inspectors[0].region == "330502")
    }

    @Test(arguments: [
        ("ratio: 2.5%", "ratio: 2.5", "plans[market-food].ratio", "must be a percentage"),
        ("ratio: 2.5%", "ratio: 0%", "plans[market-food].ratio", "above 0 and at most 100%"),
        ("ratio: 2.5%", "ratio: 0.001%", "plans[market-food].ratio", "steps of 0.01%"),
        ("C: 2.25", "C: 12", "plans[market-food].multipliers.C", "from 0 to 10"),
        ("C: 2.25, ", "", "plans[market-food].multipliers", "C is missing"),
        ("D: 3}", "D: 3, E: 1}", "plans[market-food].multipliers", "is no grade"),
        (
            "{regions", "{subjectKinds: [natural-person], regions", "plans[market-food].population.subjectKinds",
            "natural persons are not drawn"
        ),
        ("regions: [\"3305\"]", "regions: [\"33A\"]", "plans[market-food].population.regions", "2–6 digits"),
        ("conflicts: [declared, same-region]", "conflicts: [same-region]", "plans[market-food].conflicts", "add declared"),
        ("conflicts: [declared, same-region]", "conflicts: [kinship]", "plans[market-food].conflicts", "declared, same-region"),
        ("team: 2", "team: 3", "plans[market-food].inspectors", "at least the 3 inspectors of one team"),
        ("id: M-2", "id: M-1", "plans[market-food].inspectors[1].id", "used by another inspector"),
        ("91330502ma28k6xy14", "91330502MA28K6XY15", "plans[market-food].inspectors[0].related[0]", "check character"),
        ("department: market", "department: Market", "plans[market-food].department", "lower-case"),
        ("    basis: 国发〔2019〕5号\n", "", "plans[market-food].basis", "is required"),
    ])
    func refusesABadPlanNamingTheField(original: String, replacement: String, field: String, reason: String) {
        let yaml = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(yaml != Self.valid, "the case must change the plan")
        let error = domainError { () throws(DomainError) in try InspectionPlanLoader.load(yaml: yaml) }
        #expect(error?.field == field, "\(String(describing: error))")
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func refusesTwoPlansWithOneId() {
        let plan = Self.valid.components(separatedBy: "plans:\n")[1]
        let error = domainError { () throws(DomainError) in try InspectionPlanLoader.load(yaml: Self.valid + "\n" + plan) }
        #expect(error?.field == "plans[market-food].id" && error?.reason.contains("more than one plan") == true)
    }
}
