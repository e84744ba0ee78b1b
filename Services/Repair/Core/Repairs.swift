import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// The rules of repair that are configuration (`repair.*` and `publicity.*`, docs/CONFIG.md).
public struct RepairPolicy: Sendable {
    /// Working days within which the deciding department accepts (受理) an application.
    public var acceptWorkingDays: Int
    /// Working days from filing within which it decides.
    public var decideWorkingDays: Int
    /// Record kinds whose records may be repaired (default: penalties).
    public var recordKinds: Set<RecordKind>
    /// A later negative record within this many months before applying refuses repair (0: no rule).
    public var reoffenceMonths: Int
    /// Who decides record repairs: nil for the record's source (谁认定、谁修复), or this department
    /// (the credit office).
    public var recordDecider: Department?
    /// Whether a record application must carry at least one evidence file (proof of having
    /// fulfilled the penalty).
    public var requireProof: Bool
    public var publicity: PublicityRules
    public var calendar: WorkingCalendar

    public init(
        acceptWorkingDays: Int = 3, decideWorkingDays: Int = 10, recordKinds: Set<RecordKind> = [.penalty], reoffenceMonths: Int = 12,
        recordDecider: Department? = nil, requireProof: Bool = true, publicity: PublicityRules = PublicityRules(),
        calendar: WorkingCalendar = WorkingCalendar()
    ) {
        self.acceptWorkingDays = acceptWorkingDays
        self.decideWorkingDays = decideWorkingDays
        self.recordKinds = recordKinds
        self.reoffenceMonths = reoffenceMonths
        self.recordDecider = recordDecider
        self.requireProof = requireProof
        self.publicity = publicity
        self.calendar = calendar
    }
}

/// Body of `repair.apply`: exactly one of `record` and `listing`.
public struct RepairFiling: Codable, Sendable {
    public var record: String?
    public var listing: String?
    /// The credit-repair commitment letter (信用修复承诺书), in the subject's own words.
    public var commitment: String?
    public var reason: String?
    public var applicant: String?
    /// Proof of fulfilment, training certificates, credit reports (base64, as for objections).
    public var evidence: [ObjectionFiling.EvidenceFile]?

    public init(
        record: String? = nil, listing: String? = nil, commitment: String?, reason: String? = nil, applicant: String? = nil,
        evidence: [ObjectionFiling.EvidenceFile]? = nil
    ) {
        self.record = record
        self.listing = listing
        self.commitment = commitment
        self.reason = reason
        self.applicant = applicant
        self.evidence = evidence
    }
}

/// An application as `repair.list` shows it: with whether it is overdue today.
public struct RepairView: Codable, Sendable {
    public var application: RepairApplication
    public var overdue: Bool
}

extension RepairHandler {
    func declareRepairs(in commands: inout CommandTable) {
        struct Decision: Decodable, Sendable { var application: String; var note: String? }
        struct Ref: Decodable, Sendable { var application: String }
        struct Query: Decodable, Sendable { var status: String?; var decider: String?; var subject: String?; var overdue: Bool? }
        struct EvidenceRef: Decodable, Sendable { var application: String; var index: Int }
        commands.on(
            "repair.apply", access: .except(.service, because: "applications come from the credit office or a department"),
            audit: .audited, body: RepairFiling.self
        ) { filing, caller in
            try await apply(filing, context: caller.context)
        }
        commands.on("repair.accept", access: .department, audit: .audited, body: Ref.self) { ref, caller in
            try await accept(ref.application, by: caller.department)
        }
        for (name, approve) in [("repair.approve", true), ("repair.reject", false)] {
            commands.on(name, access: .department, audit: .audited, body: Decision.self) { request, caller in
                try await decide(request.application, approve: approve, by: caller.department, note: request.note)
            }
        }
        commands.on("repair.get", access: .anyone, audit: .query, body: Ref.self) { request, _ in
            guard let application = try await writer.read({ try Self.application(request.application, in: $0) }) else {
                throw ReplyError(.notFound, "repair.get: no application \(request.application)")
            }
            return application
        }
        let readers = Access.except(.service, because: "repair applications are read by the credit office and departments")
        commands.on("repair.list", access: readers, audit: .query, body: Query.self) { query, _ in
            try await listApplications(
                status: query.status, decider: query.decider, subject: query.subject, overdueOnly: query.overdue ?? false)
        }
        commands.on("repair.evidence", access: readers, audit: .audited, body: EvidenceRef.self) { ref, caller -> JSONValue in
            let row = try await writer.read { [authority] db in
                if caller.context.role == .department, let application = try Self.application(ref.application, in: db) {
                    let decider = application.initiator.rawValue
                    try authority.enforce("repair.evidence: \(ref.application) is decided by \(decider)") {
                        try $0.mayDecide(forInitiator: decider, department: caller.department)
                    }
                }
                return try Row.fetchOne(
                    db, sql: "SELECT name, size, sha256, content FROM repair_evidence WHERE application_id = ? AND position = ?",
                    arguments: [ref.application, ref.index])
            }
            guard let row else {
                throw ReplyError(.notFound, "repair.evidence: \(ref.application) has no evidence file \(ref.index)")
            }
            let content: Data = row["content"]
            return .object([
                "name": .string(row["name"]), "size": .int(row["size"]), "sha256": .string(row["sha256"]),
                "content": .string(content.base64EncodedString()),
            ])
        }
    }

