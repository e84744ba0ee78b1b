/// A submission from the public portal: an objection or a repair application a subject made online
/// (Huzhou Joint Reward and Punishment Opinions, item 1: the platform handles objections and repair).
/// It is received (收件), not yet filed: an operator of the credit office checks who sent it (the
/// subject's identity, the authority of its agent) and files it — then it is an objection or an
/// application like any other, with its deadlines — or declines it with the reason. A form on the
/// internet cannot suspend a measure by itself.
public struct IntakeSubmission: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case objection, repair
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case received, filed, declined
    }

    public var id: String
    public var kind: Kind
    /// `R-…` or `L-…`.
    public var target: String
    public var subjectID: String
    /// Who sent it and how to reach them (the subject, or its agent).
    public var applicant: String
    public var contact: String
    /// The objection's reason, or the repair's commitment letter (信用修复承诺书).
    public var text: String
    public var status: Status
    public var receivedAt: String
    /// The objection (`O-…`) or application (`A-…`) it was filed as.
    public var filedAs: String?
    public var decidedBy: String?
    public var decidedAt: String?
    public var note: String?

    public init(
        id: String, kind: Kind, target: String, subjectID: String, applicant: String, contact: String, text: String, status: Status,
        receivedAt: String
    ) {
        self.id = id
        self.kind = kind
        self.target = target
        self.subjectID = subjectID
        self.applicant = applicant
        self.contact = contact
        self.text = text
        self.status = status
        self.receivedAt = receivedAt
    }
}

/// Body of `intake.submit`.
public struct IntakeForm: Codable, Sendable {
    public var kind: String
    public var target: String
    /// The subject's full identifier, which must be the target's.
    public var code: String
    public var applicant: String
    public var contact: String
    public var text: String

    public init(kind: String, target: String, code: String, applicant: String, contact: String, text: String) {
        self.kind = kind
        self.target = target
        self.code = code
        self.applicant = applicant
        self.contact = contact
        self.text = text
    }
}
