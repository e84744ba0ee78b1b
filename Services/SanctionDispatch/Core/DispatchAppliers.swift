import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol

/// Follows the registry: remembers subjects' names, and puts every court dishonest-debtor on the black list
/// with the court as initiator (Huzhou Judgment-Debtor Opinions 三: 市中级法院 pushes the 失信被执行人 to the platform;
/// every department then restricts them). Idempotent by source record.
struct RegistryApplier: StreamApplier {
    let store: ListingStore
    /// Term of an automatic court listing, in years (`dispatch.courtListingYears`, default 2).
    let courtListingYears: Int
    let today: @Sendable () -> String
    /// The measure rules applied to every other record of dishonest conduct; nil in tests without them.
    var rules: RuleMeasures? = nil

    func apply(_ event: Event, in db: Database) throws {
        if event.type == "relations.registered" {
            // A related person registered explicitly (relations.register) counts like one from a record.
            struct Registered: Decodable {
                var subject: String
                var person: RelatedPerson
            }
            let registered = try event.decodeData(Registered.self)
            try learn([registered.person], of: registered.subject, in: db)
            return
        }
        if event.type == "record.repaired" {
            // The record was repaired (its subject put things right): the listings made from it end.
            let repair = try event.decodeData(RecordRepair.self)
            try rules?.withdrawProposal(of: repair.id, reason: "record \(repair.id) repaired (application \(repair.application))", in: db)
            guard let listing = try store.bySourceRecord(repair.id, in: db), listing.status != .removed else { return }
            _ = try store.remove(
                listing.id, reason: "repaired: record \(repair.id) repaired (application \(repair.application), \(repair.decidedBy))",
                in: db)
            return
        }
        if event.type == "record.withdrawn", let id = event.data["id"]?.stringValue {
            try rules?.withdrawProposal(
                of: id, reason: "record \(id) withdrawn as wrong: \(event.data["reason"]?.stringValue ?? "")", in: db)
            return
        }
        guard event.type == "record.stored" || event.type == "record.corrected" else { return }
        struct Stored: Decodable {
            var id: String
            var source: String?
            var record: CreditRecord
        }
        let stored = try event.decodeData(Stored.self)
        let record = stored.record
        if event.type == "record.corrected" {
            try follow(correction: record, of: stored.id, in: db)
            return
        }
        try db.execute(
            sql: """
                INSERT INTO known_subjects(id, name, kind) VALUES (?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind
                """,
            arguments: [record.subjectID, record.subjectName, record.subjectKind.rawValue])
        try learn(record.relatedPersons, of: record.subjectID, in: db)
        try rules?.apply(record, id: stored.id, source: stored.source ?? "", seq: event.seq, in: db)
        guard record.kind == .courtDishonestDebtor, try store.bySourceRecord(stored.id, in: db) == nil else { return }
        let start = today()
        let until = FieldDates.adding(years: courtListingYears, to: start) ?? start
        let related = try store.relatedPersons(of: record.subjectID, in: db)
        // The court's own procedure precedes its list, so its listings take effect at once.
        _ = try store.add(
            Listing(
                id: "", list: .black, subjectID: record.subjectID, subjectName: record.subjectName,
                subjectKind: record.subjectKind, initiator: .court,
                basis: record.legalBasis ?? "court dishonest judgment-debtor list (失信被执行人名单)",
                document: record.documentNumber, facts: record.summary, start: start, until: until,
                sourceRecord: stored.id, relatedPersons: related.isEmpty ? nil : related),
            in: db)
    }
}

extension RegistryApplier {
    /// A listing made from a record follows the record's current version: name, basis, document
    /// and facts (`list.updated`), so every department enforces what the record now says.
    func follow(correction record: CreditRecord, of id: String, in db: Database) throws {
        try db.execute(
            sql: "UPDATE known_subjects SET name = ? WHERE id = ?", arguments: [record.subjectName, record.subjectID])
        guard var listing = try store.bySourceRecord(id, in: db), listing.status != .removed else { return }
        let before = listing
        listing.subjectName = record.subjectName
        listing.basis = record.legalBasis ?? listing.basis
        listing.document = record.documentNumber
        listing.facts = record.summary
        guard listing != before else { return }
        _ = try store.update(listing, announce: "list.updated", in: db)
    }

