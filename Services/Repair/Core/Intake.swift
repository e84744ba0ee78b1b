import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit

extension RepairHandler {
    /// The portal's service key (`disclosure`) submits; operators too (a counter in the office).
    static let portalOrOperator = Access("the portal (disclosure) or an operator") { op, context throws(ReplyError) in
        switch context.role {
        case nil, .operator?: return
        case .service? where context.department == CentralService.disclosure.rawValue: return
        default:
            throw ReplyError(
                .forbidden, "\(op): submissions come from the portal or an operator; \(context.department ?? "?") may not submit")
        }
    }

    func declareIntake(in commands: inout CommandTable) {
        struct Ref: Decodable, Sendable { var submission: String; var evidence: [ObjectionFiling.EvidenceFile]?; var note: String? }
        struct Query: Decodable, Sendable { var status: String? }
        commands.on("intake.submit", access: Self.portalOrOperator, audit: .audited, body: IntakeForm.self) { form, _ in
            try await submit(form)
        }
        let operators = Access("an operator") { op, context throws(ReplyError) in
            guard context.role == nil || context.role == .operator else {
                throw ReplyError(.forbidden, "\(op): the credit office's operators handle submissions from the portal")
            }
        }
        commands.on("intake.list", access: operators, audit: .query, body: Query.self) { query, _ in
            try await writer.read { db in
                let status = query.status ?? IntakeSubmission.Status.received.rawValue
                guard status == "any" || IntakeSubmission.Status(rawValue: status) != nil else {
                    throw ReplyError(.invalid, "intake.list: status \"\(status)\" is not one of received, filed, declined, any")
                }
                return try String.fetchAll(
                    db, sql: "SELECT data FROM intake WHERE ?1 = 'any' OR status = ?1 ORDER BY number LIMIT 1000", arguments: [status]
                ).map { try WireCoding.decode(IntakeSubmission.self, from: Array($0.utf8)) }
            }
        }
        commands.on("intake.file", access: operators, audit: .audited, body: Ref.self) { ref, caller in
            try await file(ref.submission, evidence: ref.evidence ?? [], by: caller)
        }
        commands.on("intake.decline", access: operators, audit: .audited, body: Ref.self) { ref, caller in
            let note = ref.note?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !note.isEmpty else { throw ReplyError(.invalid, "intake.decline: note is required: tell the sender why (--note TEXT)") }
            return try await settle(ref.submission, op: "intake.decline") { submission in
                submission.status = .declined
                submission.note = note
                submission.decidedBy = caller.context.department ?? "operator"
            }
        }
    }

