import Bus
import CreditDomain
import Crypto
import Foundation
import GRDB
import MeshProtocol

/// The rules of objections that are configuration (`objection.*`, docs/CONFIG.md).
public struct ObjectionPolicy: Sendable {
    /// Working days within which the deciding department acknowledges an objection.
    public var acknowledgeWorkingDays: Int
    /// Working days within which it decides.
    public var decideWorkingDays: Int
    /// What measures resting on disputed information do meanwhile.
    public var suspension: Objection.Suspension
    /// Record kinds whose measures stay in force while disputed (suspension `none`).
    public var keepInForce: Set<RecordKind>
    public var maxEvidenceFiles: Int
    public var maxEvidenceBytes: Int
    public var calendar: WorkingCalendar

    public init(
        acknowledgeWorkingDays: Int = 2, decideWorkingDays: Int = 5, suspension: Objection.Suspension = .review,
        keepInForce: Set<RecordKind> = [.courtDishonestDebtor], maxEvidenceFiles: Int = 5, maxEvidenceBytes: Int = 2 << 20,
        calendar: WorkingCalendar = WorkingCalendar()
    ) {
        self.acknowledgeWorkingDays = acknowledgeWorkingDays
        self.decideWorkingDays = decideWorkingDays
        self.suspension = suspension
        self.keepInForce = keepInForce
        self.maxEvidenceFiles = maxEvidenceFiles
        self.maxEvidenceBytes = maxEvidenceBytes
        self.calendar = calendar
    }
}

/// Body of `objection.file`: exactly one of `record` and `listing`.
public struct ObjectionFiling: Codable, Sendable {
    public struct EvidenceFile: Codable, Sendable {
        public var name: String
        /// The file's bytes, base64.
        public var content: String

        public init(name: String, content: String) {
            self.name = name
            self.content = content
        }
    }

    public var record: String?
    public var listing: String?
    public var reason: String
    public var evidence: [EvidenceFile]?
    public var applicant: String?

    public init(record: String? = nil, listing: String? = nil, reason: String, evidence: [EvidenceFile]? = nil, applicant: String? = nil) {
        self.record = record
        self.listing = listing
        self.reason = reason
        self.evidence = evidence
        self.applicant = applicant
    }
}

/// An objection as `objection.get` and `objection.list` show it: with whether it is overdue today.
public struct ObjectionView: Codable, Sendable {
    public var objection: Objection
    public var overdue: Bool
}

extension RepairHandler {
    func declareObjections(in commands: inout CommandTable) {
        struct Ref: Decodable, Sendable { var objection: String }
        struct Decision: Decodable, Sendable { var objection: String; var outcome: String; var note: String }
        struct Query: Decodable, Sendable { var status: String?; var decider: String?; var subject: String?; var overdue: Bool? }
        struct EvidenceRef: Decodable, Sendable { var objection: String; var index: Int }
        // Whoever acts for the subject files: the credit office's operators, or a department that finds
        // the information wrong (Huzhou Joint Reward and Punishment Opinions, item 18).
        commands.on(
            "objection.file", access: .except(.service, because: "objections come from the credit office or a department"),
            audit: .audited, body: ObjectionFiling.self
        ) { filing, caller in
            try await fileObjection(filing, by: caller.context.department ?? "anonymous", role: caller.context.role)
        }
        commands.on("objection.acknowledge", access: .department, audit: .audited, body: Ref.self) { ref, caller in
            try await acknowledgeObjection(ref.objection, by: caller.department)
        }
        commands.on("objection.decide", access: .department, audit: .audited, body: Decision.self) { decision, caller in
            guard let outcome = Objection.Outcome(rawValue: decision.outcome) else {
                throw ReplyError(.invalid, "objection.decide: outcome \"\(decision.outcome)\" is not one of upheld, corrected, revoked")
            }
            return try await decideObjection(decision.objection, outcome: outcome, note: decision.note, by: caller.department)
        }
        // Reasons and evidence are personal data: not for services' keys; reading evidence is audited.
        let readers = Access.except(.service, because: "objections are read by the credit office and departments")
        commands.on("objection.get", access: readers, audit: .query, body: Ref.self) { ref, _ in
            let day = today()
            guard let objection = try await writer.read({ try Self.objection(ref.objection, in: $0) }) else {
                throw ReplyError(.notFound, "objection.get: no objection \(ref.objection)")
            }
            return ObjectionView(objection: objection, overdue: objection.overdue(on: day))
        }
        commands.on("objection.list", access: readers, audit: .query, body: Query.self) { query, _ in
            try await listObjections(
                status: query.status, decider: query.decider, subject: query.subject, overdueOnly: query.overdue ?? false)
        }
        commands.on("objection.evidence", access: readers, audit: .audited, body: EvidenceRef.self) { ref, caller -> JSONValue in
            let row = try await writer.read { [authority] db in
                // A department reads the evidence of the objections it decides (or approves for).
                if caller.context.role == .department, let objection = try Self.objection(ref.objection, in: db) {
                    let decider = objection.decider.rawValue
                    try authority.enforce("objection.evidence: \(ref.objection) is decided by \(decider)") {
                        try $0.mayDecide(forInitiator: decider, department: caller.department)
                    }
                }
                return try Row.fetchOne(
                    db, sql: "SELECT name, size, sha256, content FROM objection_evidence WHERE objection_id = ? AND position = ?",
                    arguments: [ref.objection, ref.index])
            }
            guard let row else { throw ReplyError(.notFound, "objection.evidence: \(ref.objection) has no evidence file \(ref.index)") }
            let content: Data = row["content"]
            return .object([
                "name": .string(row["name"]), "size": .int(row["size"]), "sha256": .string(row["sha256"]),
                "content": .string(content.base64EncodedString()),
            ])
        }
    }

