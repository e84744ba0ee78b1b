import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit

/// What disclosure publishes and by which rules (`disclosure.*`, `publicity.*`, `names.*`,
/// docs/CONFIG.md).
public struct DisclosurePolicy: Sendable {
    /// Record kinds on the portal (default licences, penalties and commitments).
    public var recordKinds: Set<RecordKind>
    /// Lists on the portal (default black and red; key-attention listings are not public).
    public var lists: Set<ListType>
    /// How long a record stays public when its source gives no end.
    public var publicity: PublicityRules
    public var calendar: WorkingCalendar
    /// Working days from the decision within which a licence or penalty must be public (Shaanxi Plan
    /// 三(四)3: 7), and a commitment (Siyang Measures Art. 12: 3).
    public var deadlineWorkingDays: Int
    public var commitmentDeadlineWorkingDays: Int
    /// Department codes to the names a citizen knows (`names.<dept>`).
    public var names: [String: String]

    public init(
        recordKinds: Set<RecordKind> = [.licence, .penalty, .commitment], lists: Set<ListType> = [.black, .red],
        publicity: PublicityRules = PublicityRules(), calendar: WorkingCalendar = WorkingCalendar(), deadlineWorkingDays: Int = 7,
        commitmentDeadlineWorkingDays: Int = 3, names: [String: String] = [:]
    ) {
        self.recordKinds = recordKinds
        self.lists = lists
        self.publicity = publicity
        self.calendar = calendar
        self.deadlineWorkingDays = deadlineWorkingDays
        self.commitmentDeadlineWorkingDays = commitmentDeadlineWorkingDays
        self.names = names
    }

    /// A department's name, or its code when none is configured.
    public func name(of department: String) -> String { names[department] ?? department }

    /// The publication deadline of a record kind, in working days from its decision.
    func deadline(of kind: RecordKind) -> Int { kind == .commitment ? commitmentDeadlineWorkingDays : deadlineWorkingDays }
}