    /// Receives a submission: the target must be known and belong to the subject whose full code is
    /// given; the text must be there. Nothing is filed yet.
    func submit(_ form: IntakeForm) async throws -> IntakeSubmission {
        let op = "intake.submit"
        guard let kind = IntakeSubmission.Kind(rawValue: form.kind) else {
            throw ReplyError(.invalid, "\(op): kind \"\(form.kind)\" is not objection or repair")
        }
        let text = form.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let applicant = form.applicant.trimmingCharacters(in: .whitespacesAndNewlines)
        let contact = form.contact.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (kind == .objection ? 1 : 10)...4_000 ~= text.count else {
            throw ReplyError(
                .invalid,
                kind == .objection
                    ? "\(op): give the reason of the objection: what is wrong and why (at most 4000 characters)"
                    : "\(op): give the credit-repair commitment letter (信用修复承诺书) in your own words, 10 to 4000 characters")
        }
        guard (1...100).contains(applicant.count), (3...100).contains(contact.count) else {
            throw ReplyError(
                .invalid, "\(op): give who applies (1–100 characters) and how to reach them (a phone number or an e-mail address)")
        }
        let target = form.target.trimmingCharacters(in: .whitespaces)
        let code = Identifiers.normalised(form.code)
        let now = WireTime.format(clock.date)
        return try await writer.write { [log] db in
            let subject: String? =
                target.hasPrefix("R-")
                ? try String.fetchOne(db, sql: "SELECT subject_id FROM known_records WHERE id = ?", arguments: [target])
                : try String.fetchOne(db, sql: "SELECT subject_id FROM known_listings WHERE id = ?", arguments: [target])
            // The same answer for an unknown target and a wrong code: the form tells a guesser nothing.
            guard let subject, subject == code else {
                throw ReplyError(
                    .invalid,
                    "\(op): the code given is not the subject's of \(target): give the full unified social credit code or ID number")
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM intake") ?? 0) + 1
            let submission = IntakeSubmission(
                id: String(format: "I-%06lld", number), kind: kind, target: target, subjectID: subject, applicant: applicant,
                contact: contact,
                text: text, status: .received, receivedAt: now)
            try db.execute(
                sql: "INSERT INTO intake(id, number, status, data) VALUES (?, ?, ?, ?)",
                arguments: [
                    submission.id, number, submission.status.rawValue, String(decoding: try WireCoding.encode(submission), as: UTF8.self),
                ])
            // The event carries no personal data beyond what the log of repair holds already.
            try log.append(db, type: "intake.received", data: ["id": submission.id, "kind": kind.rawValue, "target": target])
            return submission
        }
    }

    /// Files a received submission as the operator: an objection or a repair application with the
    /// submission's text (and the evidence the operator attaches), then marks it filed.
    func file(_ id: String, evidence: [ObjectionFiling.EvidenceFile], by caller: Caller) async throws -> IntakeSubmission {
        guard let submission = try await writer.read({ try Self.submission(id, in: $0) }) else {
            throw ReplyError(.notFound, "intake.file: no submission \(id)")
        }
        guard submission.status == .received else {
            throw ReplyError(.conflict, "intake.file: \(id) is already \(submission.status.rawValue)")
        }
        let isRecord = submission.target.hasPrefix("R-")
        let applicant = "\(submission.applicant) (\(submission.contact)), portal \(submission.id)"
        let filedAs: String
        switch submission.kind {
        case .objection:
            filedAs = try await fileObjection(
                ObjectionFiling(
                    record: isRecord ? submission.target : nil, listing: isRecord ? nil : submission.target, reason: submission.text,
                    evidence: evidence, applicant: applicant),
                by: caller.context.department ?? "operator", role: caller.context.role
            ).id
        case .repair:
            filedAs = try await apply(
                RepairFiling(
                    record: isRecord ? submission.target : nil, listing: isRecord ? nil : submission.target, commitment: submission.text,
                    applicant: applicant, evidence: evidence),
                context: caller.context
            ).id
        }
        return try await settle(id, op: "intake.file") { submission in
            submission.status = .filed
            submission.filedAs = filedAs
            submission.decidedBy = caller.context.department ?? "operator"
        }
    }

    private func settle(
        _ id: String, op: String, _ change: @escaping @Sendable (inout IntakeSubmission) -> Void
    ) async throws
        -> IntakeSubmission
    {
        let now = WireTime.format(clock.date)
        return try await writer.write { [log] db in
            guard var submission = try Self.submission(id, in: db) else { throw ReplyError(.notFound, "\(op): no submission \(id)") }
            guard submission.status == .received else {
                throw ReplyError(.conflict, "\(op): \(id) is already \(submission.status.rawValue)")
            }
            change(&submission)
            submission.decidedAt = now
            try db.execute(
                sql: "UPDATE intake SET status = ?, data = ? WHERE id = ?",
                arguments: [submission.status.rawValue, String(decoding: try WireCoding.encode(submission), as: UTF8.self), id])
            try log.append(
                db, type: "intake.\(submission.status.rawValue)",
                data: ["id": submission.id, "filedAs": submission.filedAs ?? "", "target": submission.target])
            return submission
        }
    }

    static func submission(_ id: String, in db: Database) throws -> IntakeSubmission? {
        try String.fetchOne(db, sql: "SELECT data FROM intake WHERE id = ?", arguments: [id])
            .map { try WireCoding.decode(IntakeSubmission.self, from: Array($0.utf8)) }
    }
}
