import CreditDomain
import Testing

@Suite struct CheckDeciderTests {
    static let today = "2026-03-01"

    static func listing(
        _ id: String, _ list: ListType, subject: String = "91330100799655058B", initiator: Department = .court,
        start: String = "2025-01-05", until: String = "2028-01-05", status: Listing.Status = .active
    ) -> Listing {
        Listing(
            id: id, list: list, subjectID: subject, subjectName: "杭州某某贸易有限公司", subjectKind: .enterprise,
            initiator: initiator, basis: "失信被执行人", document: "(2024)浙0102执1234号", start: start, until: until,
            status: status)
    }

    static func decide(
        _ department: Department, _ action: String, _ listings: [Listing],
        related: [(role: RelatedPerson.Role, listing: Listing)] = []
    ) -> CheckOutcome {
        CheckDecider.decide(
            department: department, action: action, today: today, listings: listings, relatedListings: related,
            catalogue: shippedCatalogue)
    }

    @Test func blocksABlackListedSubjectAtGovernmentProcurement() {
        let outcome = Self.decide(.finance, "government-procurement", [Self.listing("L-1", .black)])
        #expect(outcome.decision == .block)
        #expect(outcome.matched.map(\.measureID) == ["finance.procurement-ban"])
        #expect(
            outcome.reason
                == "blocked by finance.procurement-ban: black list listing L-1 initiated by court until 2028-01-05")
        let matched = outcome.matched[0]
        #expect(matched.effect == .block)
        #expect(matched.listingID == "L-1")
        #expect(matched.list == .black)
        #expect(matched.initiator == .court)
        #expect(matched.document == "(2024)浙0102执1234号")
        #expect(matched.target == .subject)
        #expect(matched.until == "2028-01-05")
        #expect(matched.basis.contains("合作备忘录"))
    }

    @Test(arguments: [
        (Department.finance, "office-supplies-reimbursement"),
        (.commerce, "government-procurement"),
        (.market, "annual-report-filing"),
        (Department(rawValue: "unknown"), "government-procurement"),
    ])
    func allowsOtherActionsAndDepartments(department: Department, action: String) {
        let outcome = Self.decide(department, action, [Self.listing("L-1", .black)])
        #expect(outcome.decision == .allow)
        #expect(outcome.matched.isEmpty)
    }

    @Test func allowsASubjectWithoutListings() {
        let outcome = Self.decide(.finance, "government-procurement", [])
        #expect(outcome.decision == .allow)
        #expect(outcome.reason == "allowed: no listing in force on 2026-03-01")
    }

    @Test(arguments: [
        listing("L-old", .black, until: "2026-02-28"),
        listing("L-future", .black, start: "2026-03-02"),
        listing("L-removed", .black, status: .removed),
    ])
    func ignoresListingsNotInForce(listing: Listing) {
        #expect(Self.decide(.finance, "government-procurement", [listing]).decision == .allow)
    }

    @Test func appliesAListingOnItsLastDay() {
        let listing = Self.listing("L-1", .black, until: Self.today)
        #expect(Self.decide(.finance, "government-procurement", [listing]).decision == .block)
    }

    @Test func reviewsAKeyAttentionSubject() {
        let outcome = Self.decide(.market, "license-approval", [Self.listing("K-1", .keyAttention, initiator: .market)])
        #expect(outcome.decision == .review)
        // The market's own measure first, then the generic one (Shaanxi Plan 三(三)1) that every department
        // applies.
        #expect(outcome.matched.map(\.measureID) == ["market.key-attention-inspection", "general.key-attention-supervision"])
        #expect(
            outcome.reason.hasPrefix(
                "review required by market.key-attention-inspection: key-attention list listing K-1"))
    }

    @Test func fastTracksARedListedSubject() {
        let outcome = Self.decide(.market, "license-approval", [Self.listing("R-1", .red, initiator: .market)])
        #expect(outcome.decision == .fastTrack)
        #expect(outcome.matched.map(\.measureID) == ["market.license-green-channel", "general.red-list-green-channel"])
        #expect(outcome.reason.hasPrefix("fast-tracked by market.license-green-channel: red list listing R-1"))
    }

    @Test func blockBeatsFastTrack() {
        let listings = [Self.listing("R-1", .red, initiator: .finance), Self.listing("L-1", .black)]
        let outcome = Self.decide(.finance, "government-procurement", listings)
        #expect(outcome.decision == .block)
        #expect(outcome.matched.map(\.measureID) == ["finance.procurement-ban", "finance.procurement-green-channel"])
        #expect(outcome.reason.hasSuffix("(and 1 more matched measure)"))
    }

    @Test func reviewBeatsFastTrack() {
        let listings = [Self.listing("R-1", .red, initiator: .market), Self.listing("K-1", .keyAttention)]
        #expect(Self.decide(.market, "license-approval", listings).decision == .review)
    }

    @Test func notifyAllowsButReportsTheMeasure() {
        let outcome = Self.decide(Department(rawValue: "tax"), "tax-audit", [Self.listing("L-1", .black)])
        #expect(outcome.decision == .allow)
        #expect(outcome.matched.map(\.measureID) == ["tax.enforcement-assistance"])
        #expect(outcome.reason.hasPrefix("allowed with notice by tax.enforcement-assistance"))
    }

    // MARK: - Related persons

    @Test(arguments: [RelatedPerson.Role.legalRepresentative, .principal, .actualController])
    func blocksARelatedPersonWhereTheMeasureReachesTheRole(role: RelatedPerson.Role) {
        let company = Self.listing("L-1", .black)
        let outcome = Self.decide(.commerce, "hotel-booking-4star", [], related: [(role, company)])
        #expect(outcome.decision == .block)
        #expect(outcome.matched.first?.target == MeasureTarget(role: role))
        #expect(outcome.reason.contains("of a listed organisation"))
    }

    @Test func blocksTheLegalRepresentativesChildFromPrivateSchool() {
        let outcome = Self.decide(
            .education, "private-school-enrollment", [], related: [(.legalRepresentative, Self.listing("L-1", .black))])
        #expect(outcome.decision == .block)
        #expect(outcome.matched.map(\.measureID) == ["education.private-school-restriction"])
    }

    @Test func allowsARelatedPersonWhereTheMeasureReachesOnlyTheSubject() {
        let company = Self.listing("L-1", .black)
        for action in ["change-legal-representative", "serve-as-legal-representative"] {
            let outcome = Self.decide(.market, action, [], related: [(.legalRepresentative, company)])
            #expect(outcome.decision == .allow, "\(action)")
        }
        let procurement = Self.decide(
            .finance, "government-procurement", [], related: [(.legalRepresentative, company)])
        #expect(procurement.decision == .allow)
    }

    @Test func ignoresAnExpiredListingOfTheRelatedOrganisation() {
        let company = Self.listing("L-1", .black, until: "2025-12-31")
        #expect(Self.decide(.commerce, "hotel-booking-4star", [], related: [(.principal, company)]).decision == .allow)
    }

    @Test func decidesAgainstAGivenCatalogue() {
        let catalogue = MeasureCatalogue(
            version: "t",
            measures: [
                Measure(
                    id: "sport.golf", department: "sport", title: "No golf", actions: ["golf-membership"],
                    lists: [.black, .keyAttention], effect: .block, basis: "memorandum")
            ])
        let outcome = CheckDecider.decide(
            department: "sport", action: "golf-membership", today: Self.today,
            listings: [Self.listing("K-1", .keyAttention)], catalogue: catalogue)
        #expect(outcome.decision == .block)
    }
}

