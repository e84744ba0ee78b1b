/// What an interceptor reports to sanction-dispatch for a check that matched a listing (执行反馈, Huzhou Joint
/// Reward and Punishment Opinions item 1, Huzhou Judgment-Debtor Opinions 二(三)3): which department did what
/// to whom, under which listing and measure. Sent as the `feedback.block` event of the interceptor's stream
/// and forwarded until dispatch acknowledges it.
public struct CheckFeedback: Codable, Sendable, Hashable {
    public var checkID: String
    public var department: Department
    public var subjectID: String
    public var action: String
    /// `block`, `review` or `fast-track`.
    public var decision: String
    public var listingID: String
    public var measureID: String?
    public var decidedAt: String
    /// The business system's own reference for the transaction, when it gave one.
    public var reference: String?

    public init(
        checkID: String, department: Department, subjectID: String, action: String, decision: String, listingID: String,
        measureID: String?, decidedAt: String, reference: String?
    ) {
        self.checkID = checkID
        self.department = department
        self.subjectID = subjectID
        self.action = action
        self.decision = decision
        self.listingID = listingID
        self.measureID = measureID
        self.decidedAt = decidedAt
        self.reference = reference
    }
}

/// A repair application (信用修复) for one listing and its decision by the initiating department
/// (Shaanxi Plan 三(三)6: after repair, stop disclosure and terminate joint punishment).
public struct RepairApplication: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        case pending, approved, rejected
    }

    public var id: String
    public var listingID: String
    public var subjectID: String
    /// The department that initiated the listing: only it may decide (Huzhou Judgment-Debtor Opinions 二(三)2).
    public var initiator: Department
    public var applicant: String?
    /// The credit commitment the subject makes (the Shaanxi Plan 三(一)1 requires one).
    public var commitment: String
    public var reason: String
    public var status: Status
    public var appliedAt: String
    public var decidedBy: Department?
    public var decidedAt: String?
    public var decisionNote: String?

    public init(
        id: String, listingID: String, subjectID: String, initiator: Department, applicant: String?, commitment: String,
        reason: String, status: Status = .pending, appliedAt: String, decidedBy: Department? = nil,
        decidedAt: String? = nil, decisionNote: String? = nil
    ) {
        self.id = id
        self.listingID = listingID
        self.subjectID = subjectID
        self.initiator = initiator
        self.applicant = applicant
        self.commitment = commitment
        self.reason = reason
        self.status = status
        self.appliedAt = appliedAt
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.decisionNote = decisionNote
    }
}