/// disclosure keeps only what may be shown: it masks identifiers on the way in, so nothing unmasked is
/// ever stored or served; natural persons are found by a keyed digest of their ID (`SubjectKeys`).
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
        // Records out of public view for good (withdrawn as wrong, or repaired: a later correction
        // does not bring one back) and records and listings under objection.
        migrator.registerMigration("disclosure-v2-unpublished") { db in
            try db.create(table: "unpublished") { t in
                t.primaryKey("record_id", .text)
                t.column("reason", .text).notNull()
            }
            try db.create(table: "disputes") { t in
                t.primaryKey("target_id", .text)
                t.column("objection", .text).notNull()
                t.column("since", .text).notNull()
            }
        }
        // The portal: licences, penalties and commitments with their publication times, subjects with
        // their keys and legacy codes, repair marks. Rebuilt from the registry and dispatch.
        migrator.registerMigration("disclosure-v3-portal") { db in
            try db.drop(table: "public_penalties")
            try db.drop(table: "public_listings")
            try db.create(table: "disclosure_secrets") { t in
                t.primaryKey("name", .text)
                t.column("value", .blob).notNull()
            }
            try db.execute(sql: "INSERT INTO disclosure_secrets(name, value) VALUES ('subject-key', randomblob(32))")
            // The Ed25519 key credit reports are signed with (its raw 32-byte seed).
            try db.execute(sql: "INSERT INTO disclosure_secrets(name, value) VALUES ('report-signing-key', randomblob(32))")
            try db.create(table: "reports") { t in
                t.primaryKey("number", .text)
                t.column("issued_on", .text).notNull().indexed()
                t.column("subject_key", .text).notNull()
                t.column("document", .text).notNull()
            }
            try db.create(table: "public_subjects") { t in
                t.primaryKey("key", .text)
                t.column("code", .text).notNull()
                t.column("name", .text).notNull()
                t.column("name_norm", .text).notNull().indexed()
                t.column("kind", .text).notNull()
            }
            try db.create(table: "public_aliases") { t in
                t.primaryKey("alias", .text)
                t.column("key", .text).notNull()
            }
            try db.create(table: "public_records") { t in
                t.primaryKey("record_id", .text)
                t.column("kind", .text).notNull()
                t.column("subject_key", .text).notNull()
                t.column("name_norm", .text).notNull().indexed()
                t.column("department", .text).notNull()
                t.column("decision_date", .text).notNull()
                t.column("received_on", .text).notNull()
                t.column("working_days", .integer).notNull()
                t.column("publicity_end", .text)
                t.column("data", .text).notNull()
            }
            try db.create(index: "public_records_by_subject", on: "public_records", columns: ["subject_key", "kind"])
            try db.create(index: "public_records_by_department", on: "public_records", columns: ["department", "kind"])
            try db.create(table: "public_listings") { t in
                t.primaryKey("listing_id", .text)
                t.column("subject_key", .text).notNull().indexed()
                t.column("name_norm", .text).notNull().indexed()
                t.column("list", .text).notNull()
                t.column("until", .text).notNull()
                t.column("data", .text).notNull()
            }
            try db.create(table: "repair_marks") { t in
                t.primaryKey("target_id", .text)
                t.column("application", .text).notNull()
                t.column("since", .text).notNull()
            }
            // Counted for the statistics: records received but not public (withdrawn, repaired, or
            // already past their window on arrival).
            try db.create(table: "not_public") { t in
                t.primaryKey("record_id", .text)
                t.column("department", .text).notNull()
                t.column("reason", .text).notNull()
            }
            try db.execute(sql: "DELETE FROM bus_checkpoints WHERE stream IN ('registry', 'dispatch')")
        }
        // Subject pages rendered when they change (`StoredPages`); every page is rendered once at the
        // first start (the fingerprint in `portal_state` is new).
        migrator.registerMigration("disclosure-v4-stored-pages") { db in
            try db.create(table: "subject_pages") { t in
                t.primaryKey("key", .text)
                t.column("fresh_until", .text).notNull().indexed()
                t.column("row_html", .text).notNull()
                t.column("title_html", .text).notNull()
                t.column("html_head", .text).notNull()
                t.column("html_tail", .text).notNull()
                t.column("json_head", .text).notNull()
                t.column("json_tail", .text).notNull()
            }
            try db.create(table: "pages_dirty") { t in t.primaryKey("key", .text) }
            try db.create(table: "portal_state") { t in
                t.primaryKey("name", .text)
                t.column("value", .text).notNull()
            }
        }
    }
}

/// Follows the registry: every record teaches the portal its subject (name, kind, code as shown, legacy
/// codes); licences, penalties and commitments become public entries until their publicity ends; a
/// correction replaces the entry with the current version; a withdrawn or repaired record leaves
/// public view for good.
struct RecordDisclosureApplier: StreamApplier {
    let keys: SubjectKeys
    let policy: DisclosurePolicy