    /// Remembers an organisation's related persons; persons learned after a listing was made reach
    /// it too: the listing is pushed again (`list.updated`).
    func learn(_ persons: [RelatedPerson], of subjectID: String, in db: Database) throws {
        var learned = false
        for person in persons {
            try db.execute(
                sql: "INSERT INTO related_persons(subject_id, role, name, person_id) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT(subject_id, role, name) DO UPDATE SET person_id = IFNULL(excluded.person_id, person_id) "
                    + "WHERE person_id IS NOT IFNULL(excluded.person_id, person_id)",
                arguments: [subjectID, person.role.rawValue, person.name, person.personID])
            learned = learned || db.changesCount > 0
        }
        guard learned else { return }
        let related = try store.relatedPersons(of: subjectID, in: db)
        for var listing in try store.current(subject: subjectID, in: db) where listing.relatedPersons ?? [] != related {
            listing.relatedPersons = related
            try store.update(listing, announce: "list.updated", in: db)
        }
    }
}

/// Follows repair: an objection suspends the measures of the listings it disputes (the listing
/// itself, or the listing made from the disputed record) until it is decided; a decision resumes them
/// or, when the information is revoked, ends the listing. An approved repair removes its listing (Shaanxi Plan 三(三)6: terminate joint
/// punishment after repair), which the `list.removed` event then lifts at every interceptor.
struct RepairApplier: StreamApplier {
    let store: ListingStore
    var authority: AuthorityRules = .standard
    let logger: Logger

    func apply(_ event: Event, in db: Database) throws {
        if event.type.hasPrefix("repair.") {
            let application = try event.decodeData(RepairApplication.self)
            try follow(application, in: db)
            if event.type == "repair.approved" { try lift(application, in: db) }
            return
        }
        guard event.type.hasPrefix("objection.") else { return }
        let objection = try event.decodeData(Objection.self)
        try follow(objection, in: db)
        switch event.type {
        case "objection.filed": try suspend(for: objection, in: db)
        case "objection.decided": try settle(objection, in: db)
        default: return
        }
    }

    /// Keeps each application's decider, status and deadlines for the compliance report.
    private func follow(_ application: RepairApplication, in db: Database) throws {
        guard let acceptBy = application.acceptBy, let decideBy = application.decideBy else { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO repairs(id, decider, status, accept_by, decide_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                application.id, application.initiator.rawValue, application.status.rawValue, acceptBy, decideBy, application.decidedAt,
            ])
    }

    /// An approved repair of a listing ends it. (A repaired record reaches dispatch from the registry,
    /// `record.repaired`, which ends the listings made from it.)
    private func lift(_ application: RepairApplication, in db: Database) throws {
        guard let listingID = application.listingID else { return }
        guard let listing = try store.get(listingID, in: db) else {
            logger.warning("Approved repair names an unknown listing", metadata: ["listing.id": "\(listingID)"])
            return
        }
        guard listing.status == .active else { return }
        // Repair checks the deciding department's authority; dispatch checks again, so a repair
        // service with other rules cannot lift listings it should not.
        guard let decidedBy = application.decidedBy,
            (try? authority.mayDecide(forInitiator: listing.initiator.rawValue, department: decidedBy.rawValue)) != nil
        else {
            logger.warning(
                "Repair approved by a department without authority over the listing; ignored",
                metadata: [
                    "listing.id": "\(listing.id)", "repair.id": "\(application.id)",
                    "repair.decidedBy": "\(application.decidedBy?.rawValue ?? "-")",
                ])
            return
        }
        _ = try store.remove(
            listing.id, reason: "repaired: application \(application.id) approved by \(decidedBy)", in: db)
    }
}

