import CreditDomain
import Testing

/// The shipped catalogue (`config/catalogue.yaml`) as a table of decisions: what an interceptor
/// decides for a listed subject at (department, action).
@Suite struct CatalogueTableTests {
    static let today = CheckDeciderTests.today

    static func decide(_ department: Department, _ action: String, _ list: ListType) -> CheckOutcome {
        CheckDecider.decide(
            department: department, action: action, today: today,
            listings: [CheckDeciderTests.listing("L-1", list)], catalogue: shippedCatalogue)
    }

    /// Huzhou Judgment-Debtor Opinions, section 三 "联合惩戒实施单位和职责要求": every department with
    /// measures against dishonest judgment debtors, one of its actions, and the decision for a
    /// black-listed subject. (市委政法委, 市中级法院 and 市检察院 are listed there too, but coordinate,
    /// initiate or prosecute: no transaction of theirs is checked.)
    @Test(arguments: [
        ("finance", "government-procurement", Decision.block),  // 市财政局
        ("finance", "procurement-payment", .block),
        ("finance", "soe-officer-appointment", .block),
        ("market", "change-legal-representative", .block),  // 市市场监管局
        ("market", "serve-as-director", .block),
        ("market", "pledge-registration", .block),
        ("market", "credit-rating-award", .review),
        ("commerce", "hotel-booking-4star", .block),  // 市商务局
        ("education", "private-school-enrollment", .block),  // 市教育局
        ("ndrc", "corporate-bond-issuance", .block),  // 市发改委
        ("organisation", "civil-service-recruitment", .block),  // 市委组织部
        ("public-security", "exit-border-check", .block),  // 市公安局
        ("public-security", "vehicle-transfer", .allow),  // notify: allowed, reported
        ("land", "property-transfer-registration", .block),  // 市国土资源局
        ("construction", "construction-bidding", .block),  // 市建设局
        ("construction", "planning-approval", .review),
        ("banking", "bank-shareholding-approval", .review),  // 市银监局
        ("tax", "tax-refund", .allow),  // 市国家税务局: notify
        ("civilisation", "civilised-unit-selection", .block),  // 市文明办
        ("science", "tech-enterprise-qualification", .block),  // 市科技局
        ("civil-affairs", "resettlement-assessment", .review),  // 市民政局
        ("justice", "notary-practice-licence", .block),  // 市司法局
        ("tourism", "group-tour", .block),  // 市旅游委员会
        ("tourism", "rated-resort-consumption", .block),
        ("work-safety", "fireworks-licence", .block),  // 市安全监管局
        ("sport", "golf-consumption", .block),  // 市体育局
        ("housing-fund", "housing-fund-withdrawal", .review),  // 市公积金中心
        ("human-resources", "pension-payment", .review),  // 市人力社保局
    ])
    func decidesJudgmentDebtorSectionThree(department: String, action: String, decision: Decision) {
        let outcome = Self.decide(Department(rawValue: department), action, .black)
        #expect(outcome.decision == decision, "\(department) \(action): \(outcome.reason)")
        let first = outcome.matched.first
        #expect(first?.measureID.hasPrefix(department + ".") == true, "the department's own measure is named first")
        let measure = shippedCatalogue.measures.first { $0.id == first?.measureID }
        // The source names the department's paragraph of section 三, and the basis quotes it.
        let source = measure?.source ?? ""
        #expect(source.hasPrefix("Huzhou Judgment-Debtor Opinions, 三 ("), "\(source)")
        let paragraph = String(source.drop(while: { $0 != "(" }).dropFirst().prefix(while: { $0 != ")" }))
        #expect(!paragraph.isEmpty && measure?.basis.contains(paragraph + "：") == true, "\(source)")
        #expect(measure?.basis.contains("合作备忘录") == true)
    }

    // MARK: - Generic measures (department "*")

