import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// A penalty as the public sees it (双公示, Shaanxi Plan 三(四)3, Otog Front Banner Plan 四(一)): personal
/// identifiers masked.
public struct PublicPenalty: Codable, Sendable, Equatable {
    public var recordID: String
    public var subject: String
    public var subjectName: String
    public var subjectKind: String
    public var document: String
    public var authority: String
    public var content: String
    public var decisionDate: String
    public var publicityEnd: String?
    /// Set while an objection to the record is being verified (异议标注).
    public var disputed: Dispute?
}

/// The mark on information under objection: which objection, filed when (yyyy-MM-dd).
public struct Dispute: Codable, Sendable, Equatable {
    public var objection: String
    public var since: String
}

/// A black-list entry as the public sees it (Siyang Measures Art. 17, Huzhou Joint Reward and Punishment
/// Opinions item 16): personal identifiers masked.
public struct PublicListing: Codable, Sendable, Equatable {
    public var listingID: String
    public var list: String
    public var subject: String
    public var subjectName: String
    public var initiator: String
    public var basis: String
    public var document: String
    public var start: String
    public var until: String
    /// Set while an objection to the listing is being verified (异议标注).
    public var disputed: Dispute?
}

/// disclosure keeps only what may be shown: it masks identifiers on the way in, so nothing
/// unmasked is ever stored or served.
public enum DisclosureSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("disclosure-v1") { db in
            try db.create(table: "public_penalties") { t in
                t.primaryKey("record_id", .text)
                t.column("subject_name", .text).notNull().indexed()
                t.column("subject", .text).notNull().indexed()
                t.column("publicity_end", .text)
                t.column("data", .text).notNull()
            }
            try db.create(table: "public_listings") { t in
                t.primaryKey("listing_id", .text)
                t.column("subject_name", .text).notNull().indexed()
                t.column("subject", .text).notNull().indexed()
                t.column("list", .text).notNull()
                t.column("until", .text).notNull()
                t.column("data", .text).notNull()
            }
        }
        // Records out of public view for good: withdrawn as wrong, or repaired. A later correction
        // of one does not bring it back.
        migrator.registerMigration("disclosure-v2-unpublished") { db in
            try db.create(table: "unpublished") { t in
                t.primaryKey("record_id", .text)
                t.column("reason", .text).notNull()
            }
            // Records and listings under objection (repair's stream): marked wherever they show.
            try db.create(table: "disputes") { t in
                t.primaryKey("target_id", .text)
                t.column("objection", .text).notNull()
                t.column("since", .text).notNull()
            }
        }
    }
}

/// Follows the registry: penalties become public entries until their publicity end; a correction
/// (`record.corrected`) replaces the entry with the current version; a withdrawn or repaired record
/// leaves public view for good.
struct PenaltyDisclosureApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        if event.type == "record.withdrawn" || event.type == "record.repaired", let id = event.data["id"]?.stringValue {
            // Withdrawn as wrong, or repaired (Shaanxi Plan 三(三)6: stop disclosing): out of public view at once.
            try db.execute(sql: "DELETE FROM public_penalties WHERE record_id = ?", arguments: [id])
            try db.execute(
                sql: "INSERT OR IGNORE INTO unpublished(record_id, reason) VALUES (?, ?)",
                arguments: [id, event.type == "record.withdrawn" ? "withdrawn" : "repaired"])
            return
        }
        guard event.type == "record.stored" || event.type == "record.corrected" else { return }
        struct Stored: Decodable { var id: String; var record: CreditRecord }
        let stored = try event.decodeData(Stored.self)
        let record = stored.record
        guard try !(Bool.fetchOne(db, sql: "SELECT 1 FROM unpublished WHERE record_id = ?", arguments: [stored.id]) ?? false) else {
            return
        }
        guard record.kind == .penalty else {
            // A correction may make a record something else: it is then no penalty to publish.
            try db.execute(sql: "DELETE FROM public_penalties WHERE record_id = ?", arguments: [stored.id])
            return
        }
        let entry = PublicPenalty(
            recordID: stored.id, subject: Identifiers.maskForPublic(record.subjectID), subjectName: record.subjectName,
            subjectKind: record.subjectKind.rawValue, document: record.documentNumber, authority: record.authority,
            content: record.summary, decisionDate: record.decisionDate, publicityEnd: record.publicityEnd)
        try db.execute(
            sql: "INSERT OR REPLACE INTO public_penalties(record_id, subject_name, subject, publicity_end, data) VALUES (?, ?, ?, ?, ?)",
            arguments: [
                entry.recordID, entry.subjectName, entry.subject, entry.publicityEnd,
                String(decoding: try WireCoding.encode(entry), as: UTF8.self),
            ])
    }
}