    func apply(_ event: Event, in db: Database) throws {
        if event.type == "record.withdrawn" || event.type == "record.repaired", let id = event.data["id"]?.stringValue {
            // Withdrawn as wrong, or repaired (Shaanxi Plan 三(三)6: stop disclosing): out of public view at once.
            let reason = event.type == "record.withdrawn" ? "withdrawn" : "repaired"
            try StoredPages.touch(entry: id, in: db)
            try db.execute(sql: "INSERT OR IGNORE INTO unpublished(record_id, reason) VALUES (?, ?)", arguments: [id, reason])
            try notPublic(id, reason: reason, in: db)
            return
        }
        guard event.type == "record.stored" || event.type == "record.corrected" else { return }
        struct Stored: Decodable { var id: String; var source: String?; var record: CreditRecord }
        let stored = try event.decodeData(Stored.self)
        let record = stored.record
        let key = keys.key(for: record.subjectID)
        try learn(record, key: key, in: db)
        // The subject's page, and the page it was on before a correction moved it to another subject.
        try StoredPages.touch(entry: stored.id, subject: key, in: db)
        guard try !(Bool.fetchOne(db, sql: "SELECT 1 FROM unpublished WHERE record_id = ?", arguments: [stored.id]) ?? false),
            policy.recordKinds.contains(record.kind)
        else {
            // A correction may make a record a kind that is not published.
            try db.execute(sql: "DELETE FROM public_records WHERE record_id = ?", arguments: [stored.id])
            return
        }
        let end: String? =
            switch record.kind {
            case .licence: record.validUntil
            case .penalty: record.publicityEnd ?? policy.publicity.period(of: record).publicUntil
            default: record.publicityEnd
            }
        let department = stored.source ?? ""
        let receivedOn = String(event.at.prefix(10))
        let entry = PublicRecord(
            recordID: stored.id, kind: record.kind.rawValue, subject: Identifiers.maskForPublic(record.subjectID), subjectKey: key,
            subjectName: record.subjectName, subjectKind: record.subjectKind.rawValue, document: record.documentNumber,
            authority: record.authority, content: record.summary, category: record.category, decisionDate: record.decisionDate,
            validFrom: record.validFrom, publicityEnd: end, performance: record.performance?.rawValue)
        // The first receipt counts for timeliness; a correction keeps it.
        let received =
            try String.fetchOne(db, sql: "SELECT received_on FROM public_records WHERE record_id = ?", arguments: [stored.id])
            ?? receivedOn
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO public_records
                    (record_id, kind, subject_key, name_norm, department, decision_date, received_on, working_days, publicity_end, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                stored.id, record.kind.rawValue, key, SearchText.normalised(record.subjectName), department, record.decisionDate,
                received, policy.calendar.workingDays(after: record.decisionDate, through: received), end,
                String(decoding: try WireCoding.encode(entry), as: UTF8.self),
            ])
        if let end, end < receivedOn {
            try notPublic(stored.id, reason: "expired", department: department, in: db)
        } else {
            try db.execute(sql: "DELETE FROM not_public WHERE record_id = ?", arguments: [stored.id])
        }
    }

    /// Takes a record out of public view, counting it against its department.
    private func notPublic(_ id: String, reason: String, department: String? = nil, in db: Database) throws {
        let source =
            try department ?? String.fetchOne(db, sql: "SELECT department FROM public_records WHERE record_id = ?", arguments: [id])
        if reason != "expired" { try db.execute(sql: "DELETE FROM public_records WHERE record_id = ?", arguments: [id]) }
        guard let source else { return }
        try db.execute(
            sql: "INSERT OR REPLACE INTO not_public(record_id, department, reason) VALUES (?, ?, ?)", arguments: [id, source, reason])
    }

    /// Remembers the subject: its name and kind as the latest record gives them, its code as shown,
    /// and an organisation's legacy codes.
    private func learn(_ record: CreditRecord, key: String, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO public_subjects(key, code, name, name_norm, kind) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET name = excluded.name, name_norm = excluded.name_norm, kind = excluded.kind
                """,
            arguments: [
                key, Identifiers.maskForPublic(record.subjectID), record.subjectName, SearchText.normalised(record.subjectName),
                record.subjectKind.rawValue,
            ])
        guard !record.subjectKind.isNaturalPerson else { return }
        for alias in record.subjectAliases ?? [] {
            let text = SearchText.normalised(alias.value)
            // A legacy code that named another subject moves here: that subject's page lists it no more.
            if let previous = try String.fetchOne(db, sql: "SELECT key FROM public_aliases WHERE alias = ?", arguments: [text]),
                previous != key
            {
                try StoredPages.touch(previous, in: db)
            }
            try db.execute(sql: "INSERT OR REPLACE INTO public_aliases(alias, key) VALUES (?, ?)", arguments: [text, key])
        }
    }
}

/// Follows dispatch: black and red listings are published while active (as `disclosure.lists` says); a
/// removal (repair, revocation) takes them out of public view at once (Shaanxi Plan 三(三)6).
struct ListingDisclosureApplier: StreamApplier {
    let keys: SubjectKeys
    let policy: DisclosurePolicy

    /// The published listings are a copy of dispatch's: when dispatch went back (restored from a
    /// backup), they are dropped and replayed from its log.
    var supportsRebuild: Bool { true }

    func resetForRebuild(in db: Database) throws {
        try db.execute(sql: "DELETE FROM public_listings")
        try StoredPages.touchAll(in: db)
    }

    func apply(_ event: Event, in db: Database) throws {
        guard ["list.added", "list.removed", "list.extended", "list.updated"].contains(event.type) else { return }
        let listing = try event.decodeData(Listing.self)
        let published = event.type != "list.removed" && listing.status == .active && policy.lists.contains(listing.list)
        let key = keys.key(for: listing.subjectID)
        try StoredPages.touch(entry: listing.id, subject: published ? key : nil, in: db)
        guard published else {
            try db.execute(sql: "DELETE FROM public_listings WHERE listing_id = ?", arguments: [listing.id])
            return
        }
        let code = Identifiers.maskForPublic(listing.subjectID)
        try db.execute(
            sql: """
                INSERT INTO public_subjects(key, code, name, name_norm, kind) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(key) DO NOTHING
                """,
            arguments: [key, code, listing.subjectName, SearchText.normalised(listing.subjectName), listing.subjectKind.rawValue])
        let entry = PublicListing(
            listingID: listing.id, list: listing.list.rawValue, subject: code, subjectKey: key, subjectName: listing.subjectName,
            initiator: listing.initiator.rawValue, initiatorName: policy.name(of: listing.initiator.rawValue), basis: listing.basis,
            document: listing.document, start: listing.start, until: listing.until)
        try db.execute(
            sql: "INSERT OR REPLACE INTO public_listings(listing_id, subject_key, name_norm, list, until, data) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                entry.listingID, key, SearchText.normalised(listing.subjectName), entry.list, entry.until,
                String(decoding: try WireCoding.encode(entry), as: UTF8.self),
            ])
    }
}

/// Follows repair: a record or listing is marked disputed from the filing of an objection to it until
/// its decision (Huzhou Joint Reward and Punishment Opinions, item 18: 异议标注), and marked under repair
/// while a repair application for it is being decided.
struct MarkApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        switch event.type {
        case "objection.filed", "objection.decided":
            let objection = try event.decodeData(Objection.self)
            try StoredPages.touch(entry: objection.targetID, in: db)
            if event.type == "objection.decided" {
                try db.execute(
                    sql: "DELETE FROM disputes WHERE target_id = ? AND objection = ?", arguments: [objection.targetID, objection.id])
            } else {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO disputes(target_id, objection, since) VALUES (?, ?, ?)",
                    arguments: [objection.targetID, objection.id, String(objection.filedAt.prefix(10))])
            }
        case "repair.applied", "repair.accepted", "repair.approved", "repair.rejected":
            let application = try event.decodeData(RepairApplication.self)
            try StoredPages.touch(entry: application.target, in: db)
            if application.status.isOpen {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO repair_marks(target_id, application, since) VALUES (?, ?, ?)",
                    arguments: [application.target, application.id, String(application.appliedAt.prefix(10))])
            } else {
                try db.execute(
                    sql: "DELETE FROM repair_marks WHERE target_id = ? AND application = ?",
                    arguments: [application.target, application.id])
            }
        default:
            return
        }
    }
}

/// Publishes registry events into a disclosure database directly, in batches: what disclosure does
/// when it follows the registry, without the stream, then renders the pages. For benchmarks and bulk
/// loads into a database no disclosure process has open.
public enum DisclosureBulk {
    /// Opens (creating) the database at `path`, applies `events` (`record.stored` and the like) in
    /// transactions of `batch` and renders every subject's page (`StoredPages`).
    public static func publish(_ events: some Sequence<Event>, into path: String, policy: DisclosurePolicy, batch: Int = 10_000) throws {
        let database = try ServiceDatabase.open(path: path) { DisclosureSchema.register(in: &$0) }
        let keys = try database.read { try SubjectKeys.load(from: $0) }
        let applier = RecordDisclosureApplier(keys: keys, policy: policy)
        var pending: [Event] = []
        func flush() throws {
            try database.write { db in for event in pending { try applier.apply(event, in: db) } }
            pending.removeAll(keepingCapacity: true)
        }
        for event in events {
            pending.append(event)
            if pending.count == batch { try flush() }
        }
        try flush()
        let pages = StoredPages(writer: database, policy: policy, pages: try PortalPage(), today: { FieldDates.isoDate(Date()) })
        try pages.prepare()
        try pages.refreshAll()
    }
}
