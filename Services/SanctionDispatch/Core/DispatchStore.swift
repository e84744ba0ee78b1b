import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// sanction-dispatch's tables: listings (black, key-attention, red), the measure catalogue versions,
/// subjects known from the registry, and the feedback departments send.
public enum DispatchSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("dispatch-v1") { db in
            try db.create(table: "listings") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("subject_id", .text).notNull().indexed()
                t.column("list", .text).notNull()
                t.column("initiator", .text).notNull()
                t.column("status", .text).notNull()
                t.column("source_record", .text).unique()
                t.column("data", .text).notNull()
                t.column("updated_at", .text).notNull()
            }
            try db.create(table: "catalogue_versions") { t in
                t.primaryKey("version", .text)
                t.column("data", .text).notNull()
                t.column("loaded_at", .text).notNull()
            }
            try db.create(table: "known_subjects") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
            }
            try db.create(table: "feedback") { t in
                t.primaryKey("id", .text)
                t.column("department", .text).notNull().indexed()
                t.column("listing_id", .text).notNull().indexed()
                t.column("measure_id", .text)
                t.column("action", .text).notNull()
                t.column("subject_id", .text).notNull()
                t.column("decision", .text).notNull()
                t.column("decided_at", .text).notNull()
                t.column("received_at", .text).notNull()
            }
        }
        migrator.registerMigration("dispatch-v2-related-acks") { db in
            try db.create(table: "related_persons") { t in
                t.column("subject_id", .text).notNull().indexed()
                t.column("role", .text).notNull()
                t.column("name", .text).notNull()
                t.column("person_id", .text)
                t.primaryKey(["subject_id", "role", "name"])
            }
            // Responses (响应): an interceptor's acknowledgement of each listing or lift it applied,
            // or of a whole snapshot up to a seq.
            try db.create(table: "acks") { t in
                t.primaryKey("event_id", .text)
                t.column("department", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("listing_id", .text)
                t.column("dispatch_seq", .integer).notNull()
                t.column("acked_at", .text).notNull()
                t.column("latency_seconds", .double)
            }
            try db.create(index: "acks_by_department", on: "acks", columns: ["department", "kind", "dispatch_seq"])
            try db.create(index: "events_by_type", on: "bus_events", columns: ["type", "seq"])
        }
        // An operator pages through a list or an initiator's listings (list.find).
        migrator.registerMigration("dispatch-v3-listing-pages") { db in
            try db.create(index: "listings_by_list", on: "listings", columns: ["list", "status", "number"])
            try db.create(index: "listings_by_initiator", on: "listings", columns: ["initiator", "status", "number"])
        }
        // Objections as repair announces them, for the compliance report's deadlines.
        migrator.registerMigration("dispatch-v4-objections") { db in
            try db.create(table: "objections") { t in
                t.primaryKey("id", .text)
                t.column("decider", .text).notNull()
                t.column("status", .text).notNull()
                t.column("acknowledge_by", .text).notNull()
                t.column("decide_by", .text).notNull()
            }
        }
        // Repair applications' deadlines, followed from repair, for the compliance report.
        migrator.registerMigration("dispatch-v5-repairs") { db in
            try db.create(table: "repairs") { t in
                t.primaryKey("id", .text)
                t.column("decider", .text).notNull()
                t.column("status", .text).notNull()
                t.column("accept_by", .text).notNull()
                t.column("decide_by", .text).notNull()
            }
            // Each listing's notice code: the subject gets it with the notice (告知书) and reads the notice
            // on the portal with it.
            try db.create(table: "notice_codes") { t in
                t.primaryKey("listing_id", .text)
                t.column("code", .text).notNull()
            }
        }
        // Measures by rule (RuleMeasures): reminders and interview notices, proposals, the grades grading
        // announces, and each subject's record history for the red-list rule.
        migrator.registerMigration("dispatch-v6-measure-rules") { db in
            try db.create(table: "reminders") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("record_id", .text).notNull().unique()
                t.column("subject_id", .text).notNull().indexed()
                t.column("code", .text).notNull()
                t.column("data", .text).notNull()
            }
            try db.create(table: "proposals") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("subject_id", .text).notNull().indexed()
                t.column("list", .text).notNull()
                t.column("decider", .text).notNull()
                t.column("status", .text).notNull()
                t.column("source_record", .text).unique()
                t.column("data", .text).notNull()
            }
            try db.create(index: "proposals_by_status", on: "proposals", columns: ["status", "decider", "number"])
            try db.create(table: "subject_grades") { t in
                t.primaryKey("subject_id", .text)
                t.column("grade", .text).notNull()
                t.column("score", .integer).notNull()
                t.column("name", .text).notNull()
                t.column("model", .text)
            }
            try db.create(index: "subject_grades_by_grade", on: "subject_grades", columns: ["grade"])
            try db.create(table: "subject_history") { t in
                t.primaryKey("subject_id", .text)
                t.column("first_record", .text).notNull()
                t.column("last_negative", .text)
            }
            try db.create(table: "dispatch_meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
            // The registry stream is read again from its start to learn each subject's record history; rules
            // apply only to records stored after this point (RuleMeasures.appliesFrom), never to old ones.
            let seen = try Int64.fetchOne(db, sql: "SELECT seq FROM bus_checkpoints WHERE stream = 'registry'") ?? 0
            try db.execute(
                sql: "INSERT INTO dispatch_meta(key, value) VALUES ('rules.afterRegistrySeq', ?)", arguments: [String(seen)])
            try db.execute(sql: "DELETE FROM bus_checkpoints WHERE stream = 'registry'")
        }
        // The scheduler asks every minute which active listings' terms have ended: an index on the
        // stored `until` answers that without reading (and decoding) every active listing.
        migrator.registerMigration("dispatch-v7-active-until") { db in
            try db.execute(
                sql: "CREATE INDEX listings_active_until ON listings(json_extract(data, '$.until')) WHERE status = 'active'")
        }
        // Protocol 1.3: feedback is announced on a stream of its own, `feedback`, which interceptors do
        // not follow. Its log starts with every feedback.recorded the dispatch stream announced before,
        // in their order, with their ids, times and data, so that a follower of `feedback` sees all the
        // feedback ever recorded. They stay on the dispatch stream too, where followers skip them.
        migrator.registerMigration("dispatch-v8-feedback-stream") { db in
            try BusSchema.createEventTable("feedback_events", in: db)
            try db.execute(
                sql: """
                    INSERT INTO feedback_events(seq, id, type, at, data)
                    SELECT ROW_NUMBER() OVER (ORDER BY seq), id, type, at, data FROM bus_events
                    WHERE type = 'feedback.recorded' ORDER BY seq
                    """)
            // A reader of feedback on the dispatch stream (a department's own tool) learns where it went:
            // one `feedback.moved` event, which every follower skips like any type it does not know.
            guard let moved = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM feedback_events"), moved > 0 else { return }
            let seq = (try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM bus_events") ?? 0) + 1
            try db.execute(
                sql: "INSERT INTO bus_events(seq, id, type, at, data) VALUES (?, ?, 'feedback.moved', ?, ?)",
                arguments: [
                    seq, "dispatch-\(seq)", WireTime.now,
                    #"{"events":\#(moved),"revision":"1.3","stream":"feedback","type":"feedback.recorded"}"#,
                ])
        }
        // The day each objection and repair application was decided, for the department assessment
        // (decisions followed before this migration have none and are not counted in a period).
        migrator.registerMigration("dispatch-v9-decided-at") { db in
            try db.alter(table: "objections") { $0.add(column: "decided_at", .text) }
            try db.alter(table: "repairs") { $0.add(column: "decided_at", .text) }
        }
    }
}

