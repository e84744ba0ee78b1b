import CreditDomain
import Foundation

/// A record as the public sees it (双公示: licences and penalties, Shaanxi Plan 三(四)3, Otog Front Banner
/// Plan 四(一); credit commitments, Huzhou Joint Reward and Punishment Opinions item 5): personal
/// identifiers masked.
public struct PublicRecord: Codable, Sendable, Equatable {
    public var recordID: String
    /// `licence`, `penalty` or `commitment`.
    public var kind: String
    /// The subject's code as shown: a unified social credit code, or a masked personal identifier.
    public var subject: String
    /// The subject's page key (`/subjects/{key}`).
    public var subjectKey: String
    public var subjectName: String
    public var subjectKind: String
    public var document: String
    /// The deciding authority's full name, as the record gives it.
    public var authority: String
    public var content: String
    /// Licence category, penalty categories, a commitment's type.
    public var category: String?
    public var decisionDate: String
    /// Licences: valid from.
    public var validFrom: String?
    /// The last day the record is public: the source's publicity end, the licence's validity, or the
    /// decision date plus the class's longest period (`publicity.*`).
    public var publicityEnd: String?
    /// Commitments: pending, kept or breached.
    public var performance: String?
    /// Set while an objection to the record is being verified (异议标注).
    public var disputed: Dispute?
    /// Set while a repair application for it is being decided.
    public var repair: RepairMark?
}

/// A black- or red-list entry as the public sees it (Siyang Measures Art. 17, Huzhou Joint Reward and
/// Punishment Opinions item 16): personal identifiers masked, the initiating department by its name.
public struct PublicListing: Codable, Sendable, Equatable {
    public var listingID: String
    public var list: String
    public var subject: String
    public var subjectKey: String
    public var subjectName: String
    /// The initiating department's code, and its full name (`names.<dept>`).
    public var initiator: String
    public var initiatorName: String
    public var basis: String
    public var document: String
    public var start: String
    public var until: String
    /// Set while an objection to the listing is being verified (异议标注).
    public var disputed: Dispute?
    /// Set while a repair application for it is being decided.
    public var repair: RepairMark?
}

/// The mark on information under objection: which objection, filed when (yyyy-MM-dd).
public struct Dispute: Codable, Sendable, Equatable {
    public var objection: String
    public var since: String
}

/// The mark on information whose repair is being decided: which application, filed when (yyyy-MM-dd).
public struct RepairMark: Codable, Sendable, Equatable {
    public var application: String
    public var since: String
}

/// A subject as the portal knows it: its code as shown, name and kind, and the legacy codes of an
/// organisation (registration number, organisation code) that find it too.
public struct PublicSubject: Codable, Sendable, Equatable {
    public var key: String
    public var code: String
    public var name: String
    public var kind: String
    public var aliases: [String]
}

/// Everything the portal discloses about one subject (`/subjects/{key}`).
public struct SubjectPage: Codable, Sendable {
    public var subject: PublicSubject
    public var licences: [PublicRecord]
    public var penalties: [PublicRecord]
    public var commitments: [PublicRecord]
    public var listings: [PublicListing]
    /// When this was read (the report's moment).
    public var asOf: String
}

/// 双公示 timeliness of one department: records published within the deadline, late ones with how
/// late, those received but not public (withdrawn, repaired, or already past their window), and those
/// the registry holds that are still missing their publication.
public struct PublicationTimeliness: Codable, Sendable, Equatable {
    public struct Late: Codable, Sendable, Equatable {
        public var recordID: String
        public var kind: String
        public var document: String
        public var decisionDate: String
        public var receivedOn: String
        /// Working days past the deadline.
        public var workingDaysLate: Int
    }

    public var department: String
    public var departmentName: String
    public var published: Int
    public var onTime: Int
    /// `onTime / published`, 1 when nothing was published.
    public var onTimeRate: Double
    public var late: [Late]
    public var notPublic: Int
    /// Delivered to the registry but not yet published here (nil when the registry could not be asked).
    public var missing: Int?
}

/// The portal's statistics page (`/statistics`, `/api/v1/statistics`).
public struct PortalStatistics: Codable, Sendable {
    public var generatedAt: String
    /// Working days from decision to publication (licences and penalties), and for commitments.
    public var deadlineWorkingDays: Int
    public var commitmentDeadlineWorkingDays: Int
    public var departments: [PublicationTimeliness]
    public var publicRecords: [String: Int]
    public var listings: [String: Int]
}
