/// A repair application (信用修复) for a record (a penalty whose minimum publicity period has passed) or
/// a listing, and its decision by the department that decides: the record's source or the listing's
/// initiator (谁认定、谁修复), or the credit office by configuration. Approved, a listing ends (Shaanxi
/// Plan 三(三)6: stop disclosure, terminate joint punishment); a record is marked repaired: the portal
/// stops publishing it, grading no longer counts it, and listings made from it end.
public struct RepairApplication: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Filed, not yet accepted (受理) by the deciding department.
        case pending
        /// Accepted: being examined.
        case accepted
        case approved, rejected

        /// Whether the application is still to be decided.
        public var isOpen: Bool { self == .pending || self == .accepted }
    }

    public var id: String
    /// What is to be repaired: exactly one of a listing (`L-…`) and a record (`R-…`).
    public var listingID: String?
    public var recordID: String?
    public var subjectID: String
    /// The department that decides: the listing's initiator or the record's source (Huzhou
    /// Judgment-Debtor Opinions 二(三)2), or the one `repair.recordDecider` names.
    public var initiator: Department
    public var applicant: String?
    /// The credit-repair commitment letter (信用修复承诺书) in the subject's words (Shaanxi Plan 三(一)1).
    public var commitment: String
    public var reason: String
    /// Proof of having fulfilled the penalty or judgment, training certificates, credit reports:
    /// stored with size and SHA-256, read with `repair.evidence`.
    public var evidence: [Objection.Evidence]?
    /// For a record: its publicity periods and the rules that set them (when it became eligible).
    public var period: PublicityRules.Period?
    public var status: Status
    public var appliedAt: String
    /// Working-day deadlines on the calendar (yyyy-MM-dd, inclusive): accept by, decide by.
    public var acceptBy: String?
    public var decideBy: String?
    public var acceptedAt: String?
    public var decidedBy: Department?
    public var decidedAt: String?
    /// The reasons of the decision; required for a rejection.
    public var decisionNote: String?

    public init(
        id: String, listingID: String? = nil, recordID: String? = nil, subjectID: String, initiator: Department, applicant: String?,
        commitment: String, reason: String, evidence: [Objection.Evidence]? = nil, period: PublicityRules.Period? = nil,
        status: Status = .pending, appliedAt: String, acceptBy: String? = nil, decideBy: String? = nil, decidedBy: Department? = nil,
        decidedAt: String? = nil, decisionNote: String? = nil
    ) {
        self.id = id
        self.listingID = listingID
        self.recordID = recordID
        self.subjectID = subjectID
        self.initiator = initiator
        self.applicant = applicant
        self.commitment = commitment
        self.reason = reason
        self.evidence = evidence
        self.period = period
        self.status = status
        self.appliedAt = appliedAt
        self.acceptBy = acceptBy
        self.decideBy = decideBy
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.decisionNote = decisionNote
    }

    /// `R-…` or `L-…`: what the application is for.
    public var target: String { recordID ?? listingID ?? "" }

    /// Whether a deadline has passed on `today` with the step it asks for still undone.
    public func overdue(on today: String) -> Bool {
        switch status {
        case .pending: today > (acceptBy ?? "9999") || today > (decideBy ?? "9999")
        case .accepted: today > (decideBy ?? "9999")
        case .approved, .rejected: false
        }
    }
}

/// What `record.repaired` carries: a record whose repair application was approved. The archive keeps
/// the record; the repair is noted beside it, the portal stops publishing it, grading no longer counts
/// it, and the listings made from it end.
public struct RecordRepair: Codable, Sendable, Equatable {
    public var id: String
    public var subjectID: String
    public var kind: RecordKind
    public var application: String
    public var decidedBy: String
    public var note: String?
    public var repairedAt: String

    public init(
        id: String, subjectID: String, kind: RecordKind, application: String, decidedBy: String, note: String?, repairedAt: String
    ) {
        self.id = id
        self.subjectID = subjectID
        self.kind = kind
        self.application = application
        self.decidedBy = decidedBy
        self.note = note
        self.repairedAt = repairedAt
    }
}
