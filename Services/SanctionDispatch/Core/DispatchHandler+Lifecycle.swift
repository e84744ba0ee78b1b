import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// A listing's life after initiation: objection window, extension, expiry (Shaanxi Plan 三(四)5, Huzhou Joint
/// Reward and Punishment Opinions item 17).
extension DispatchHandler {
    /// `list.object`, `list.confirm` and `list.extend`.
    func declareLifecycle(in commands: inout CommandTable) {
        struct Objection: Decodable, Sendable { var listing: String; var reason: String }
        struct Confirmation: Decodable, Sendable { var listing: String; var note: String? }
        struct Extension: Decodable, Sendable { var listing: String; var until: String; var reason: String }
        // The subject objects, through whoever carries its objection (the credit office, a department).
        commands.on("list.object", access: .anyone, audit: .audited, body: Objection.self) { request, _ in
            try await object(request.listing, reason: request.reason)
        }
        commands.on("list.confirm", access: .department, audit: .audited, body: Confirmation.self) { request, caller in
            try await confirm(request.listing, by: caller.department)
        }
        commands.on("list.extend", access: .department, audit: .audited, body: Extension.self) { request, caller in
            try await extend(request.listing, until: request.until, reason: request.reason, by: caller.department)
        }
    }

    /// The subject objects during the window: the listing stays pending until the initiator confirms
    /// it (objection rejected) or removes it (objection upheld).
    func object(_ id: String, reason: String) async throws -> Listing {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 4_000 else {
            throw ReplyError(.invalid, "list.object: reason is required (at most 4000 characters)")
        }
        let day = today()
        return try await writer.write { [store] db in
            guard var listing = try store.get(id, in: db) else { throw ReplyError(.notFound, "list.object: no listing \(id)") }
            guard listing.status == .pending, let deadline = listing.objectionDeadline else {
                throw ReplyError(
                    .conflict, "list.object: \(id) is \(listing.status.rawValue); objections are taken while a listing is pending")
            }
            guard day <= deadline else {
                throw ReplyError(.conflict, "list.object: the objection window of \(id) closed on \(deadline)")
            }
            listing.objection = reason
            return try store.update(listing, announce: "list.objected", in: db)
        }
    }

    /// The initiator rejects an objection: the listing takes effect at once if its window has closed,
    /// otherwise when it closes.
    func confirm(_ id: String, by department: String) async throws -> Listing {
        let day = today()
        return try await writer.write { [store] db in
            guard var listing = try store.get(id, in: db) else { throw ReplyError(.notFound, "list.confirm: no listing \(id)") }
            try policy.authority.enforce("list.confirm") {
                try $0.mayDecide(forInitiator: listing.initiator.rawValue, department: department)
            }
            guard listing.status == .pending else {
                throw ReplyError(.conflict, "list.confirm: \(id) is \(listing.status.rawValue), not pending")
            }
            listing.objection = nil
            if let deadline = listing.objectionDeadline, day > deadline {
                listing.status = .active
                listing.start = day
                return try store.update(listing, announce: "list.added", in: db)
            }
            return try store.update(listing, announce: "list.confirmed", in: db)
        }
    }

    /// The initiator extends a listing's term (a change of end date is pushed like the listing).
    func extend(_ id: String, until rawUntil: String, reason: String, by department: String) async throws -> Listing {
        let until: String
        do {
            until = try FieldDates.isoDate(rawUntil, field: "until")
        } catch {
            throw ReplyError(.invalid, "list.extend: \(error)")
        }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ReplyError(.invalid, "list.extend: reason is required") }
        return try await writer.write { [store] db in
            guard var listing = try store.get(id, in: db) else { throw ReplyError(.notFound, "list.extend: no listing \(id)") }
            guard listing.initiator.rawValue == department else {
                throw ReplyError(.forbidden, "list.extend: \(id) was initiated by \(listing.initiator); \(department) may not extend it")
            }
            guard listing.status != .removed else { throw ReplyError(.conflict, "list.extend: \(id) is removed") }
            guard until > listing.until else {
                throw ReplyError(.invalid, "list.extend: until \(until) must be after the current end \(listing.until)")
            }
            listing.until = until
            listing.facts = [listing.facts, "extended to \(until): \(reason)"].compactMap { $0 }.joined(separator: "; ")
            return try store.update(listing, announce: "list.extended", in: db)
        }
    }

    /// What changes by the calendar alone: pending listings whose objection window has closed (and carry no
    /// open objection) take effect; listings whose term has ended are removed (Huzhou Joint Reward and
    /// Punishment Opinions, item 17). Returns the listings changed. Run by `DispatchScheduler`; idempotent.
    @discardableResult
    public func runDue() async throws -> (activated: [String], expired: [String]) {
        let day = today()
        return try await writer.write { [store] db in
            var activated: [String] = []
            var expired: [String] = []
            for var listing in try store.listings(status: .pending, in: db) {
                if listing.until < day {
                    _ = try store.remove(listing.id, reason: "term ended on \(listing.until) before it took effect", in: db)
                    expired.append(listing.id)
                } else if listing.objection == nil, let deadline = listing.objectionDeadline, day > deadline {
                    listing.status = .active
                    listing.start = day
                    try store.update(listing, announce: "list.added", in: db)
                    activated.append(listing.id)
                }
            }
            for listing in try store.activeListings(endingBefore: day, in: db) where listing.until < day {
                _ = try store.remove(listing.id, reason: "term ended on \(listing.until)", in: db)
                expired.append(listing.id)
            }
            return (activated, expired)
        }
    }

    /// Once a day, the red-list rules' proposals for subjects whose clean years have come round.
    @discardableResult
    public func proposeDueRedListings() async throws -> Int {
        guard let rules else { return 0 }
        return try await writer.write { try rules.proposeDueRedListings(in: $0) }
    }
}
