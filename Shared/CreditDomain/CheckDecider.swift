/// What an interceptor tells its department's business system to do with a transaction.
public enum Decision: String, Codable, Sendable {
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
    /// Every measure that applied, strongest effect first.
    public var matched: [MatchedMeasure]
    public var reason: String

    public init(decision: Decision, matched: [MatchedMeasure], reason: String) {
        self.decision = decision
        self.matched = matched
        self.reason = reason
    }
}

/// The mandatory pre-check each department embeds in its business system: automatic compare,
/// automatic block (自动比对、自动拦截, seed 004_3dfb1395f1f453ed.txt, 失信信息管理 3). "One place
/// dishonest, restricted everywhere" (一处失信，处处受限): a listing by any initiator reaches every
/// department whose catalogue measures name that list.
public enum CheckDecider {
    /// Decides a transaction of `department` of kind `action` (e.g. `government-procurement`) for a
    /// subject on `today` (yyyy-MM-dd).
    ///
    /// - Parameters:
    ///   - listings: active listings of the subject itself.
    ///   - relatedListings: active listings of organisations the subject is a related person of
    ///     (legal representative, principal, actual controller — seeds 001 §三(三)5, 004), with its role.
    ///
    /// Listings that are removed, that end before `today` or that start after it are ignored. A
    /// measure applies when its department is `department`, its actions contain `action`, its lists
    /// contain the listing's list, and its targets contain `.subject` (own listing) or the role
    /// (related listing). The decision is the effect of highest precedence among the applied measures
    /// (block > review > notify > fast-track); notify allows; nothing applied allows.
    public static func decide(
        department: Department, action: String, today: String, listings: [Listing],
        relatedListings: [(role: RelatedPerson.Role, listing: Listing)] = [], catalogue: MeasureCatalogue
    ) -> CheckOutcome {
        let measures = catalogue.measures(for: department, action: action)
        let candidates: [(target: MeasureTarget, listing: Listing)] =
            listings.map { (MeasureTarget.subject, $0) }
            + relatedListings.map { (MeasureTarget(role: $0.role), $0.listing) }

        var matched: [MatchedMeasure] = []
        for (target, listing) in candidates where isInForce(listing, on: today) {
            for measure in measures where measure.lists.contains(listing.list) && measure.targets.contains(target) {
                matched.append(
                    MatchedMeasure(
                        measureID: measure.id, title: measure.title, effect: measure.effect, basis: measure.basis,
                        listingID: listing.id, list: listing.list, initiator: listing.initiator,
                        document: listing.document, target: target, until: listing.until))
            }
        }
        matched.sort {
            ($0.effect.precedence, $1.measureID, $1.listingID, $1.target.rawValue)
                > ($1.effect.precedence, $0.measureID, $0.listingID, $0.target.rawValue)
        }

        guard let strongest = matched.first else {
            let inForce = candidates.filter { isInForce($0.listing, on: today) }.count
            let reason =
                inForce == 0
                ? "allowed: no listing in force on \(today)"
                : "allowed: no measure of \(department) for \(action) applies to the \(inForce) listing(s) in force"
            return CheckOutcome(decision: .allow, matched: [], reason: reason)
        }
        let decision: Decision =
            switch strongest.effect {
            case .block: .block
            case .review: .review
            case .fastTrack: .fastTrack
            case .notify: .allow
            }
        return CheckOutcome(decision: decision, matched: matched, reason: reason(strongest, of: matched))
    }

    /// In force on `today`: active, started, not yet ended (ISO dates compare as strings).
    static func isInForce(_ listing: Listing, on today: String) -> Bool {
        listing.status == .active && listing.start <= today && listing.until >= today
    }

    private static func reason(_ strongest: MatchedMeasure, of matched: [MatchedMeasure]) -> String {
        let verb =
            switch strongest.effect {
            case .block: "blocked by"
            case .review: "review required by"
            case .fastTrack: "fast-tracked by"
            case .notify: "allowed with notice by"
            }
        let whose = strongest.target == .subject ? "" : "as \(strongest.target.phrase) of a listed organisation, "
        let others = matched.count - 1
        let more = others == 0 ? "" : " (and \(others) more matched measure\(others == 1 ? "" : "s"))"
        return "\(verb) \(strongest.measureID): \(whose)\(strongest.list.phrase) listing \(strongest.listingID) "
            + "initiated by \(strongest.initiator) until \(strongest.until)\(more)"
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
        }
    }
}

extension ListType {
    var phrase: String {
        switch self {
        case .black: "black list"
        case .keyAttention: "key-attention list"
        case .red: "red list"
        }
    }
}
