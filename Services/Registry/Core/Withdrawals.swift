import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// What `record.withdrawn` carries: a record the department that provided it found wrong when it
/// decided an objection `revoked` (Shaanxi Plan: 经核实有误的信息要及时予以更正或撤销). The archive keeps the
/// record and its versions; the withdrawal is noted beside it, and every consumer drops it.
public struct RecordWithdrawal: Codable, Sendable, Equatable {
    public var id: String
    public var subjectID: String
    public var kind: RecordKind
    public var objection: String
    public var decidedBy: String
    public var reason: String
    public var withdrawnAt: String
}

/// Follows repair: a record under objection is marked disputed until the decision; one decided
/// `revoked` withdraws the record (`record.withdrawn`), an
/// approved repair of a record marks it repaired (`record.repaired`), each once; the deciding department
/// must be the record's source, or approve for it.
struct RepairOutcomeApplier: StreamApplier {
    let log: EventLog
    var authority: AuthorityRules = .standard

    func apply(_ event: Event, in db: Database) throws {
        if event.type == "repair.approved" { return try repaired(try event.decodeData(RepairApplication.self), at: event.at, in: db) }
        guard event.type == "objection.filed" || event.type == "objection.decided" else { return }
        let objection = try event.decodeData(Objection.self)
        guard objection.targetKind == .record else { return }
        // Marked disputed (异议标注) from the filing until the decision.
        if event.type == "objection.filed" {
            return try db.execute(
                sql: "INSERT OR REPLACE INTO disputes(record_id, objection, since) VALUES (?, ?, ?)",
                arguments: [objection.targetID, objection.id, objection.filedAt])
        }
        try db.execute(sql: "DELETE FROM disputes WHERE record_id = ? AND objection = ?", arguments: [objection.targetID, objection.id])
        guard objection.outcome == .revoked, objection.targetKind == .record, let decidedBy = objection.decidedBy else { return }
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT subject_id, kind, source FROM records WHERE id = ?", arguments: [objection.targetID]),
            (try? authority.mayDecide(forInitiator: row["source"], department: decidedBy.rawValue)) != nil,
            try !(Bool.fetchOne(db, sql: "SELECT 1 FROM withdrawals WHERE record_id = ?", arguments: [objection.targetID]) ?? false)
        else { return }
        let withdrawal = RecordWithdrawal(
            id: objection.targetID, subjectID: row["subject_id"], kind: RecordKind(rawValue: row["kind"]) ?? .penalty,
            objection: objection.id, decidedBy: decidedBy.rawValue, reason: objection.decisionNote ?? "", withdrawnAt: event.at)
        try db.execute(
            sql: "INSERT INTO withdrawals(record_id, objection, decided_by, reason, withdrawn_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [withdrawal.id, withdrawal.objection, withdrawal.decidedBy, withdrawal.reason, withdrawal.withdrawnAt])
        try log.append(db, type: "record.withdrawn", data: withdrawal, id: "registry-\(withdrawal.id)-withdrawn")
    }
}

extension RepairOutcomeApplier {
    /// Marks a record repaired and announces it, once.
    func repaired(_ application: RepairApplication, at: String, in db: Database) throws {
        guard let id = application.recordID, let decidedBy = application.decidedBy,
            let row = try Row.fetchOne(db, sql: "SELECT subject_id, kind, source FROM records WHERE id = ?", arguments: [id]),
            (try? authority.mayDecide(forInitiator: row["source"], department: decidedBy.rawValue)) != nil,
            try !(Bool.fetchOne(db, sql: "SELECT 1 FROM repairs WHERE record_id = ?", arguments: [id]) ?? false)
        else { return }
        let repair = RecordRepair(
            id: id, subjectID: row["subject_id"], kind: RecordKind(rawValue: row["kind"]) ?? .penalty, application: application.id,
            decidedBy: decidedBy.rawValue, note: application.decisionNote, repairedAt: application.decidedAt ?? at)
        try db.execute(
            sql: "INSERT INTO repairs(record_id, application, decided_by, note, repaired_at) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, repair.application, repair.decidedBy, repair.note, repair.repairedAt])
        try log.append(db, type: "record.repaired", data: repair, id: "registry-\(id)-repaired")
    }
}