extension RepairApplier {
    /// The listings an objection disputes: the listing itself, or the one made from the record.
    func disputed(by objection: Objection, in db: Database) throws -> [Listing] {
        switch objection.targetKind {
        case .listing: try store.get(objection.targetID, in: db).map { [$0] } ?? []
        case .record: try store.bySourceRecord(objection.targetID, in: db).map { [$0] } ?? []
        }
    }

    /// Keeps each objection's decider, status and deadlines for the compliance report.
    func follow(_ objection: Objection, in db: Database) throws {
        try db.execute(
            sql:
                "INSERT OR REPLACE INTO objections(id, decider, status, acknowledge_by, decide_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                objection.id, objection.decider.rawValue, objection.status.rawValue, objection.acknowledgeBy, objection.decideBy,
                objection.decidedAt,
            ])
    }

    /// Suspends, as the objection says, every disputed listing that is in force or pending.
    func suspend(for objection: Objection, in db: Database) throws {
        let policy: Listing.Suspension.Policy
        switch objection.suspension {
        case .none: return  // the law keeps these measures in force while disputed
        case .review: policy = .review
        case .allow: policy = .allow
        }
        for var listing in try disputed(by: objection, in: db) where listing.status != .removed && listing.suspension == nil {
            listing.suspension = Listing.Suspension(objection: objection.id, policy: policy, since: objection.filedAt)
            _ = try store.update(listing, announce: "list.suspended", in: db)
        }
    }

    /// Upheld or corrected: the measures resume. Revoked: the listing ends, and the decision is its
    /// removal reason (the interceptors lift it; the departments that acted on it see why).
    func settle(_ objection: Objection, in db: Database) throws {
        for var listing in try disputed(by: objection, in: db) where listing.status != .removed {
            if objection.outcome == .revoked {
                // Repair checked the deciding department; dispatch checks again before it ends a listing.
                guard let decidedBy = objection.decidedBy,
                    (try? authority.mayDecide(forInitiator: listing.initiator.rawValue, department: decidedBy.rawValue)) != nil
                else {
                    logger.warning(
                        "Objection revoked by a department without authority over the listing; ignored",
                        metadata: ["listing.id": "\(listing.id)", "objection.id": "\(objection.id)"])
                    continue
                }
                _ = try store.remove(
                    listing.id,
                    reason:
                        "revoked: objection \(objection.id) decided by \(objection.decidedBy?.rawValue ?? "?"): \(objection.decisionNote ?? "")",
                    in: db)
                try notifyDepartments(of: listing, revokedBy: objection, in: db)
            } else if listing.suspension?.objection == objection.id {
                listing.suspension = nil
                _ = try store.update(listing, announce: "list.resumed", in: db)
            }
        }
    }
}

extension RepairApplier {
    /// Tells every department that blocked or reviewed the subject on a revoked listing's account
    /// which of its checks did, from the feedback it sent (`notice.revoked`, id
    /// `notice-<listing>-<department>`), so it can undo the harm.
    func notifyDepartments(of listing: Listing, revokedBy objection: Objection, in db: Database) throws {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT id, department, action, decision, decided_at FROM feedback
                WHERE listing_id = ? AND decision IN ('block', 'review') ORDER BY department, decided_at
                """,
            arguments: [listing.id])
        let byDepartment = Dictionary(grouping: rows) { $0["department"] as String }
        for department in byDepartment.keys.sorted() {
            let actions = byDepartment[department]!.map { row in
                RevocationNotice.Action(
                    checkID: String((row["id"] as String).trimmingPrefix("feedback-")), action: row["action"], decision: row["decision"],
                    decidedAt: row["decided_at"])
            }
            let notice = RevocationNotice(
                department: department, listingID: listing.id, subjectID: listing.subjectID, objection: objection.id,
                decidedBy: objection.decidedBy?.rawValue ?? "", reason: objection.decisionNote ?? "", actions: actions)
            try store.log.append(db, type: "notice.revoked", data: notice, id: "notice-\(listing.id)-\(department)")
        }
    }
}
