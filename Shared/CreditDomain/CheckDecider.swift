/// What an interceptor tells its department's business system to do with a transaction.
public enum Decision: String, Codable, Sendable, CaseIterable {
    case allow
    case block
    case review
    case fastTrack = "fast-track"
}

/// One measure that applied to a transaction, with the listing that triggered it: enough for the
/// department to explain its decision and for the feedback (执行反馈) to name what it did.
public struct MatchedMeasure: Codable, Sendable, Hashable {
    public var measureID, title: String
    public var effect: MeasureEffect
    public var basis: String
    public var listingID: String
    public var list: ListType
    public var initiator: Department
    public var document: String
    /// Who the measure reached: `.subject` for the subject's own listing, or the subject's role in
    /// the listed organisation.
    public var target: MeasureTarget
    /// The listing's end date (yyyy-MM-dd).
    public var until: String
    /// The objection under which the listing's measures are suspended: the measure answers `review`
    /// in place of its own effect.
    public var suspendedBy: String?
    /// The subject's grade, when the measure matched by grade (`list` is `grade`).
    public var grade: CreditGrade?

    public init(
        measureID: String, title: String, effect: MeasureEffect, basis: String, listingID: String, list: ListType,
        initiator: Department, document: String, target: MeasureTarget, until: String
    ) {
        self.measureID = measureID
        self.title = title
        self.effect = effect
        self.basis = basis
        self.listingID = listingID
        self.list = list
        self.initiator = initiator
        self.document = document
        self.target = target
        self.until = until
    }
}

/// The decision on one transaction, the measures behind it and one human sentence saying why.
public struct CheckOutcome: Codable, Sendable {
    public var decision: Decision
    /// Every measure that applied, strongest effect first; at equal effect the department's own
    /// measures before the generic (`*`) ones.
    public var matched: [MatchedMeasure]
    public var reason: String
    /// How the subject was found: `identifier` (its own listings, by credit code or resident ID),
    /// `related-person` (the strongest measure reached it as legal representative, principal or
    /// actual controller of a listed organisation) or `name` (by exact normalised name only, no
    /// identifier given). Outcomes encoded before this field existed decode as `identifier`.
    public var matchedBy: String = "identifier"

    public init(decision: Decision, matched: [MatchedMeasure], reason: String, matchedBy: String = "identifier") {
        self.decision = decision
        self.matched = matched
        self.reason = reason
        self.matchedBy = matchedBy
    }

    private enum CodingKeys: String, CodingKey {
        case decision, matched, reason, matchedBy
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        decision = try container.decode(Decision.self, forKey: .decision)
        matched = try container.decode([MatchedMeasure].self, forKey: .matched)
        reason = try container.decode(String.self, forKey: .reason)
        matchedBy = try container.decodeIfPresent(String.self, forKey: .matchedBy) ?? "identifier"
    }
}

/// The mandatory pre-check each department embeds in its business system: automatic compare, automatic
/// block (自动比对、自动拦截, Huzhou Judgment-Debtor Opinions 二(三)3; Huzhou Joint Reward and Punishment Opinions
/// item 15). "One place dishonest, restricted everywhere" (一处失信，处处受限): a listing by any initiator reaches
/// every department whose catalogue measures name that list.
public enum CheckDecider {
    /// Decides a transaction of `department` of kind `action` (e.g. `government-procurement`) for a
    /// subject on `today` (yyyy-MM-dd).
    ///
    /// - Parameters:
    ///   - listings: active listings of the subject itself.
    ///   - relatedListings: active listings of organisations the subject is a related person of
    ///     (legal representative, principal, actual controller — Shaanxi Plan 三(三)5, Huzhou
    ///     Judgment-Debtor Opinions 三), with its role.
    ///
    /// Listings that are removed, pending, that end before `today` or that start after it are
    /// ignored. A measure applies when its department is `department` or `*` (a generic measure,
    /// `MeasureCatalogue.measures(for:action:)`), its actions contain `action`, its lists contain the
    /// listing's list, and its targets contain `.subject` (own listing) or the role (related
    /// listing). The decision is the effect of highest precedence among the applied measures
    /// (block > review > notify > fast-track); notify allows; nothing applied allows. `matchedBy` is
    /// `related-person` when the strongest measure reached the subject through a related listing,
    /// `identifier` otherwise.
    public static func decide(
        department: Department, action: String, today: String, listings: [Listing],
        relatedListings: [(role: RelatedPerson.Role, listing: Listing)] = [], catalogue: MeasureCatalogue
    ) -> CheckOutcome {
        decide(
            department: department, action: action, today: today,
            candidates: listings.map { (MeasureTarget.subject, ListingFacts($0)) }
                + relatedListings.map { (MeasureTarget(role: $0.role), ListingFacts($0.listing)) },
            measures: catalogue.measures(for: department, action: action))
    }

