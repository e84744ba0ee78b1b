/// What a check decision reads of a listing (`CheckDecider`): an interceptor's replica holds these for
/// every active listing instead of the whole `Listing` (its facts, basis text, related persons' names
/// and dates stay in the replica's table), so a million listings fit in a few hundred megabytes.
public struct ListingFacts: Sendable, Equatable {
    public var id: String
    public var subjectID: String
    public var initiator: Department
    public var document: String
    /// ISO dates (yyyy-MM-dd).
    public var start: String
    public var until: String
    /// Boxed: a listing under a verified objection is rare, and the box keeps the common case small.
    private var suspended: SuspensionBox?
    // The one-byte fields last, so that they pack together.
    public var list: ListType
    public var subjectKind: SubjectKind
    public var status: Listing.Status
    public var grade: CreditGrade?

    public var suspension: Listing.Suspension? { suspended?.suspension }

    public init(_ listing: Listing) {
        id = listing.id
        list = listing.list
        subjectID = listing.subjectID
        subjectKind = listing.subjectKind
        initiator = listing.initiator
        document = listing.document
        start = listing.start
        until = listing.until
        status = listing.status
        grade = listing.grade
        suspended = listing.suspension.map(SuspensionBox.init)
    }

    public static func == (a: ListingFacts, b: ListingFacts) -> Bool {
        a.id == b.id && a.list == b.list && a.subjectID == b.subjectID && a.subjectKind == b.subjectKind
            && a.initiator == b.initiator && a.document == b.document && a.start == b.start && a.until == b.until
            && a.status == b.status && a.grade == b.grade && a.suspension == b.suspension
    }
}

private final class SuspensionBox: Sendable {
    let suspension: Listing.Suspension
    init(_ suspension: Listing.Suspension) { self.suspension = suspension }
}