/// While an objection is verified, a listing's measures are suspended as the objection says.
@Suite struct SuspendedListingTests {
    static func suspended(_ policy: Listing.Suspension.Policy, _ list: ListType = .black) -> Listing {
        var listing = CheckDeciderTests.listing("L-1", list)
        listing.suspension = Listing.Suspension(objection: "O-000001", policy: policy, since: "2026-02-27T08:00:00Z")
        return listing
    }

    @Test func aBlockBecomesAReviewNamingTheObjection() {
        let outcome = CheckDeciderTests.decide(.finance, "government-procurement", [Self.suspended(.review)])
        #expect(outcome.decision == .review)
        #expect(outcome.matched.map(\.measureID) == ["finance.procurement-ban"])
        #expect(outcome.matched.first?.effect == .review && outcome.matched.first?.suspendedBy == "O-000001")
        #expect(
            outcome.reason
                == "review required by finance.procurement-ban: black list listing L-1 initiated by court is suspended while objection O-000001 is verified"
        )
    }

    @Test func aSuspensionThatAllowsLeavesTheListingOut() {
        let outcome = CheckDeciderTests.decide(.finance, "government-procurement", [Self.suspended(.allow)])
        #expect(outcome.decision == .allow && outcome.matched.isEmpty)
    }

    @Test func anotherListingInForceStillBlocks() {
        let other = CheckDeciderTests.listing("L-2", .black, initiator: .market)
        let outcome = CheckDeciderTests.decide(.finance, "government-procurement", [Self.suspended(.review), other])
        #expect(outcome.decision == .block && outcome.matched.first?.listingID == "L-2")
        #expect(outcome.matched.map(\.effect) == [.block, .review])
    }
}