    /// The same decision on what an interceptor's replica holds: candidate (target, listing) pairs —
    /// the subject's own listings as `.subject`, those it reaches as a related person with its role —
    /// and `measures`, the catalogue's `measures(for: department, action: action)`.
    public static func decide(
        department: Department, action: String, today: String, candidates: [(target: MeasureTarget, listing: ListingFacts)],
        measures: [Measure]
    ) -> CheckOutcome {
        var outcome = outcome(department: department, action: action, today: today, candidates: candidates, measures: measures)
        if let strongest = outcome.matched.first, strongest.target != .subject {
            outcome.matchedBy = "related-person"
        }
        return outcome
    }

    /// The decision on candidate (target, listing) pairs, `matchedBy` left `identifier`.
    static func outcome(
        department: Department, action: String, today: String,
        candidates: [(target: MeasureTarget, listing: ListingFacts)], measures: [Measure]
    ) -> CheckOutcome {
        var applied: [(match: MatchedMeasure, generic: Bool)] = []
        for (target, listing) in candidates where isInForce(listing, on: today) && listing.suspension?.policy != .allow {
            for measure in measures where measure.applies(to: listing.list, grade: listing.grade, as: target) {
                var match = MatchedMeasure(
                    measureID: measure.id, title: measure.title, effect: measure.effect, basis: measure.basis,
                    listingID: listing.id, list: listing.list, initiator: listing.initiator,
                    document: listing.document, target: target, until: listing.until)
                match.grade = listing.grade
                // While an objection is verified a restriction becomes a review; an incentive waits.
                if let suspension = listing.suspension {
                    guard measure.effect == .block || measure.effect == .review else { continue }
                    match.effect = .review
                    match.suspendedBy = suspension.objection
                }
                applied.append((match, measure.isGeneric))
            }
        }
        // Strongest effect first; at equal effect the department's own measure before the generic one,
        // so that the reason and the feedback (执行反馈) name the most specific measure.
        applied.sort { a, b in
            let (x, y) = (a.match, b.match)
            return (x.effect.precedence, b.generic ? 1 : 0, y.measureID, y.listingID, y.target.rawValue)
                > (y.effect.precedence, a.generic ? 1 : 0, x.measureID, x.listingID, x.target.rawValue)
        }
        let matched = applied.map(\.match)

        guard let strongest = matched.first else {
            let inForce = candidates.filter { isInForce($0.listing, on: today) }.count
            let reason =
                inForce == 0
                ? "allowed: no listing in force on \(today)"
                : "allowed: no measure of \(department) for \(action) applies to the \(inForce) listing(s) in force"
            return CheckOutcome(decision: .allow, matched: [], reason: reason)
        }
        return CheckOutcome(
            decision: Decision(strongest.effect), matched: matched, reason: reason(strongest, of: matched))
    }

    /// In force on `today`: active, started, not yet ended (ISO dates compare as strings).
    static func isInForce(_ listing: ListingFacts, on today: String) -> Bool {
        listing.status == .active && listing.start <= today && listing.until >= today
    }

    static func reason(_ strongest: MatchedMeasure, of matched: [MatchedMeasure]) -> String {
        let verb =
            switch strongest.effect {
            case .block: "blocked by"
            case .review: "review required by"
            case .fastTrack: "fast-tracked by"
            case .notify: "allowed with notice by"
            }
        let whose = strongest.target == .subject ? "" : "as \(strongest.target.phrase) of a listed organisation, "
        if let objection = strongest.suspendedBy {
            return "review required by \(strongest.measureID): \(whose)\(strongest.list.phrase) listing \(strongest.listingID) "
                + "initiated by \(strongest.initiator) is suspended while objection \(objection) is verified"
        }
        let others = matched.count - 1
        let more = others == 0 ? "" : " (and \(others) more matched measure\(others == 1 ? "" : "s"))"
        if let grade = strongest.grade {
            return "\(verb) \(strongest.measureID): credit grade \(grade.rawValue) of the public credit evaluation "
                + "(grade listing \(strongest.listingID))\(more)"
        }
        return "\(verb) \(strongest.measureID): \(whose)\(strongest.list.phrase) listing \(strongest.listingID) "
            + "initiated by \(strongest.initiator) until \(strongest.until)\(more)"
    }
}

extension Decision {
    /// The decision a measure's effect makes: notify allows.
    init(_ effect: MeasureEffect) {
        self =
            switch effect {
            case .block: .block
            case .review: .review
            case .fastTrack: .fastTrack
            case .notify: .allow
            }
    }
}

extension MeasureTarget {
    /// The measure target a related person's role corresponds to.
    public init(role: RelatedPerson.Role) {
        switch role {
        case .legalRepresentative: self = .legalRepresentative
        case .principal: self = .principal
        case .actualController: self = .actualController
        }
    }

    var phrase: String {
        switch self {
        case .subject: "subject"
        case .legalRepresentative: "legal representative"
        case .principal: "principal"
        case .actualController: "actual controller"
        case .children: "children"
        }
    }
}

extension ListType {
    var phrase: String {
        switch self {
        case .black: "black list"
        case .keyAttention: "key-attention list"
        case .red: "red list"
        case .grade: "credit grade"
        }
    }
}
