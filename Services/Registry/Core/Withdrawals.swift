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

/// Follows repair: a record objection decided `revoked` withdraws the record (`record.withdrawn`),
/// once; the deciding department must be the record's source, or approve for it.
struct ObjectionOutcomeApplier: StreamApplier {
    let log: EventLog
    var authority: AuthorityRules = .standard

    func apply(_ event: Event, in db: Database) throws {
        guard event.type == "objection.decided" else { return }
        let objection = try event.decodeData(Objection.self)
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
