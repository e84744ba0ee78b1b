/// A listing a measure rule proposes and a department decides: a black listing for severe dishonesty,
/// decided by the department the rule names (Shaanxi Plan 三(三)1: "按程序" designated by the department), or a
/// red listing decided by the credit office (Huzhou Joint Reward and Punishment Opinions item 7). Confirmed,
/// it becomes a listing that follows the usual life (a black listing is notified and waits for its
/// objection window); declined, it keeps the reason.
public struct ListingProposal: Codable, Sendable, Hashable, Identifiable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting for the deciding department.
        case proposed
        /// Confirmed: `listingID` names the listing made.
        case confirmed
        /// Declined, with `decisionNote`.
        case declined
        /// The record it rested on was withdrawn or repaired before a decision.
        case withdrawn
    }

    /// `P-000001`, numbered in order.
    public var id: String
    public var list: ListType
    public var subjectID: String
    public var subjectName: String
    public var subjectKind: SubjectKind
    /// The rule and the version of the rules that made the proposal.
    public var rule: RuleReference
    /// The registry record behind it (black proposals).
    public var sourceRecord: String?
    /// The department that confirms or declines, and initiates the listing when it confirms.
    public var decider: Department
    public var basis: String
    /// The document the listing will cite unless the decider gives its own.
    public var document: String
    public var facts: String?
    /// The listing's term in months from the day it takes effect.
    public var months: Int
    /// Working days of the listing's objection window once confirmed (black list).
    public var objectionWorkingDays: Int?
    /// When it was proposed (yyyy-MM-dd).
    public var proposedOn: String
    public var status: Status
    public var decidedOn: String?
    public var decisionNote: String?
    public var listingID: String?

    public init(
        id: String, list: ListType, subjectID: String, subjectName: String, subjectKind: SubjectKind, rule: RuleReference,
        sourceRecord: String?, decider: Department, basis: String, document: String, facts: String?, months: Int,
        objectionWorkingDays: Int?, proposedOn: String, status: Status = .proposed
    ) {
        self.id = id
        self.list = list
        self.subjectID = subjectID
        self.subjectName = subjectName
        self.subjectKind = subjectKind
        self.rule = rule
        self.sourceRecord = sourceRecord
        self.decider = decider
        self.basis = basis
        self.document = document
        self.facts = facts
        self.months = months
        self.objectionWorkingDays = objectionWorkingDays
        self.proposedOn = proposedOn
        self.status = status
    }
}
