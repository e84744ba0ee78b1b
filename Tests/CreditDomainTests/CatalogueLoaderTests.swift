import CreditDomain
import Foundation
import Testing

@Suite struct CatalogueLoaderTests {
    // MARK: - The shipped catalogue

    @Test func loadsTheShippedCatalogue() throws {
        let catalogue = try CatalogueLoader.load(contentsOf: catalogueURL)
        #expect(catalogue.version == "2026.4")
        #expect(catalogue.measures.count >= 30)
        #expect(catalogue.measures.allSatisfy { !$0.basis.isEmpty && $0.source != nil })
    }

    /// The actions the demo and the interceptors rely on (Huzhou Judgment-Debtor Opinions, section 三).
    @Test(arguments: [
        ("finance", "government-procurement", ListType.black, MeasureEffect.block, MeasureTarget.subject),
        ("finance", "public-bidding", .black, .block, .subject),
        ("finance", "procurement-payment", .black, .block, .subject),
        ("finance", "government-procurement", .keyAttention, .review, .subject),
        ("finance", "government-procurement", .red, .fastTrack, .subject),
        ("commerce", "hotel-booking-4star", .black, .block, .legalRepresentative),
        ("market", "change-legal-representative", .black, .block, .subject),
        ("market", "serve-as-legal-representative", .black, .block, .subject),
        ("market", "license-approval", .keyAttention, .review, .subject),
        ("market", "license-approval", .red, .fastTrack, .subject),
        ("education", "private-school-enrollment", .black, .block, .subject),
        ("education", "private-school-enrollment", .black, .block, .legalRepresentative),
        ("education", "private-school-enrollment", .black, .block, .principal),
        ("education", "private-school-enrollment", .black, .block, .actualController),
        ("ndrc", "corporate-bond-issuance", .black, .block, .subject),
        ("public-security", "exit-entry-document", .black, .block, .subject),
        ("tourism", "group-tour", .black, .block, .subject),
        ("justice", "lawyer-practice-licence", .black, .block, .subject),
        ("science", "science-funding", .black, .block, .subject),
        ("work-safety", "hazardous-chemicals-licence", .black, .block, .subject),
        ("civilisation", "moral-model-selection", .black, .block, .subject),
    ])
    func shipsTheRequiredMeasures(
        department: String, action: String, list: ListType, effect: MeasureEffect, target: MeasureTarget
    ) {
        let measures = shippedCatalogue.measures(for: Department(rawValue: department), action: action)
        #expect(measures.contains { $0.lists.contains(list) && $0.effect == effect && $0.targets.contains(target) })
    }

    @Test func marketLegalRepresentativeMeasuresTargetTheSubjectOnly() {
        for action in ["change-legal-representative", "serve-as-legal-representative"] {
            #expect(shippedCatalogue.measures(for: .market, action: action).allSatisfy { $0.targets == [.subject] })
        }
    }

    @Test func usesOnlyTheKnownDepartmentCodes() {
        let known: Set<String> = [
            "finance", "commerce", "market", "education", "ndrc", "tax", "court", "tourism", "public-security",
            "science", "justice", "civilisation", "work-safety", "sport", "organisation", "construction", "land",
            "banking", "civil-affairs", "housing-fund", "human-resources",
        ]
        for measure in shippedCatalogue.measures where !measure.isGeneric {
            #expect(known.contains(measure.department.rawValue), "\(measure.id)")
            #expect(measure.id.hasPrefix(measure.department.rawValue + "."), "\(measure.id)")
        }
        // Generic measures (department "*") are named general.….
        for measure in shippedCatalogue.measures where measure.isGeneric {
            #expect(measure.id.hasPrefix("general."), "\(measure.id)")
        }
    }

    /// Every incentive sits on an action that also has a black-list measure, so one check can show both and
    /// that the punishment wins. Exception: the generic green channel for public services (Huzhou Joint
    /// Reward and Punishment Opinions, item 7) has no punishment counterpart, because none of the rules
    /// restricts public services as such (防止滥用、泛用信用手段, Shaanxi Plan 四(二)).
    @Test func everyFastTrackActionAlsoHasABlackListMeasure() {
        let incentiveOnly: Set<String> = ["public-service-application"]
        for incentive in shippedCatalogue.measures where incentive.effect == .fastTrack {
            for action in incentive.actions where !incentiveOnly.contains(action) {
                let black = shippedCatalogue.measures(for: incentive.department, action: action)
                    .filter { $0.lists.contains(.black) }
                #expect(!black.isEmpty, "\(incentive.id) on \(action)")
            }
        }
    }

    // MARK: - Validation

    static func yaml(_ measures: String) -> String {
        "version: \"test\"\nmeasures:\n" + measures
    }

    static let valid = """
          - id: finance.procurement-ban
            department: finance
            title: No procurement
            actions: [government-procurement]
            lists: [black]
            effect: block
            basis: memorandum

        """

