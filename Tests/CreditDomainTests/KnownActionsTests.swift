import Testing

@testable import CreditDomain

/// The actions an interceptor answers for, and the refusal of any other.
@Suite struct KnownActionsTests {
    @Test func aDepartmentKnowsItsOwnAndTheGenericMeasuresActions() {
        let finance = shippedCatalogue.actions(for: .finance)
        #expect(finance.contains("government-procurement"))  // finance's own measure
        #expect(finance.contains("license-approval"))  // a generic ("*") measure
        #expect(!finance.contains("hotel-booking-4star"))  // commerce's
        #expect(shippedCatalogue.actions(for: .commerce).contains("hotel-booking-4star"))
    }

    @Test func refusesAMisspeltActionNamingTheNearestAndTheKnownOnes() throws {
        let known = KnownActions(department: .finance, catalogue: shippedCatalogue)
        let reason = try #require(known.refusal(of: "goverment-procurement", catalogueVersion: shippedCatalogue.version))
        #expect(reason.hasPrefix(#"action "goverment-procurement" is unknown to finance (did you mean government-procurement?): "#))
        #expect(reason.contains("no measure of catalogue \(shippedCatalogue.version) names it"))
        #expect(reason.contains("interceptors.finance.actions does not declare it"))
        #expect(reason.contains("known actions: ") && reason.contains("government-procurement, "))
        #expect(known.refusal(of: "government-procurement", catalogueVersion: "x") == nil)
    }

    @Test func anotherDepartmentsActionIsUnknownWithoutAGuess() throws {
        let known = KnownActions(department: .finance, catalogue: shippedCatalogue)
        let reason = try #require(known.refusal(of: "hotel-booking-4star", catalogueVersion: "2026.2"))
        #expect(!reason.contains("did you mean"))
    }

    @Test func declaredActionsAreKnownThoughNoMeasureNamesThem() {
        let known = KnownActions(department: .finance, catalogue: shippedCatalogue, declared: ["issue-invoice"])
        #expect(known.contains("issue-invoice") && known.contains("government-procurement"))
        #expect(known.refusal(of: "issue-invoice", catalogueVersion: "2026.2") == nil)
        #expect(known.all == known.all.sorted())
    }

    @Test func anEmptyCatalogueKnowsOnlyWhatIsDeclared() throws {
        let empty = MeasureCatalogue(version: "0", measures: [])
        let known = KnownActions(department: .finance, catalogue: empty)
        #expect(try #require(known.refusal(of: "x", catalogueVersion: "0")).contains("finance knows no action yet"))
    }

    @Test(arguments: [
        ("government-procurement", "goverment-procurement", 1), ("abc", "abc", 0), ("", "ab", 2), ("kitten", "sitting", 3),
        ("a", "abcdefgh", 4),  // beyond the limit of 3
    ])
    func measuresEditDistanceUpToALimit(a: String, b: String, distance: Int) {
        #expect(KnownActions.editDistance(a, b, limit: 3) == distance)
    }
}