    /// Who may file an application: the credit office's operators (who take them from subjects; the
    /// platform handles 信用修复, Huzhou Joint Reward and Punishment Opinions item 1), or a department
    /// with authority over what is repaired. Without CURVE (`--insecure`) anyone.
    func mayFile(for decider: String, context: RequestContext) throws(ReplyError) {
        // A service's key is refused by the command's access rule.
        guard context.role == .department else { return }
        let department = context.department ?? ""
        try authority.enforce("repair.apply") { try $0.mayDecide(forInitiator: decider, department: department) }
    }

    // MARK: - Applying

    /// Files an application for a record or a listing. The same application again (a resend) gets
    /// the same one back; another while one is open is refused, naming it.
    func apply(
        _ filing: RepairFiling, context: RequestContext = RequestContext(department: nil, authenticated: false)
    ) async throws
        -> RepairApplication
    {
        let op = "repair.apply"
        // The subject's own credit-repair commitment letter (信用修复承诺书) is required: no stock text.
        let text = filing.commitment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard text.count >= 10 else {
            throw ReplyError(
                .invalid,
                "\(op): commitment is required: the subject's credit-repair commitment letter (信用修复承诺书), at least 10 characters, in its own words"
            )
        }
        let reason = filing.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard text.count <= 4_000, reason.count <= 4_000 else {
            throw ReplyError(.invalid, "\(op): commitment and reason are limited to 4000 characters")
        }
        let target: Objection.TargetKind
        let id: String
        switch (filing.record?.trimmingCharacters(in: .whitespaces), filing.listing?.trimmingCharacters(in: .whitespaces)) {
        case (let record?, nil): (target, id) = (.record, record)
        case (nil, let listing?): (target, id) = (.listing, listing)
        default: throw ReplyError(.invalid, "\(op): give either record (R-…) or listing (L-…), not both and not neither")
        }
        let evidence = try Self.readEvidence(filing.evidence ?? [], policy: objectionPolicy, op: op)
        if target == .record, repairPolicy.requireProof, evidence.isEmpty {
            throw ReplyError(
                .invalid,
                "\(op): attach proof of having fulfilled the penalty (a receipt, a rectification report: --evidence FILE); a training certificate or a credit report may follow it"
            )
        }
        let day = today()
        let now = WireTime.format(clock.date)
        let policy = repairPolicy
        return try await writer.write { [log] db in
            let (subject, decider, period) =
                switch target {
                case .record: try Self.recordEligibility(id, policy: policy, today: day, op: op, in: db)
                case .listing: try Self.listingTarget(id, op: op, in: db)
                }
            try mayFile(for: decider.rawValue, context: context)
            let column = target == .record ? "record_id" : "listing_id"
            if let open = try String.fetchOne(
                db, sql: "SELECT data FROM applications WHERE \(column) = ? AND status IN ('pending', 'accepted')", arguments: [id]
            ).map({ try WireCoding.decode(RepairApplication.self, from: Array($0.utf8)) }) {
                if open.commitment == text && (open.evidence ?? []) == evidence.map(\.stored) { return open }
                throw ReplyError(
                    .conflict,
                    "\(op): \(id) already has application \(open.id) (\(open.status.rawValue), decide by \(open.decideBy ?? "?")); add to it with the deciding department (\(open.initiator)) instead"
                )
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM applications") ?? 0) + 1
            let application = RepairApplication(
                id: String(format: "A-%06lld", number), listingID: target == .listing ? id : nil, recordID: target == .record ? id : nil,
                subjectID: subject, initiator: decider, applicant: filing.applicant, commitment: text,
                reason: reason.isEmpty ? "conduct corrected and harm removed" : reason,
                evidence: evidence.isEmpty ? nil : evidence.map(\.stored), period: period, appliedAt: now,
                acceptBy: policy.calendar.adding(workingDays: policy.acceptWorkingDays, to: day),
                decideBy: policy.calendar.adding(workingDays: policy.decideWorkingDays, to: day))
            try db.execute(
                sql: """
                    INSERT INTO applications(id, number, listing_id, record_id, subject_id, decider, status, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    application.id, number, application.listingID ?? "", application.recordID, subject, decider.rawValue,
                    application.status.rawValue, try Self.text(application),
                ])
            for (position, file) in evidence.enumerated() {
                try db.execute(
                    sql: "INSERT INTO repair_evidence(application_id, position, name, size, sha256, content) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [application.id, position, file.stored.name, file.stored.size, file.stored.sha256, file.content])
            }
            try log.append(db, type: "repair.applied", data: application)
            return application
        }
    }

    /// A listing in force: its subject and initiating department.
    static func listingTarget(_ id: String, op: String, in db: Database) throws -> (String, Department, PublicityRules.Period?) {
        guard
            let row = try Row.fetchOne(db, sql: "SELECT subject_id, initiator, status FROM known_listings WHERE id = ?", arguments: [id])
        else {
            throw ReplyError(.notFound, "\(op): listing \(id) is not known to repair (yet); check the id with creditctl listings")
        }
        guard (row["status"] as String) == Listing.Status.active.rawValue else {
            throw ReplyError(.conflict, "\(op): listing \(id) is no longer active; there is nothing to repair")
        }
        return (row["subject_id"], Department(rawValue: row["initiator"]), nil)
    }

    /// A record that may be repaired today: of a repairable kind, in force, past its minimum publicity
    /// period, and with no later negative record within `repair.reoffenceMonths` before today. Each
    /// refusal says why and, where there is one, the date from which the subject may apply.
    static func recordEligibility(
        _ id: String, policy: RepairPolicy, today: String, op: String, in db: Database
    ) throws -> (String, Department, PublicityRules.Period?) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT subject_id, kind, source, state, data FROM known_records WHERE id = ?", arguments: [id])
        else {
            throw ReplyError(.notFound, "\(op): record \(id) is not known to repair (yet); check the id with creditctl profile")
        }
        let kind = RecordKind(rawValue: row["kind"])
        guard let kind, policy.recordKinds.contains(kind) else {
            throw ReplyError(
                .invalid,
                "\(op): \(id) is a \(row["kind"] as String) record, which is not repairable by rule (repair.recordKinds: \(policy.recordKinds.map(\.rawValue).sorted().joined(separator: ", "))); a listing made from it is repaired with --listing"
            )
        }
        switch row["state"] as String {
        case "withdrawn": throw ReplyError(.conflict, "\(op): \(id) was withdrawn as wrong; there is nothing left to repair")
        case "repaired": throw ReplyError(.conflict, "\(op): \(id) is already repaired")
        default: break
        }
        guard let text: String = row["data"], let record = try? WireCoding.decode(CreditRecord.self, from: Array(text.utf8)) else {
            throw ReplyError(.unavailable, "\(op): repair does not have \(id)'s content yet (it follows the registry); try again shortly")
        }
        let period = policy.publicity.period(of: record)
        guard today >= period.eligibleFrom else {
            let why = "\(period.severity?.rawValue ?? "general") dishonesty" + period.rules.map { ", rule \($0)" }.joined()
            throw ReplyError(
                .conflict,
                "\(op): \(id) is not yet eligible: its minimum publicity period is \(period.minimumMonths) months from the decision of \(record.decisionDate) (\(why), publicity.*); apply from \(period.eligibleFrom)"
            )
        }
        if policy.reoffenceMonths > 0, let since = FieldDates.adding(months: -policy.reoffenceMonths, to: today),
            let later = try Row.fetchOne(
                db,
                sql: """
                    SELECT id, decision_date FROM known_records
                    WHERE subject_id = ? AND id <> ? AND negative AND state = 'in-force' AND decision_date > ? AND decision_date > ?
                    ORDER BY decision_date DESC LIMIT 1
                    """,
                arguments: [record.subjectID, id, record.decisionDate, since])
        {
            let date: String = later["decision_date"]
            throw ReplyError(
                .conflict,
                "\(op): \(id) cannot be repaired now: the subject offended again (\(later["id"] as String), decided \(date)) within \(policy.reoffenceMonths) months before applying (repair.reoffenceMonths); apply from \(FieldDates.adding(months: policy.reoffenceMonths, to: date) ?? date)"
            )
        }
        return (record.subjectID, policy.recordDecider ?? Department(rawValue: row["source"]), period)
    }

    // MARK: - Accepting and deciding

    func accept(_ id: String, by department: String) async throws -> RepairApplication {
        try await change(id, op: "repair.accept", by: department) { application in
            guard application.status == .pending else {
                throw ReplyError(.conflict, "repair.accept: \(id) is already \(application.status.rawValue)")
            }
            application.status = .accepted
            application.acceptedAt = WireTime.format(clock.date)
            return "repair.accepted"
        }
    }

    func decide(_ id: String, approve: Bool, by department: String, note: String?) async throws -> RepairApplication {
        let op = approve ? "repair.approve" : "repair.reject"
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        if !approve {
            guard let note, !note.isEmpty else {
                throw ReplyError(.invalid, "repair.reject: note is required: give the reasons of the rejection (--note TEXT)")
            }
        }
        guard (note ?? "").count <= 4_000 else { throw ReplyError(.invalid, "\(op): note is limited to 4000 characters") }
        return try await change(id, op: op, by: department) { application in
            guard application.status.isOpen else {
                throw ReplyError(.conflict, "\(op): application \(id) is already \(application.status.rawValue)")
            }
            let now = WireTime.format(clock.date)
            if application.acceptedAt == nil { application.acceptedAt = now }
            application.status = approve ? .approved : .rejected
            application.decidedBy = Department(rawValue: department)
            application.decidedAt = now
            application.decisionNote = note?.isEmpty == false ? note : nil
            return approve ? "repair.approved" : "repair.rejected"
        }
    }

    /// Loads an application, checks that `department` decides for it (the initiating department or
    /// the record's source, 谁认定、谁修复 — Huzhou Judgment-Debtor Opinions 二(三)2 — or one whose
    /// authority approves for it), applies `change` and announces the event it names, in one transaction.
    private func change(
        _ id: String, op: String, by department: String, _ change: @escaping @Sendable (inout RepairApplication) throws -> String
    ) async throws -> RepairApplication {
        try await writer.write { [log, authority] db in
            guard var application = try Self.application(id, in: db) else { throw ReplyError(.notFound, "\(op): no application \(id)") }
            let decider = application.initiator.rawValue
            try authority.enforce("\(op): \(application.target) is decided by \(decider)") {
                try $0.mayDecide(forInitiator: decider, department: department)
            }
            let type = try change(&application)
            try db.execute(
                sql: "UPDATE applications SET status = ?, data = ? WHERE id = ?",
                arguments: [application.status.rawValue, try Self.text(application), id])
            try log.append(db, type: type, data: application)
            return application
        }
    }

    // MARK: - Reading

    func listApplications(status: String?, decider: String?, subject: String?, overdueOnly: Bool) async throws -> [RepairView] {
        var conditions: [String] = []
        var arguments: [String] = []
        switch status ?? "any" {
        case "any": break
        case "open": conditions.append("status IN ('pending', 'accepted')")
        case let text where RepairApplication.Status(rawValue: text) != nil:
            conditions.append("status = ?")
            arguments.append(text)
        case let text:
            throw ReplyError(.invalid, "repair.list: status \"\(text)\" is not one of pending, accepted, approved, rejected, open, any")
        }
        if overdueOnly { conditions.append("status IN ('pending', 'accepted')") }
        if let decider { conditions.append("decider = ?"); arguments.append(decider) }
        if let subject { conditions.append("subject_id = ?"); arguments.append(subject.trimmingCharacters(in: .whitespaces).uppercased()) }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let day = today()
        let applications = try await writer.read { [arguments] db in
            try String.fetchAll(
                db, sql: "SELECT data FROM applications \(clause) ORDER BY number LIMIT 1000", arguments: StatementArguments(arguments)
            )
            .map { try WireCoding.decode(RepairApplication.self, from: Array($0.utf8)) }
        }
        return applications.map { RepairView(application: $0, overdue: $0.overdue(on: day)) }.filter { !overdueOnly || $0.overdue }
    }

    static func application(_ id: String, in db: Database) throws -> RepairApplication? {
        try String.fetchOne(db, sql: "SELECT data FROM applications WHERE id = ?", arguments: [id])
            .map { try WireCoding.decode(RepairApplication.self, from: Array($0.utf8)) }
    }

    static func text(_ application: RepairApplication) throws -> String {
        String(decoding: try WireCoding.encode(application), as: UTF8.self)
    }

    /// Applications not yet decided, and those of them past a deadline, for `status`.
    func repairCounts() async -> (open: Int, overdue: Int) {
        let day = today()
        let open =
            (try? await writer.read { db in
                try String.fetchAll(db, sql: "SELECT data FROM applications WHERE status IN ('pending', 'accepted')")
                    .map { try WireCoding.decode(RepairApplication.self, from: Array($0.utf8)) }
            }) ?? []
        return (open.count, open.filter { $0.overdue(on: day) }.count)
    }
}
