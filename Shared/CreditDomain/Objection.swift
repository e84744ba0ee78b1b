/// An objection (异议) to a credit record or a listing: the subject disputes what is held against it,
/// the department that provided the record (or initiated the listing) verifies it and decides, and
/// the measures resting on it are suspended meanwhile (Huzhou Joint Reward and Punishment Opinions,
/// item 18; Shaanxi Plan: 信息提供和采集单位要尽快核实并反馈结果, 经核实有误的信息要及时予以更正或撤销).
public struct Objection: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Filed, not yet acknowledged by the deciding department.
        case open
        /// The deciding department has taken it up.
        case acknowledged
        case decided
    }

    /// What the deciding department found.
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// The information is right: the measures resume.
        case upheld
        /// The record was wrong and has been corrected (a new version): measures follow the new version.
        case corrected
        /// The record or listing was wrong and is withdrawn: the measures built on it end.
        case revoked
    }

    /// What the measures resting on the disputed information do while it is verified.
    public enum Suspension: String, Codable, Sendable, CaseIterable {
        /// A check answers `review`, naming the objection (the default).
        case review
        /// The measure is not applied: the check answers as if it were not there.
        case allow
        /// The measures stay in force: record kinds the law keeps in force while disputed (the
        /// court's dishonest judgment-debtor list is changed by the court alone).
        case none
    }

    public enum TargetKind: String, Codable, Sendable {
        case record, listing
    }

    /// One evidence file as stored: the content is fetched apart (`objection.evidence`).
    public struct Evidence: Codable, Sendable, Hashable {
        public var name: String
        public var size: Int
        /// SHA-256 of the content, lower-case hex.
        public var sha256: String

        public init(name: String, size: Int, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    public var id: String
    public var targetKind: TargetKind
    /// `R-…` or `L-…`.
    public var targetID: String
    /// The record's version when the objection was filed (record objections).
    public var recordVersion: Int?
    public var subjectID: String
    /// The department that decides: the record's source, or the listing's initiator.
    public var decider: Department
    public var reason: String
    public var evidence: [Evidence]
    /// Who filed it (the department or operator key), and for whom (`applicant`, free text).
    public var filedBy: String
    public var applicant: String?
    public var filedAt: String
    public var suspension: Suspension
    /// Working-day deadlines on the calendar: acknowledge by, decide by (yyyy-MM-dd, inclusive).
    public var acknowledgeBy: String
    public var decideBy: String
    public var status: Status
    public var acknowledgedAt: String?
    public var outcome: Outcome?
    public var decidedBy: Department?
    public var decidedAt: String?
    public var decisionNote: String?

    public init(
        id: String, targetKind: TargetKind, targetID: String, recordVersion: Int?, subjectID: String, decider: Department,
        reason: String, evidence: [Evidence], filedBy: String, applicant: String?, filedAt: String, suspension: Suspension,
        acknowledgeBy: String, decideBy: String
    ) {
        self.id = id
        self.targetKind = targetKind
        self.targetID = targetID
        self.recordVersion = recordVersion
        self.subjectID = subjectID
        self.decider = decider
        self.reason = reason
        self.evidence = evidence
        self.filedBy = filedBy
        self.applicant = applicant
        self.filedAt = filedAt
        self.suspension = suspension
        self.acknowledgeBy = acknowledgeBy
        self.decideBy = decideBy
        self.status = .open
    }

    /// Whether a deadline has passed on `today` with the step it asks for still undone.
    public func overdue(on today: String) -> Bool {
        switch status {
        case .open: today > acknowledgeBy || today > decideBy
        case .acknowledged: today > decideBy
        case .decided: false
        }
    }
}

/// What a department is told when a listing it acted on is revoked as wrong: which of its checks
/// blocked or reviewed the subject on that listing's account, so it can undo the harm (Huzhou Joint
/// Reward and Punishment Opinions, item 18: 恢复其信誉、消除不良影响). Announced by sanction-dispatch as
/// `notice.revoked`, one per department that acted.
public struct RevocationNotice: Codable, Sendable, Equatable {
    public struct Action: Codable, Sendable, Equatable {
        public var checkID: String
        public var action: String
        public var decision: String
        public var decidedAt: String

        public init(checkID: String, action: String, decision: String, decidedAt: String) {
            self.checkID = checkID
            self.action = action
            self.decision = decision
            self.decidedAt = decidedAt
        }
    }

    public var department: String
    public var listingID: String
    public var subjectID: String
    public var objection: String
    public var decidedBy: String
    /// The decision's reasons.
    public var reason: String
    public var actions: [Action]

    public init(
        department: String, listingID: String, subjectID: String, objection: String, decidedBy: String, reason: String, actions: [Action]
    ) {
        self.department = department
        self.listingID = listingID
        self.subjectID = subjectID
        self.objection = objection
        self.decidedBy = decidedBy
        self.reason = reason
        self.actions = actions
    }
}
