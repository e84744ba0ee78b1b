import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// Measures by rule: proposals the deciding department confirms or declines, the reminders and interview
/// notices issued, and the rules in force.
extension DispatchHandler {
    func declareRuleMeasures(in commands: inout CommandTable) {
        struct ProposalRef: Decodable, Sendable { var proposal: String }
        struct Confirmation: Decodable, Sendable { var proposal: String; var document: String?; var note: String? }
        struct Decline: Decodable, Sendable { var proposal: String; var reason: String }
        struct ReminderRef: Decodable, Sendable { var reminder: String; var code: String? }
        struct ReminderFilter: Decodable, Sendable { var subject: String?; var after: String?; var limit: Int? }
        commands.on("proposal.find", access: .anyone, audit: .query, body: ProposalFilter.self) { filter, _ in
            try await findProposals(filter)
        }
        commands.on("proposal.get", access: .anyone, audit: .query, body: ProposalRef.self) { request, _ in
            guard let proposal = try await writer.read({ try ProposalStore.get(request.proposal, in: $0) }) else {
                throw ReplyError(.notFound, "proposal.get: no proposal \(request.proposal)")
            }
            return proposal
        }
        commands.on("proposal.confirm", access: .department, audit: .audited, body: Confirmation.self) { request, caller in
            try await confirmProposal(request.proposal, document: request.document, note: request.note, by: caller.department)
        }
        commands.on("proposal.decline", access: .department, audit: .audited, body: Decline.self) { request, caller in
            try await declineProposal(request.proposal, reason: request.reason, by: caller.department)
        }
        // With a code (the portal, for a subject): only when it is the notice's code.
        commands.on("reminder.get", access: .anyone, audit: .query, body: ReminderRef.self) { request, _ in
            let stored = try await writer.read { db in
                try String.fetchOne(db, sql: "SELECT data FROM reminders WHERE id = ?", arguments: [request.reminder])
                    .map { try WireCoding.decode(Reminder.self, from: Array($0.utf8)) }
            }
            let given = request.code.map { $0.uppercased().filter { $0.isLetter || $0.isNumber } }
            guard let stored, given == nil || given == stored.code else {
                throw ReplyError(
                    .notFound, given == nil ? "reminder.get: no reminder \(request.reminder)" : "reminder.get: no notice with this code")
            }
            return stored
        }
        commands.on("reminder.find", access: .anyone, audit: .query, body: ReminderFilter.self) { filter, _ -> JSONValue in
            let limit = min(max(filter.limit ?? 100, 1), 1_000)
            let subject = filter.subject?.trimmingCharacters(in: .whitespaces).uppercased()
            let texts = try await writer.read { db in
                try String.fetchAll(
                    db,
                    sql: "SELECT data FROM reminders WHERE (? IS NULL OR subject_id = ?) AND id > ? ORDER BY number LIMIT ?",
                    arguments: [subject, subject, filter.after ?? "", limit])
            }
            let reminders = try texts.map { try WireCoding.decode(JSONValue.self, from: Array($0.utf8)) }
            return .object([
                "reminders": .array(reminders),
                "next": reminders.count == limit ? reminders.last?["id"] ?? .null : .null,
            ])
        }
        commands.on("rules.get", access: .anyone, audit: .query) { _ in
            guard let rules else { throw ReplyError(.notFound, "rules.get: no measure rules loaded") }
            return rules.rules
        }
    }

    /// Body of `proposal.find`.
    struct ProposalFilter: Decodable, Sendable {
        var status: String?
        var decider: String?
        var list: String?
        var subject: String?
        var after: String?
        var limit: Int?
    }