    /// Departments without a measure of their own for an action still apply the generic ones.
    @Test(arguments: [
        ("tourism", "license-approval", ListType.black, Decision.review, "general.black-license-strict-review"),
        ("tourism", "license-approval", .keyAttention, .review, "general.key-attention-supervision"),
        ("tourism", "license-approval", .red, .fastTrack, "general.red-list-green-channel"),
        ("education", "subsidy-application", .black, .block, "general.black-fiscal-funding-restriction"),
        ("education", "subsidy-application", .keyAttention, .review, "general.key-attention-fewer-subsidies"),
        ("education", "subsidy-application", .red, .fastTrack, "general.red-list-policy-priority"),
        ("construction", "public-resource-trading", .black, .block, "general.black-public-resource-trading-restriction"),
        ("construction", "concession-bidding", .black, .block, "general.black-concession-restriction"),
        ("tax", "tax-preference-application", .black, .block, "general.black-tax-preference-restriction"),
        ("civilisation", "honour-award", .black, .block, "general.black-honour-restriction"),
        ("sport", "merit-evaluation", .black, .block, "general.black-honour-restriction"),
        ("market", "routine-inspection", .black, .review, "general.black-key-supervision"),
        ("market", "routine-inspection", .keyAttention, .review, "market.key-attention-inspection"),
        ("market", "routine-inspection", .red, .fastTrack, "general.red-list-fewer-inspections"),
        ("land", "public-service-application", .red, .fastTrack, "general.red-list-green-channel"),
        ("some-new-department", "license-approval", .keyAttention, .review, "general.key-attention-supervision"),
    ])
    func reachesEveryDepartment(
        department: String, action: String, list: ListType, decision: Decision, measureID: String
    ) {
        let outcome = Self.decide(Department(rawValue: department), action, list)
        #expect(outcome.decision == decision, "\(outcome.reason)")
        #expect(outcome.matched.first?.measureID == measureID, "\(outcome.matched.map(\.measureID))")
    }

    @Test func genericMeasuresCiteTheirSources() {
        let generic = shippedCatalogue.measures.filter(\.isGeneric)
        #expect(generic.count >= 10)
        // Each source is "document, section"; the generic measures come from four documents.
        let documents = Set(generic.compactMap { $0.source?.split(separator: ",").first.map(String.init) })
        #expect(documents == ["Siyang Measures", "Shaanxi Plan", "Haitang Plan", "Huzhou Joint Reward and Punishment Opinions"])
        #expect(generic.allSatisfy { $0.source?.contains(", ") == true })
        #expect(generic.allSatisfy { $0.department == .anyDepartment && $0.id.hasPrefix("general.") })
    }

    @Test func redListFastTracksEveryDepartmentsLicenceApproval() {
        let red = shippedCatalogue.measures(for: .anyDepartment, action: "license-approval").filter { $0.lists == [.red] }
        #expect(red.map(\.id) == ["general.red-list-green-channel"])
        #expect(red.first?.effect == .fastTrack)
        for department in Department.standard {
            #expect(Self.decide(department, "license-approval", .red).decision == .fastTrack, "\(department)")
        }
    }

    @Test func keyAttentionIsReviewedNeverBlockedByAGenericMeasure() {
        for measure in shippedCatalogue.measures where measure.isGeneric && measure.lists.contains(.keyAttention) {
            #expect(measure.effect == .review, "\(measure.id)")
        }
        for action in ["license-approval", "subsidy-application", "routine-inspection"] {
            #expect(Self.decide("tourism", action, .keyAttention).decision == .review, "\(action)")
        }
    }

    @Test func ownMeasuresComeBeforeGenericOnes() {
        let measures = shippedCatalogue.measures(for: .market, action: "license-approval")
        let generic = measures.map(\.isGeneric)
        #expect(generic == generic.sorted { !$0 && $1 }, "own measures first: \(measures.map(\.id))")
        #expect(generic.contains(true) && generic.contains(false))
        // The black list meets the market's own strict review and the generic one; the market's is named.
        let outcome = Self.decide(.market, "license-approval", .black)
        #expect(outcome.matched.map(\.measureID) == ["market.license-strict-review", "general.black-license-strict-review"])
    }

    @Test func blackListedPrincipalLosesHonours() {
        let outcome = CheckDecider.decide(
            department: "civilisation", action: "honour-award", today: Self.today, listings: [],
            relatedListings: [(.principal, CheckDeciderTests.listing("L-1", .black))], catalogue: shippedCatalogue)
        #expect(outcome.decision == .block)
        #expect(outcome.matchedBy == "related-person")
    }

    @Test func nothingGenericTouchesTheDemoActions() {
        for action in ["government-procurement", "issue-invoice", "change-legal-representative", "hotel-booking-4star"] {
            #expect(shippedCatalogue.measures.filter { $0.isGeneric && $0.actions.contains(action) }.isEmpty, "\(action)")
        }
    }
}