/// Follows dispatch: black and red listings are published while active; a removal (repair,
/// revocation) takes them out of public view at once (Shaanxi Plan 三(三)6: stop disclosing).
struct ListingDisclosureApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        guard ["list.added", "list.removed", "list.extended", "list.updated"].contains(event.type) else { return }
        let listing = try event.decodeData(Listing.self)
        guard event.type != "list.removed", listing.status == .active, listing.list != .keyAttention else {
            try db.execute(sql: "DELETE FROM public_listings WHERE listing_id = ?", arguments: [listing.id])
            return
        }
        let entry = PublicListing(
            listingID: listing.id, list: listing.list.rawValue, subject: Identifiers.maskForPublic(listing.subjectID),
            subjectName: listing.subjectName, initiator: listing.initiator.rawValue, basis: listing.basis,
            document: listing.document, start: listing.start, until: listing.until)
        try db.execute(
            sql: "INSERT OR REPLACE INTO public_listings(listing_id, subject_name, subject, list, until, data) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                entry.listingID, entry.subjectName, entry.subject, entry.list, entry.until,
                String(decoding: try WireCoding.encode(entry), as: UTF8.self),
            ])
    }
}

/// Follows repair: a record or listing is marked disputed from the filing of an objection to it until
/// its decision (Huzhou Joint Reward and Punishment Opinions, item 18: 异议标注).
struct DisputeApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        guard event.type == "objection.filed" || event.type == "objection.decided" else { return }
        let objection = try event.decodeData(Objection.self)
        if event.type == "objection.decided" {
            try db.execute(
                sql: "DELETE FROM disputes WHERE target_id = ? AND objection = ?", arguments: [objection.targetID, objection.id])
        } else {
            try db.execute(
                sql: "INSERT OR REPLACE INTO disputes(target_id, objection, since) VALUES (?, ?, ?)",
                arguments: [objection.targetID, objection.id, String(objection.filedAt.prefix(10))])
        }
    }
}

/// Queries for the portal: current entries only, optionally by name prefix or code.
public struct DisclosureQueries: Sendable {
    let reader: any DatabaseReader
    let today: @Sendable () -> String

    public func penalties(matching query: String?, limit: Int) async throws -> [PublicPenalty] {
        let (clause, arguments) = Self.filter(query)
        return try await reader.read { [today] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.data, d.objection, d.since FROM public_penalties p LEFT JOIN disputes d ON d.target_id = p.record_id
                    WHERE (p.publicity_end IS NULL OR p.publicity_end >= ?) \(clause) ORDER BY p.record_id DESC LIMIT ?
                    """,
                arguments: StatementArguments([today()]) + arguments + [limit]
            ).map { row in
                var entry = try WireCoding.decode(PublicPenalty.self, from: Array((row["data"] as String).utf8))
                entry.disputed = Self.dispute(row)
                return entry
            }
        }
    }

    public func listings(list: String, matching query: String?, limit: Int) async throws -> [PublicListing] {
        let (clause, arguments) = Self.filter(query)
        return try await reader.read { [today] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT p.data, d.objection, d.since FROM public_listings p LEFT JOIN disputes d ON d.target_id = p.listing_id
                    WHERE p.list = ? AND p.until >= ? \(clause) ORDER BY p.listing_id DESC LIMIT ?
                    """,
                arguments: StatementArguments([list, today()]) + arguments + [limit]
            ).map { row in
                var entry = try WireCoding.decode(PublicListing.self, from: Array((row["data"] as String).utf8))
                entry.disputed = Self.dispute(row)
                return entry
            }
        }
    }

    private static func dispute(_ row: Row) -> Dispute? {
        guard let objection = row["objection"] as String?, let since = row["since"] as String? else { return nil }
        return Dispute(objection: objection, since: since)
    }

    private static func filter(_ query: String?) -> (String, StatementArguments) {
        guard let query = query?.trimmingCharacters(in: .whitespaces), !query.isEmpty else { return ("", []) }
        let escaped = query.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
        return ("AND (p.subject_name LIKE ? OR p.subject = ?)", [escaped + "%", query.uppercased()])
    }
}