    func findProposals(_ filter: ProposalFilter) async throws -> JSONValue {
        let status = filter.status ?? "proposed"
        guard status == "any" || ListingProposal.Status(rawValue: status) != nil else {
            throw ReplyError(.invalid, "proposal.find: status \"\(status)\" is not one of proposed, confirmed, declined, withdrawn, any")
        }
        if let list = filter.list, ListType(rawValue: list) == nil {
            throw ReplyError(.invalid, "proposal.find: list \"\(list)\" is not one of black, red")
        }
        let limit = min(max(filter.limit ?? 100, 1), 1_000)
        let subject = filter.subject?.trimmingCharacters(in: .whitespaces).uppercased()
        let texts = try await writer.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT data FROM proposals WHERE (? = 'any' OR status = ?) AND (? IS NULL OR decider = ?) AND (? IS NULL OR list = ?)
                    AND (? IS NULL OR subject_id = ?) AND id > ? ORDER BY number LIMIT ?
                    """,
                arguments: [
                    status, status, filter.decider, filter.decider, filter.list, filter.list, subject, subject, filter.after ?? "", limit,
                ])
        }
        let proposals = try texts.map { try WireCoding.decode(JSONValue.self, from: Array($0.utf8)) }
        return .object(["proposals": .array(proposals), "next": proposals.count == limit ? proposals.last?["id"] ?? .null : .null])
    }

    /// The deciding department (or one that approves for it) confirms: the listing is made and follows its life
    /// — a black listing is notified and waits for its objection window, a red listing is in force at once.
    func confirmProposal(_ id: String, document: String?, note: String?, by department: String) async throws -> ListingProposal {
        let document = document?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let document, document.isEmpty || document.count > 200 {
            throw ReplyError(.invalid, "proposal.confirm: document must be 1–200 characters")
        }
        if let note, note.count > 2_000 { throw ReplyError(.invalid, "proposal.confirm: note is at most 2000 characters") }
        let start = today()
        return try await writer.write { [store, policy, calendarWatch] db in
            var proposal = try Self.openProposal(id, op: "proposal.confirm", by: department, policy: policy, in: db)
            try policy.authority.enforce("proposal.confirm") { try $0.mayInitiate(proposal.list, department: proposal.decider.rawValue) }
            if let existing = try store.current(subject: proposal.subjectID, in: db).first(where: {
                $0.list == proposal.list && $0.initiator == proposal.decider
            }) {
                throw ReplyError(
                    .conflict,
                    "proposal.confirm: \(proposal.subjectID) is already on the \(proposal.list.rawValue) list by \(proposal.decider) as \(existing.id)"
                )
            }
            let days = proposal.list == .black ? proposal.objectionWorkingDays ?? policy.objectionWorkingDays : 0
            let deadline = days > 0 ? calendarWatch.deadline(workingDays: days, from: start, for: "objection window") : nil
            let related = try store.relatedPersons(of: proposal.subjectID, in: db)
            var listing = Listing(
                id: "", list: proposal.list, subjectID: proposal.subjectID, subjectName: proposal.subjectName,
                subjectKind: proposal.subjectKind, initiator: proposal.decider, basis: proposal.basis,
                document: document ?? proposal.document, facts: proposal.facts, start: start,
                until: FieldDates.adding(months: proposal.months, to: start) ?? start, sourceRecord: proposal.sourceRecord,
                status: deadline == nil ? .active : .pending, relatedPersons: related.isEmpty ? nil : related, objectionDeadline: deadline)
            listing.rule = proposal.rule
            listing = try store.add(listing, in: db)
            proposal.status = .confirmed
            proposal.decidedOn = start
            proposal.decisionNote = note
            proposal.listingID = listing.id
            return try ProposalStore.update(proposal, announce: "proposal.confirmed", actor: department, log: store.log, in: db)
        }
    }

    /// The deciding department declines, with its reason; no listing is made.
    func declineProposal(_ id: String, reason: String, by department: String) async throws -> ListingProposal {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 2_000 else {
            throw ReplyError(.invalid, "proposal.decline: reason is required (at most 2000 characters)")
        }
        let day = today()
        return try await writer.write { [store, policy] db in
            var proposal = try Self.openProposal(id, op: "proposal.decline", by: department, policy: policy, in: db)
            proposal.status = .declined
            proposal.decidedOn = day
            proposal.decisionNote = reason
            return try ProposalStore.update(proposal, announce: "proposal.declined", actor: department, log: store.log, in: db)
        }
    }

    /// A proposal still waiting, that `department` may decide: the decider, or one whose authority approves for it.
    static func openProposal(
        _ id: String, op: String, by department: String, policy: DispatchPolicy, in db: Database
    ) throws
        -> ListingProposal
    {
        guard let proposal = try ProposalStore.get(id, in: db) else { throw ReplyError(.notFound, "\(op): no proposal \(id)") }
        try policy.authority.enforce(op) { try $0.mayDecide(forInitiator: proposal.decider.rawValue, department: department) }
        guard proposal.status == .proposed else {
            let outcome =
                switch proposal.status {
                case .confirmed: "confirmed as \(proposal.listingID ?? "?")"
                default: "\(proposal.status.rawValue) (\(proposal.decisionNote ?? ""))"
                }
            throw ReplyError(.conflict, "\(op): \(id) was \(outcome) on \(proposal.decidedOn ?? "?")")
        }
        return proposal
    }
}