    @Test func defaultsTargetsToTheSubject() throws {
        let catalogue = try CatalogueLoader.load(yaml: Self.yaml(Self.valid))
        #expect(catalogue.version == "test")
        #expect(
            catalogue.measures == [
                Measure(
                    id: "finance.procurement-ban", department: .finance, title: "No procurement",
                    actions: ["government-procurement"], lists: [.black], targets: [.subject], effect: .block,
                    basis: "memorandum")
            ])
    }

    @Test func readsJSON() throws {
        let json = """
            {"version": "2026.1", "measures": [{"id": "market.x", "department": "market", "title": "T",
             "actions": ["license-approval"], "lists": ["red"], "targets": ["subject"], "effect": "fast-track",
             "basis": "绿色通道", "source": "Huzhou Joint Reward and Punishment Opinions, item 7"}]}
            """
        let catalogue = try CatalogueLoader.load(yaml: json)
        #expect(catalogue.measures.first?.effect == .fastTrack)
        #expect(catalogue.measures.first?.source == "Huzhou Joint Reward and Punishment Opinions, item 7")
    }

    @Test func refusesADuplicateID() {
        let error = domainError { () throws(DomainError) in
            try CatalogueLoader.load(yaml: Self.yaml(Self.valid + Self.valid))
        }
        #expect(error?.field == "measures[finance.procurement-ban].id")
        #expect(error?.reason.contains("unique") == true)
    }

    @Test(arguments: [
        ("basis: memorandum", "basis: \"\"", "measures[finance.procurement-ban].basis"),
        ("actions: [government-procurement]", "actions: []", "measures[finance.procurement-ban].actions"),
        (
            "actions: [government-procurement]", "actions: [Government Procurement]",
            "measures[finance.procurement-ban].actions"
        ),
        ("lists: [black]", "lists: []", "measures[finance.procurement-ban].lists"),
        ("lists: [black]", "lists: [grey]", "measures[finance.procurement-ban].lists"),
        ("effect: block", "effect: blok", "measures[finance.procurement-ban].effect"),
        ("effect: block", "effect: fast-track", "measures[finance.procurement-ban].lists"),
        ("lists: [black]", "lists: [red]", "measures[finance.procurement-ban].effect"),
        ("department: finance", "department: Finance", "measures[finance.procurement-ban].department"),
        ("department: finance", "department: \"\"", "measures[finance.procurement-ban].department"),
        ("title: No procurement", "title: \" \"", "measures[finance.procurement-ban].title"),
        ("id: finance.procurement-ban", "id: Finance/Ban", "measures[Finance/Ban].id"),
        ("id: finance.procurement-ban", "title2: x", "measures[0].id"),
        ("effect: block", "targets: [subject]", "measures[finance.procurement-ban].effect"),
    ])
    func refusesABadMeasureNamingItsIDAndField(original: String, replacement: String, field: String) {
        let text = Self.yaml(Self.valid.replacingOccurrences(of: original, with: replacement))
        let error = domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: text) }
        #expect(error?.field == field)
    }

    @Test func refusesACatalogueWithoutVersionOrMeasures() {
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: "measures: []") }
                == .missing(field: "version"))
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: "version: x\nmeasures: []") }?.field
                == "measures")
    }

    @Test func refusesMalformedYAMLAndMissingFiles() {
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: "version: [unclosed") }?.field
                == "catalogue")
        let missing = URL(fileURLWithPath: "/nonexistent/catalogue.yaml")
        let error = domainError { () throws(DomainError) in try CatalogueLoader.load(contentsOf: missing) }
        #expect(error?.field == "catalogue")
        #expect(error?.description.contains("/nonexistent/catalogue.yaml") == true)
    }

    @Test func reportsAShapeErrorWithItsPath() {
        let text = Self.yaml(
            Self.valid.replacingOccurrences(of: "actions: [government-procurement]", with: "actions: {a: b}"))
        #expect(
            domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: text) }?.field
                == "measures[0].actions")
    }

    // MARK: - Generic measures (department "*")

    @Test func acceptsTheWildcardDepartmentOnlyAsAWholeValue() throws {
        let generic = Self.valid.replacingOccurrences(of: "department: finance", with: "department: \"*\"")
        let catalogue = try CatalogueLoader.load(yaml: Self.yaml(generic))
        #expect(catalogue.measures.first?.department == .anyDepartment)
        #expect(catalogue.measures.first?.isGeneric == true)
        for bad in ["\"*finance\"", "\"**\"", "\"*,finance\""] {
            let text = Self.yaml(Self.valid.replacingOccurrences(of: "department: finance", with: "department: \(bad)"))
            let error = domainError { () throws(DomainError) in try CatalogueLoader.load(yaml: text) }
            #expect(error?.field == "measures[finance.procurement-ban].department", "\(bad)")
            #expect(error?.reason.contains("\"*\"") == true, "\(bad)")
        }
    }

    @Test func departmentValidationStillRefusesTheWildcard() {
        #expect(domainError { () throws(DomainError) in try Department(validating: "*") }?.field == "department")
        #expect(Department.anyDepartment.rawValue == "*")
    }

    @Test func childrenIsAKnownTarget() throws {
        let text = Self.yaml(
            Self.valid.replacingOccurrences(of: "effect: block", with: "targets: [subject, children]\n    effect: block"))
        #expect(try CatalogueLoader.load(yaml: text).measures.first?.targets == [.subject, .children])
        #expect(MeasureTarget(rawValue: "children") == .children)
    }
}