/// Grades as measures: a grade listing carries the subject's grade; a measure naming the grade applies to the
/// subject itself, never through a related person, and a measure of lists alone never matches it.
@Suite struct GradeMeasureTests {
    static func gradeListing(_ grade: CreditGrade) -> Listing {
        var listing = CheckDeciderTests.listing("G-1", .grade, initiator: .ndrc, until: "9999-12-31")
        listing.grade = grade
        return listing
    }

    @Test func gradeDIsReviewedAtLicenceApprovalEverywhere() {
        for department in Department.standard {
            let outcome = CheckDeciderTests.decide(department, "license-approval", [Self.gradeListing(.D)])
            #expect(outcome.decision == .review, "\(department)")
            #expect(outcome.matched.first?.measureID == "general.grade-d-license-review")
            #expect(outcome.matched.first?.grade == .D && outcome.reason.contains("credit grade D"), "\(outcome.reason)")
        }
    }

    @Test func otherGradesAndOtherActionsAreAllowed() {
        #expect(CheckDeciderTests.decide(.market, "license-approval", [Self.gradeListing(.C)]).decision == .allow)
        #expect(CheckDeciderTests.decide(.finance, "government-procurement", [Self.gradeListing(.D)]).decision == .allow)
    }

    @Test func aGradeReachesNoRelatedPerson() {
        let outcome = CheckDeciderTests.decide(
            .market, "license-approval", [], related: [(.legalRepresentative, Self.gradeListing(.D))])
        #expect(outcome.decision == .allow)
    }

    @Test func aBlackListingOutweighsTheGrade() {
        let outcome = CheckDeciderTests.decide(
            .finance, "government-procurement", [Self.gradeListing(.D), CheckDeciderTests.listing("L-1", .black)])
        #expect(outcome.decision == .block && outcome.matched.first?.listingID == "L-1")
    }

    @Test func theCatalogueRefusesAGradeMeasureThatContradictsItsGrade() {
        let measure = { (grades: String, effect: String) in
            """
            version: "t"
            measures:
              - id: x.grade
                department: market
                title: t
                actions: [license-approval]
                grades: [\(grades)]
                effect: \(effect)
                basis: b
            """
        }
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: measure("A", "review")) }?.field
                == "measures[x.grade].effect")
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: measure("D", "fast-track")) }?.field
                == "measures[x.grade].lists")
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: measure("E", "review")) }?.field
                == "measures[x.grade].grades")
        #expect(domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: measure("D", "review")) } == nil)
    }
}