    // MARK: - Filing

    /// Files an objection. A department's key files only for information it decides (or approves
    /// for): otherwise any department could suspend any other's measures; the credit office's
    /// operators file for subjects.
    func fileObjection(_ filing: ObjectionFiling, by filer: String, role: PeerRole? = nil) async throws -> Objection {
        let op = "objection.file"
        let reason = filing.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 4_000 else {
            throw ReplyError(.invalid, "\(op): reason is required (at most 4000 characters): say what is wrong and why")
        }
        let (kind, target): (Objection.TargetKind, String)
        switch (filing.record?.trimmingCharacters(in: .whitespaces), filing.listing?.trimmingCharacters(in: .whitespaces)) {
        case (let record?, nil): (kind, target) = (.record, record)
        case (nil, let listing?): (kind, target) = (.listing, listing)
        default: throw ReplyError(.invalid, "\(op): give either record (R-…) or listing (L-…), not both and not neither")
        }
        let evidence = try Self.readEvidence(filing.evidence ?? [], policy: objectionPolicy, op: op)
        let day = today()
        let now = WireTime.format(clock.date)
        let policy = objectionPolicy
        return try await writer.write { [log, authority] db in
            // The same filing again (a resend) gets the same objection back; another one on the same
            // target while the first is being verified is refused, naming it.
            if let open = try Self.openObjection(on: kind, target, in: db) {
                if open.reason == reason && open.evidence == evidence.map(\.stored) { return open }
                throw ReplyError(
                    .conflict,
                    "\(op): \(target) already has objection \(open.id) being verified (decide by \(open.decideBy)); add to it with the deciding department (\(open.decider)) instead"
                )
            }
            let (subject, decider, version, recordKind) = try Self.target(kind, target, op: op, in: db)
            if role == .department {
                try authority.enforce("\(op): \(target) is \(decider)'s") {
                    try $0.mayDecide(forInitiator: decider.rawValue, department: filer)
                }
            }
            // A decided objection is final: another on the same target needs evidence not seen before.
            if let last = try Self.lastDecided(on: kind, target, in: db) {
                let seen = Set(last.evidence.map(\.sha256))
                guard evidence.contains(where: { !seen.contains($0.stored.sha256) }) else {
                    throw ReplyError(
                        .conflict,
                        "\(op): objection \(last.id) to \(target) was decided (\(last.outcome?.rawValue ?? "?")) on \(last.decidedAt ?? "?"); a new one needs new evidence"
                    )
                }
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM objections") ?? 0) + 1
            var objection = Objection(
                id: String(format: "O-%06lld", number), targetKind: kind, targetID: target, recordVersion: version, subjectID: subject,
                decider: decider, reason: reason, evidence: evidence.map(\.stored), filedBy: filer, applicant: filing.applicant,
                filedAt: now, suspension: recordKind.map { policy.keepInForce.contains($0) } == true ? .none : policy.suspension,
                acknowledgeBy: policy.calendar.adding(workingDays: policy.acknowledgeWorkingDays, to: day),
                decideBy: policy.calendar.adding(workingDays: policy.decideWorkingDays, to: day))
            objection.status = .open
            try db.execute(
                sql: """
                    INSERT INTO objections(id, number, target_kind, target_id, subject_id, decider, status, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    objection.id, number, kind.rawValue, target, subject, decider.rawValue, objection.status.rawValue,
                    try Self.text(objection),
                ])
            for (position, file) in evidence.enumerated() {
                try db.execute(
                    sql: "INSERT INTO objection_evidence(objection_id, position, name, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [objection.id, position, file.stored.name, file.stored.size, file.stored.sha256, file.content])
            }
            try log.append(db, type: "objection.filed", data: objection)
            return objection
        }
    }

    /// The evidence files checked against the limits, with their digests.
    static func readEvidence(
        _ files: [ObjectionFiling.EvidenceFile], policy: ObjectionPolicy, op: String
    ) throws(ReplyError) -> [(stored: Objection.Evidence, content: Data)] {
        guard files.count <= policy.maxEvidenceFiles else {
            throw ReplyError(
                .invalid, "\(op): \(files.count) evidence files; at most \(policy.maxEvidenceFiles) (objection.maxEvidenceFiles)")
        }
        var read: [(Objection.Evidence, Data)] = []
        for (index, file) in files.enumerated() {
            let name = file.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, name.count <= 200, !name.contains(where: \.isNewline) else {
                throw ReplyError(.invalid, "\(op): evidence[\(index)].name must be a file name of 1–200 characters")
            }
            guard let content = Data(base64Encoded: file.content) else {
                throw ReplyError(.badRequest, "\(op): evidence[\(index)].content (\(name)) is not base64")
            }
            guard content.count <= policy.maxEvidenceBytes else {
                throw ReplyError(
                    .invalid,
                    "\(op): evidence file \(name) is \(content.count) bytes; at most \(policy.maxEvidenceBytes) (objection.maxEvidenceBytes): send a smaller scan or a summary"
                )
            }
            let digest = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
            read.append((Objection.Evidence(name: name, size: content.count, sha256: digest), content))
        }
        return read
    }

    /// The subject, the deciding department, the record version and kind behind a target.
    static func target(
        _ kind: Objection.TargetKind, _ id: String, op: String, in db: Database
    ) throws -> (String, Department, Int?, RecordKind?) {
        switch kind {
        case .record:
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT subject_id, kind, source, version FROM known_records WHERE id = ?", arguments: [id])
            else {
                throw ReplyError(.notFound, "\(op): record \(id) is not known to repair (yet); check the id with creditctl profile")
            }
            return (row["subject_id"], Department(rawValue: row["source"]), row["version"], RecordKind(rawValue: row["kind"]))
        case .listing:
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT subject_id, initiator, status, source_record FROM known_listings WHERE id = ?", arguments: [id])
            else {
                throw ReplyError(.notFound, "\(op): listing \(id) is not known to repair (yet); check the id with creditctl listings")
            }
            switch row["status"] as String {
            case "active": break
            case "pending":
                throw ReplyError(
                    .conflict,
                    "\(op): listing \(id) is pending, not yet in force; object within its window with creditctl object --listing \(id) (list.object)"
                )
            default:
                throw ReplyError(.conflict, "\(op): listing \(id) has ended; there is nothing left to object to")
            }
            let source: String? = row["source_record"]
            let recordKind = try source.flatMap {
                try String.fetchOne(db, sql: "SELECT kind FROM known_records WHERE id = ?", arguments: [$0])
            }
            return (row["subject_id"], Department(rawValue: row["initiator"]), nil, recordKind.flatMap(RecordKind.init(rawValue:)))
        }
    }

    // MARK: - Acknowledging and deciding

    func acknowledgeObjection(_ id: String, by department: String) async throws -> Objection {
        try await changeObjection(id, op: "objection.acknowledge", by: department) { objection, _ in
            guard objection.status == .open else {
                throw ReplyError(.conflict, "objection.acknowledge: \(id) is already \(objection.status.rawValue)")
            }
            objection.status = .acknowledged
            objection.acknowledgedAt = WireTime.format(clock.date)
            return "objection.acknowledged"
        }
    }

    func decideObjection(_ id: String, outcome: Objection.Outcome, note: String, by department: String) async throws -> Objection {
        let op = "objection.decide"
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !note.isEmpty, note.count <= 4_000 else {
            throw ReplyError(.invalid, "\(op): note is required (at most 4000 characters): give the reasons of the decision")
        }
        return try await changeObjection(id, op: op, by: department) { objection, db in
            guard objection.status != .decided else {
                throw ReplyError(
                    .conflict, "\(op): \(id) was already decided (\(objection.outcome?.rawValue ?? "?")) on \(objection.decidedAt ?? "?")")
            }
            if outcome == .corrected {
                guard objection.targetKind == .record, let filed = objection.recordVersion else {
                    throw ReplyError(.invalid, "\(op): corrected is for records; a listing is upheld or revoked")
                }
                let current =
                    try Int.fetchOne(db, sql: "SELECT version FROM known_records WHERE id = ?", arguments: [objection.targetID]) ?? filed
                guard current > filed else {
                    throw ReplyError(
                        .conflict,
                        "\(op): \(objection.targetID) is still at version \(filed), the one disputed; import the corrected row first (creditctl import), then decide corrected"
                    )
                }
            }
            let now = WireTime.format(clock.date)
            if objection.acknowledgedAt == nil { objection.acknowledgedAt = now }
            objection.status = .decided
            objection.outcome = outcome
            objection.decidedBy = Department(rawValue: department)
            objection.decidedAt = now
            objection.decisionNote = note
            return "objection.decided"
        }
    }

    /// Loads an objection, checks that `department` decides for it, applies `change` and announces
    /// the event it names, in one transaction.
    private func changeObjection(
        _ id: String, op: String, by department: String, _ change: @escaping @Sendable (inout Objection, Database) throws -> String
    ) async throws -> Objection {
        try await writer.write { [log, authority] db in
            guard var objection = try Self.objection(id, in: db) else { throw ReplyError(.notFound, "\(op): no objection \(id)") }
            // The department that provided the information verifies it (谁提供、谁核实), or one whose
            // authority approves for it (authority.<dept>.approves).
            let decider = objection.decider.rawValue
            try authority.enforce("\(op): \(objection.targetID) is \(decider)'s") {
                try $0.mayDecide(forInitiator: decider, department: department)
            }
            let type = try change(&objection, db)
            try db.execute(
                sql: "UPDATE objections SET status = ?, data = ? WHERE id = ?",
                arguments: [objection.status.rawValue, try Self.text(objection), id])
            try log.append(db, type: type, data: objection)
            return objection
        }
    }

    // MARK: - Reading

    func listObjections(status: String?, decider: String?, subject: String?, overdueOnly: Bool) async throws -> [ObjectionView] {
        var conditions: [String] = []
        var arguments: [String] = []
        switch status ?? "any" {
        case "any": break
        case "pending":
            conditions.append("status <> 'decided'")
        case let text where Objection.Status(rawValue: text) != nil:
            conditions.append("status = ?")
            arguments.append(text)
        case let text:
            throw ReplyError(.invalid, "objection.list: status \"\(text)\" is not one of open, acknowledged, decided, pending, any")
        }
        // Overdue ones are among those not yet decided; the limit applies to those.
        if overdueOnly { conditions.append("status <> 'decided'") }
        if let decider { conditions.append("decider = ?"); arguments.append(decider) }
        if let subject { conditions.append("subject_id = ?"); arguments.append(subject.trimmingCharacters(in: .whitespaces).uppercased()) }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let day = today()
        let objections = try await writer.read { [arguments] db in
            try String.fetchAll(
                db, sql: "SELECT data FROM objections \(clause) ORDER BY number LIMIT 1000", arguments: StatementArguments(arguments)
            )
            .map { try WireCoding.decode(Objection.self, from: Array($0.utf8)) }
        }
        return objections.map { ObjectionView(objection: $0, overdue: $0.overdue(on: day)) }.filter { !overdueOnly || $0.overdue }
    }

    static func objection(_ id: String, in db: Database) throws -> Objection? {
        try String.fetchOne(db, sql: "SELECT data FROM objections WHERE id = ?", arguments: [id])
            .map { try WireCoding.decode(Objection.self, from: Array($0.utf8)) }
    }

    static func lastDecided(on kind: Objection.TargetKind, _ target: String, in db: Database) throws -> Objection? {
        try String.fetchOne(
            db,
            sql: "SELECT data FROM objections WHERE target_kind = ? AND target_id = ? AND status = 'decided' ORDER BY number DESC LIMIT 1",
            arguments: [kind.rawValue, target]
        ).map { try WireCoding.decode(Objection.self, from: Array($0.utf8)) }
    }

    static func openObjection(on kind: Objection.TargetKind, _ target: String, in db: Database) throws -> Objection? {
        try String.fetchOne(
            db, sql: "SELECT data FROM objections WHERE target_kind = ? AND target_id = ? AND status <> 'decided'",
            arguments: [kind.rawValue, target]
        ).map { try WireCoding.decode(Objection.self, from: Array($0.utf8)) }
    }

    static func text(_ objection: Objection) throws -> String {
        String(decoding: try WireCoding.encode(objection), as: UTF8.self)
    }

    /// Objections not yet decided, and those of them past a deadline, for `status`.
    func objectionCounts() async -> (open: Int, overdue: Int) {
        let day = today()
        let open =
            (try? await writer.read { db in
                try String.fetchAll(db, sql: "SELECT data FROM objections WHERE status <> 'decided'")
                    .map { try WireCoding.decode(Objection.self, from: Array($0.utf8)) }
            }) ?? []
        return (open.count, open.filter { $0.overdue(on: day) }.count)
    }
}

/// Keeps what repair needs to know of the registry's records to take objections and repairs: the
/// subject, kind, source department, current version, decision date, whether it speaks against the
/// subject, its content (for the publicity rules) and whether it is in force, withdrawn or repaired.
struct RecordsApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        switch event.type {
        case "record.stored", "record.corrected":
            guard let id = event.data["id"]?.stringValue, let record = event.data["record"],
                let subject = record["subjectID"]?.stringValue, let kind = record["kind"]?.stringValue,
                let source = event.data["source"]?.stringValue
            else { return }
            let version = event.data["version"]?.intValue ?? 1
            let negative = RecordKind(rawValue: kind)?.isNegative == true || record["performance"]?.stringValue == "breached"
            let data = String(decoding: try WireCoding.encode(record), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO known_records(id, subject_id, kind, source, version, decision_date, negative, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET source = excluded.source, version = MAX(version, excluded.version),
                        subject_id = CASE WHEN excluded.version >= version THEN excluded.subject_id ELSE subject_id END,
                        kind = CASE WHEN excluded.version >= version THEN excluded.kind ELSE kind END,
                        decision_date = CASE WHEN excluded.version >= version THEN excluded.decision_date ELSE decision_date END,
                        negative = CASE WHEN excluded.version >= version THEN excluded.negative ELSE negative END,
                        data = CASE WHEN excluded.version >= version THEN excluded.data ELSE data END
                    """,
                arguments: [id, subject, kind, source, version, record["decisionDate"]?.stringValue, negative, data])
        case "record.withdrawn", "record.repaired":
            guard let id = event.data["id"]?.stringValue else { return }
            let state = event.type == "record.withdrawn" ? "withdrawn" : "repaired"
            try db.execute(sql: "UPDATE known_records SET state = ? WHERE id = ?", arguments: [state, id])
        default:
            return
        }
    }
}