/// Reads and writes listings; every change appends its event in the same transaction.
public struct ListingStore: Sendable {
    let log: EventLog

    public init(log: EventLog) { self.log = log }

    public func add(_ draft: Listing, in db: Database) throws -> Listing {
        let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM listings") ?? 0) + 1
        var listing = draft
        listing.id = String(format: draft.list == .grade ? "G-%06lld" : "L-%06lld", number)
        try db.execute(
            sql: """
                INSERT INTO listings(id, number, subject_id, list, initiator, status, source_record, data, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                listing.id, number, listing.subjectID, listing.list.rawValue, listing.initiator.rawValue,
                listing.status.rawValue, listing.sourceRecord, try Self.text(listing), WireTime.now,
            ])
        // A pending listing is announced (the subject is notified) but not pushed for enforcement.
        let type = Self.announcement(listing.status == .pending ? "list.pending" : "list.added", of: listing)
        try log.append(db, type: type, data: listing)
        try Self.audit(listing, type, in: db)
        return listing
    }

    /// Rewrites a listing and announces it with `type` (`list.added` when a pending listing takes
    /// effect, `list.extended`, `list.objected`).
    @discardableResult
    public func update(_ listing: Listing, announce listType: String, in db: Database) throws -> Listing {
        let type = Self.announcement(listType, of: listing)
        try db.execute(
            sql: "UPDATE listings SET status = ?, data = ?, updated_at = ? WHERE id = ?",
            arguments: [listing.status.rawValue, try Self.text(listing), WireTime.now, listing.id])
        try log.append(db, type: type, data: listing)
        try Self.audit(listing, type, in: db)
        return listing
    }

    /// Every listing change goes into the audit chain with the change it records.
    static func audit(_ listing: Listing, _ type: String, in db: Database) throws {
        try AuditLog.append(
            db, actor: listing.initiator.rawValue, action: type, subject: listing.subjectID,
            detail: .object([
                "listing": .string(listing.id), "list": .string(listing.list.rawValue), "status": .string(listing.status.rawValue),
                "until": .string(listing.until), "reason": listing.removalReason.map { .string($0) } ?? .null,
            ]))
    }

    /// Listings in a state, in number order.
    /// Active listings whose term ended before `day` (yyyy-MM-dd), from `listings_active_until`.
    func activeListings(endingBefore day: String, in db: Database) throws -> [Listing] {
        try Row.fetchAll(
            db, sql: "SELECT number, data FROM listings WHERE status = 'active' AND json_extract(data, '$.until') < ?",
            arguments: [day]
        ).sorted { ($0[0] as Int64) < ($1[0] as Int64) }.map { try Self.decode($0[1]) }
    }

    func listings(status: Listing.Status, in db: Database) throws -> [Listing] {
        try String.fetchAll(db, sql: "SELECT data FROM listings WHERE status = ? ORDER BY number", arguments: [status.rawValue])
            .map(Self.decode)
    }

    /// The related persons the registry has named for a subject.
    func relatedPersons(of subject: String, in db: Database) throws -> [RelatedPerson] {
        try Row.fetchAll(
            db, sql: "SELECT role, name, person_id FROM related_persons WHERE subject_id = ? ORDER BY role, name", arguments: [subject]
        ).compactMap { row in
            guard let role = RelatedPerson.Role(rawValue: row["role"]) else { return nil }
            return RelatedPerson(role: role, name: row["name"], personID: row["person_id"])
        }
    }

    func remove(_ id: String, reason: String, in db: Database) throws -> Listing? {
        guard var listing = try get(id, in: db), listing.status != .removed else { return nil }
        listing.status = .removed
        listing.removalReason = reason
        try db.execute(
            sql: "UPDATE listings SET status = ?, data = ?, updated_at = ? WHERE id = ?",
            arguments: [listing.status.rawValue, try Self.text(listing), WireTime.now, id])
        let type = Self.announcement("list.removed", of: listing)
        try log.append(db, type: type, data: listing)
        try Self.audit(listing, type, in: db)
        return listing
    }

    /// The event type announcing a change: `list.*`, or `grade.*` for a grade listing, which interceptors
    /// that predate grade measures pass by (PROTOCOL.md, 8.3).
    static func announcement(_ type: String, of listing: Listing) -> String {
        listing.list == .grade && type.hasPrefix("list.") ? "grade." + type.dropFirst("list.".count) : type
    }

    func get(_ id: String, in db: Database) throws -> Listing? {
        try String.fetchOne(db, sql: "SELECT data FROM listings WHERE id = ?", arguments: [id]).map(Self.decode)
    }

    func active(subject: String, in db: Database) throws -> [Listing] {
        try String.fetchAll(
            db, sql: "SELECT data FROM listings WHERE subject_id = ? AND status = 'active' ORDER BY number", arguments: [subject]
        ).map(Self.decode)
    }

    /// Listings of a subject that are in force or about to be (pending).
    func current(subject: String, in db: Database) throws -> [Listing] {
        try String.fetchAll(
            db, sql: "SELECT data FROM listings WHERE subject_id = ? AND status IN ('active', 'pending') ORDER BY number",
            arguments: [subject]
        ).map(Self.decode)
    }

    func bySourceRecord(_ record: String, in db: Database) throws -> Listing? {
        try String.fetchOne(db, sql: "SELECT data FROM listings WHERE source_record = ?", arguments: [record]).map(Self.decode)
    }

    /// The stored text of each active listing after `cursor` (listing number), in order, at most `limit`.
    func activeTexts(after cursor: Int64, limit: Int, in db: Database, _ body: (Int64, String, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT number, list, data FROM listings WHERE status = 'active' AND number > ? ORDER BY number LIMIT ?",
            arguments: [cursor, limit])
        while let row = try rows.next() { try body(row[0], row[1], row[2]) }
    }

    /// The stored text of each active listing numbered after `cursor` up to `through`, in order.
    func activeTexts(after cursor: Int64, through: Int64, in db: Database, _ body: (Int64, String, String) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db, sql: "SELECT number, list, data FROM listings WHERE number > ? AND number <= ? AND status = 'active' ORDER BY number",
            arguments: [cursor, through])
        while let row = try rows.next() { try body(row[0], row[1], row[2]) }
    }

    /// How many listings are active.
    func activeCount(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM listings WHERE status = 'active'") ?? 0
    }

    /// The highest listing number given so far (0 for none).
    func highestNumber(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(number) FROM listings") ?? 0
    }

    static func text(_ listing: Listing) throws -> String {
        String(decoding: try WireCoding.encode(listing), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> Listing {
        try WireCoding.decode(Listing.self, from: Array(text.utf8))
    }
}

/// Catalogue versions: the one in force is the last loaded. A version names one content for good:
/// interceptors, feedback and the audit trail cite measures by catalogue version, so a changed
/// catalogue must carry a new version.
public enum CatalogueStore {
    public static func current(in db: Database) throws -> MeasureCatalogue? {
        try currentText(in: db).map { try WireCoding.decode(MeasureCatalogue.self, from: Array($0.utf8)) }
    }

    /// The stored JSON of the catalogue in force.
    public static func currentText(in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT data FROM catalogue_versions ORDER BY loaded_at DESC, rowid DESC LIMIT 1")
    }

    /// Stores and announces `catalogue` unless the same content is already in force. Returns whether
    /// it changed. Loading an earlier version again with its same content puts it back in force.
    ///
    /// - Throws: `CatalogueVersionConflict` when the version was loaded before with other content
    ///   (nothing is stored or announced).
    public static func install(_ catalogue: MeasureCatalogue, in db: Database, log: EventLog) throws -> Bool {
        let current = try current(in: db)
        if let current, current == catalogue { return false }
        if let stored = try Row.fetchOne(
            db, sql: "SELECT data, loaded_at FROM catalogue_versions WHERE version = ?", arguments: [catalogue.version])
        {
            let data: String = stored["data"]
            if try WireCoding.decode(MeasureCatalogue.self, from: Array(data.utf8)) != catalogue {
                throw CatalogueVersionConflict(
                    version: catalogue.version, loadedAt: stored["loaded_at"], inForce: current?.version == catalogue.version)
            }
        }
        let data = String(decoding: try WireCoding.encode(catalogue), as: UTF8.self)
        try db.execute(
            sql: "INSERT OR REPLACE INTO catalogue_versions(version, data, loaded_at) VALUES (?, ?, ?)",
            arguments: [catalogue.version, data, WireTime.now])
        try log.append(db, type: "catalogue.loaded", data: catalogue)
        return true
    }
}

/// A catalogue whose version was loaded before with different content.
public struct CatalogueVersionConflict: Error, Sendable, Equatable, CustomStringConvertible {
    public var version: String
    public var loadedAt: String
    /// Whether the version with the other content is the one in force.
    public var inForce: Bool

    public var description: String {
        let when = inForce ? "is in force (loaded \(loadedAt))" : "was loaded before (\(loadedAt))"
        return "catalogue version \(version) \(when) with different measures; a changed catalogue needs a new "
            + "version: raise version: in the catalogue file (e.g. \(Self.suggestedNext(after: version))) and load it again"
    }

    /// The version after `version` when it ends in a number (`2026.2` → `2026.3`), else `version` + `.1`.
    static func suggestedNext(after version: String) -> String {
        let digits = version.reversed().prefix(while: \.isASCII).prefix(while: \.isNumber)
        guard !digits.isEmpty, let number = Int(String(digits.reversed())) else { return version + ".1" }
        return String(version.dropLast(digits.count)) + String(number + 1)
    }
}
