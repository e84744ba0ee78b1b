import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// A record as the registry keeps and announces it (`record.stored` event data).
public struct StoredRecord: Codable, Sendable, Hashable {
    public var id: String
    /// The department that sent it (for a correction: the one that sent the latest version).
    public var source: String
    public var storedAt: String
    public var record: CreditRecord
    /// 1 for the first version; each correction adds one.
    public var version: Int?

    public init(id: String, source: String, storedAt: String, record: CreditRecord, version: Int? = nil) {
        self.id = id
        self.source = source
        self.storedAt = storedAt
        self.record = record
        self.version = version
    }
}

/// What storing one record did.
enum StoreOutcome: Equatable, Sendable {
    case stored(id: String)
    case alreadyPresent(id: String)
    case corrected(id: String, version: Int)
}

/// The registry's tables: subjects, records (keyed by natural key so re-imports add nothing; a
/// changed re-submission becomes a new version, the old ones kept in `record_versions`), the related
/// persons records name or departments register, and the legacy identifiers of subjects.
public enum RegistrySchema {
    /// 16 KiB pages for a new registry database: an archived record with its source fields was
    /// about 2 KB (1.8 KB since the archive writes each value once), one to a default 4 KiB page
    /// (half of it empty), seven to a 16 KiB one. Measured on the import benchmark (200,000 rows):
    /// 16.7k rows/s with 4 KiB pages, 22.0k with 8 KiB, 25.7k with 16 KiB; 12.5k and 15.5k when the
    /// subjects arrive in random order.
    public static let pageSize = 16_384

    /// 128 MiB of page cache for the registry's writer: a department's export names its subjects in
    /// no particular order, so a bulk import inserts all over the subject, person and name indexes;
    /// with 16 MiB most of those pages were read again for each batch. Measured on 600,000 rows with
    /// subjects in random order: 9.6k–10.7k rows/s with 16 MiB, 14.7k–14.8k with 128 MiB.
    public static let writerCacheKiB = 131_072

    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("registry-v1") { db in
            try db.create(table: "subjects") { t in
                t.primaryKey("id", .text)
                t.column("scheme", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("name", .text).notNull()
                t.column("updated_at", .text).notNull()
            }
            try db.create(table: "records") { t in
                t.primaryKey("id", .text)
                t.column("natural_key", .text).notNull().unique()
                t.column("kind", .text).notNull()
                t.column("subject_id", .text).notNull().indexed()
                t.column("source", .text).notNull()
                t.column("stored_at", .text).notNull()
                t.column("data", .text).notNull()
            }
            try db.create(table: "related_persons") { t in
                t.column("subject_id", .text).notNull().indexed()
                t.column("role", .text).notNull()
                t.column("name", .text).notNull()
                t.column("person_id", .text).indexed()
                t.column("record_id", .text).notNull()
                t.primaryKey(["subject_id", "role", "name", "record_id"])
            }
        }
        migrator.registerMigration("registry-v2-archive") { db in
            try db.alter(table: "records") { t in
                t.add(column: "version", .integer).notNull().defaults(to: 1)
                t.add(column: "updated_at", .text)
                t.add(column: "changed", .text)
            }
            // Superseded versions; the current one stays in `records`.
            try db.create(table: "record_versions") { t in
                t.column("record_id", .text).notNull()
                t.column("version", .integer).notNull()
                t.column("source", .text).notNull()
                t.column("stored_at", .text).notNull()
                t.column("changed", .text)
                t.column("data", .text).notNull()
                t.primaryKey(["record_id", "version"])
            }
            try db.alter(table: "related_persons") { t in
                t.add(column: "since", .text)
                t.add(column: "until", .text)
                t.add(column: "source", .text)
            }
            try db.create(index: "related_persons_name", on: "related_persons", columns: ["name"])
            try db.create(table: "subject_aliases") { t in
                t.column("scheme", .text).notNull()
                t.column("value", .text).notNull().indexed()
                t.column("subject_id", .text).notNull().indexed()
                t.column("source", .text).notNull()
                t.primaryKey(["scheme", "value", "subject_id"])
            }
            try db.create(index: "subjects_name", on: "subjects", columns: ["name"])
        }
        migrator.registerMigration("registry-v3-lean") { db in
            // The primary key (subject_id, role, name, record_id) already serves lookups by subject.
            try db.execute(sql: "DROP INDEX IF EXISTS related_persons_on_subject_id")
        }
        migrator.registerMigration("registry-v4-deferred-indexes") { db in
            // See `indexPending`: rows a bulk import adds wait as `pending` for a pass that indexes
            // them in bulk; rows already stored are indexed (pending NULL).
            try db.alter(table: "subjects") { t in t.add(column: "pending", .integer) }
            try db.alter(table: "related_persons") { t in t.add(column: "pending", .integer) }
            try db.execute(
                sql: """
                    DROP INDEX subjects_name;
                    CREATE INDEX subjects_name ON subjects(name) WHERE pending IS NULL;
                    CREATE INDEX subjects_pending ON subjects(pending) WHERE pending IS NOT NULL;
                    DROP INDEX related_persons_name;
                    CREATE INDEX related_persons_name ON related_persons(name) WHERE pending IS NULL;
                    DROP INDEX related_persons_on_person_id;
                    CREATE INDEX related_persons_person_id ON related_persons(person_id) WHERE pending IS NULL;
                    CREATE INDEX related_persons_pending ON related_persons(pending) WHERE pending IS NOT NULL;
                    """)
        }
        migrator.registerMigration("registry-v5-pending-by-rowid") { db in
            // Pending rows are found by rowid (`pendingAfterPass`) instead of the `…_pending`
            // indexes: every row waits past the rowid the last pass reached.
            try db.execute(
                sql: """
                    CREATE TABLE index_passes (table_name TEXT PRIMARY KEY NOT NULL, indexed_through INTEGER NOT NULL);
                    INSERT INTO index_passes VALUES
                        ('subjects', IFNULL((SELECT MIN(rowid) - 1 FROM subjects WHERE pending IS NOT NULL), (SELECT IFNULL(MAX(rowid), 0) FROM subjects))),
                        ('related_persons', IFNULL((SELECT MIN(rowid) - 1 FROM related_persons WHERE pending IS NOT NULL), (SELECT IFNULL(MAX(rowid), 0) FROM related_persons)));
                    DROP INDEX subjects_pending;
                    DROP INDEX related_persons_pending;
                    """)
        }
        // Records withdrawn as wrong: an objection to them was decided `revoked` (repair's stream).
        migrator.registerMigration("registry-v6-withdrawals") { db in
            try db.create(table: "withdrawals") { t in
                t.primaryKey("record_id", .text)
                t.column("objection", .text).notNull()
                t.column("decided_by", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("withdrawn_at", .text).notNull()
            }
        }
        // Records repaired (a repair application for them was approved) and records under objection
        // (marked disputed until the decision), both from repair's stream.
        migrator.registerMigration("registry-v7-repairs-disputes") { db in
            try db.create(table: "repairs") { t in
                t.primaryKey("record_id", .text)
                t.column("application", .text).notNull()
                t.column("decided_by", .text).notNull()
                t.column("note", .text)
                t.column("repaired_at", .text).notNull()
            }
            try db.create(table: "disputes") { t in
                t.primaryKey("record_id", .text)
                t.column("objection", .text).notNull()
                t.column("since", .text).notNull()
            }
        }
    }

    // MARK: - Deferred indexes

    /// When the registry indexes what imports left pending.
    public struct IndexPasses: Sendable {
        /// Rows stored between two passes during a long import: a query reads at most about this
        /// many pending rows (tens of milliseconds) beside the indexes, and a pass, which writes each
        /// page it touches in the three indexes once, runs every few seconds of a bulk load.
        public var rowsPerPass: Int
        /// How long the writer waits for another batch before it indexes what is pending.
        public var idleDelay: Duration

        public init(rowsPerPass: Int = 100_000, idleDelay: Duration = .seconds(1)) {
            self.rowsPerPass = rowsPerPass
            self.idleDelay = idleDelay
        }
    }

    /// Indexes what bulk imports left pending: the subjects' names and the related persons' ids
    /// and names, in one transaction. Returns the rows indexed.
    ///
    /// Names and resident ids arrive in no order, so an import that indexed them as it stored them
    /// rewrote 16 KiB leaf pages all over three indexes in every commit (measured, 300,000 rows
    /// without those three indexes: 6.4 KB written a row instead of 10.2, 29k–37k rows/s instead
    /// of 18k–22k). The import stores a new subject or related person with `pending = 1`, outside
    /// the partial indexes `subjects_name`, `related_persons_name` and `related_persons_person_id`.
    /// A pass moves every pending row into the real indexes at once, so each leaf is written once
    /// per pass instead of once per commit. Until then the queries that read those indexes also
    /// read the pending rows (`pendingAfterPass`), so nothing stored is ever missing from a search:
    /// a pass changes how fast a query is, not what it finds.
    ///
    /// Pending rows are found by rowid, not by an index: a table's rows are only ever added (none
    /// is deleted, so SQLite gives each new row the largest rowid yet, and `VACUUM` has no gaps to
    /// close), so every row a pass has not seen lies past the rowid it reached, which
    /// `index_passes` keeps. The `…_pending` indexes this replaced cost two more index inserts a
    /// row, and each pass rewrote them (import-stages writer, 150,000 rows, three interleaved pairs:
    /// 25.8 → 23.7 µs/row on average, 5.67 → 5.53 KB written a row).
    @discardableResult
    static func indexPending(_ db: Database) throws -> Int {
        var indexed = 0
        for table in deferredTables {
            try db.execute(sql: "UPDATE \(table) SET pending = NULL WHERE \(pendingAfterPass(table))")
            indexed += db.changesCount
            try db.execute(
                sql: "UPDATE index_passes SET indexed_through = (SELECT IFNULL(MAX(rowid), 0) FROM \(table)) WHERE table_name = ?",
                arguments: ["\(table)"])
        }
        return indexed
    }

    /// The tables whose imported rows wait for a pass.
    static let deferredTables: [StaticString] = ["subjects", "related_persons"]

    /// The SQL condition of a table's rows that wait for a pass (`subjects` or `related_persons`):
    /// past the last pass's rowid, and pending (rows added there by `subject.register` are indexed
    /// at once). A range of the table's own b-tree; the subquery runs once per statement.
    static func pendingAfterPass(_ table: StaticString) -> String {
        "rowid > (SELECT indexed_through FROM index_passes WHERE table_name = '\(table)') AND pending IS NOT NULL"
    }

    /// Rows not yet indexed by a pass.
    static func pendingRows(_ db: Database) throws -> Int {
        try Int.fetchOne(
            db,
            sql: "SELECT " + deferredTables.map { "(SELECT COUNT(*) FROM \($0) WHERE \(pendingAfterPass($0)))" }.joined(separator: " + ")
        ) ?? 0
    }

    // MARK: - Storing

    /// Stores a batch's records in the caller's transaction, in order: one `Batch` with its
    /// statements and next record number read once.
    static func store(_ records: [PreparedRecord], source: String, in db: Database, log: EventLog) throws -> [StoreOutcome] {
        var batch = try Batch(db: db, log: log, source: source)
        return try records.map { try batch.store($0) }
    }

    /// A record with its JSON written (UTF-8): the archive's (with the source fields) and the event's
    /// (without them). Made before the write transaction, so the writer only runs SQL.
    struct PreparedRecord: Sendable {
        let record: CreditRecord
        let naturalKey: String
        /// The archive's JSON and the event's, as UTF-8.
        let data: [UInt8]
        let eventRecord: [UInt8]

        init(_ record: CreditRecord) {
            self.record = record
            naturalKey = record.naturalKey
            (data, eventRecord) = RecordJSON.bytes(record)
        }
    }

    /// Stores the records of one import batch inside one transaction with cached statements, the
    /// next record number read once. Each new record commits with its `record.stored` event, each
    /// correction with a `record.corrected` event.
    struct Batch {
        let db: Database
        let log: EventLog
        let source: String
        let now = WireTime.now
        var nextNumber: Int64

        /// `,"source":…,"storedAt":…}`, the same for every event of the batch.
        let eventTail: [UInt8]
        /// The statements of every row, looked up once per batch (the statement cache hashes the SQL).
        let insertRecord: Statement
        let upsertSubject: Statement
        let insertRelatedPerson: Statement
        let insertAlias: Statement

        init(db: Database, log: EventLog, source: String) throws {
            self.db = db
            self.log = log
            self.source = source
            var tail = JSONWriter(capacity: 96)
            tail.raw(",\"source\":")
            tail.string(source)
            tail.raw(",\"storedAt\":")
            tail.string(now)
            tail.raw("}")
            eventTail = tail.bytes
            nextNumber = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT IFNULL(MAX(rowid), 0) FROM records")) ?? 0) + 1
            insertRecord = try db.cachedStatement(
                sql: """
                    INSERT INTO records(id, natural_key, kind, subject_id, source, stored_at, data, version, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) ON CONFLICT(natural_key) DO NOTHING
                    """)
            upsertSubject = try db.cachedStatement(
                sql: """
                    INSERT INTO subjects(id, scheme, kind, name, updated_at, pending) VALUES (?, ?, ?, ?, ?, 1)
                    ON CONFLICT(id) DO UPDATE SET name = excluded.name, kind = excluded.kind, updated_at = excluded.updated_at
                    """)
            insertRelatedPerson = try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO related_persons(subject_id, role, name, person_id, record_id, since, until, source, pending)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """)
            insertAlias = try db.cachedStatement(
                sql: "INSERT OR IGNORE INTO subject_aliases(scheme, value, subject_id, source) VALUES (?, ?, ?, ?)")
        }

        mutating func store(_ prepared: PreparedRecord) throws -> StoreOutcome {
            let record = prepared.record
            let id = RegistrySchema.recordID(nextNumber)
            // New natural keys (nearly all rows of a bulk load) take one statement; a key already
            // stored falls through to the comparison with what is there.
            let inserted = try insertRecord.run([
                .text(id), .text(prepared.naturalKey), .text(record.kind.rawValue), .text(record.subjectID), .text(source), .text(now),
                .utf8(prepared.data), .text(now),
            ])
            guard inserted > 0 else {
                guard
                    let existing = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT id, version, source, stored_at, changed, data FROM records WHERE natural_key = ?"),
                        arguments: [prepared.naturalKey])
                else { throw DatabaseError(message: "records: natural key \(prepared.naturalKey) conflicts but is not found") }
                return try correct(existing, with: record, data: prepared.data)
            }
            nextNumber += 1
            try noteSubject(of: record, recordID: id)
            try log.append(
                db, type: "record.stored", dataJSON: eventJSON(id: id, record: prepared.eventRecord),
                storedData: Array(#"{"ref":"\#(id)"}"#.utf8), id: "registry-\(id)")
            return .stored(id: id)
        }

        /// `record.stored` data: `{id, record, source, storedAt}`, keys sorted. Appended from JSON
        /// already written (ids are `R-` and digits, nothing to escape): on the writer's thread,
        /// where every microsecond of a bulk import is spent once per row.
        private func eventJSON(id: String, record: [UInt8]) -> [UInt8] {
            var json: [UInt8] = []
            json.reserveCapacity(record.count + eventTail.count + 32)
            json += #"{"id":""#.utf8
            json += id.utf8
            json += #"","record":"#.utf8
            json += record
            json += eventTail
            return json
        }

        /// A re-submission: nothing when identical, else version n+1 with the fields that changed.
        private mutating func correct(_ existing: Row, with record: CreditRecord, data: [UInt8]) throws -> StoreOutcome {
            let id: String = existing["id"]
            let oldData: String = existing["data"]
            if oldData.utf8.elementsEqual(data) { return .alreadyPresent(id: id) }
            let old = try RecordJSON.record(archived: Array(oldData.utf8))
            // Rows stored before this format was written by hand differ in text only.
            if old == record { return .alreadyPresent(id: id) }
            let version: Int = existing["version"]
            let changed = RegistrySchema.changedFields(from: old, to: record)
            let changedText = RecordJSON.text(.array(changed.map { .string($0) }))
            try db.cachedStatement(
                sql: "INSERT INTO record_versions(record_id, version, source, stored_at, changed, data) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                id, version, existing["source"] as String, existing["stored_at"] as String, existing["changed"] as String?, oldData,
            ])
            try db.cachedStatement(
                sql: "UPDATE records SET data = ?, version = ?, source = ?, stored_at = ?, updated_at = ?, changed = ? WHERE id = ?"
            ).run([.utf8(data), .int(Int64(version + 1)), .text(source), .text(now), .text(now), .text(changedText), .text(id)])
            try noteSubject(of: record, recordID: id)
            var event = Self.event(id: id, source: source, storedAt: now, record: RecordJSON.value(record), version: version + 1)
            if case .object(var object) = event {
                object["previousVersion"] = .int(Int64(version))
                object["changed"] = .array(changed.map { .string($0) })
                event = .object(object)
            }
            try log.append(db, type: "record.corrected", json: event, id: "registry-\(id)-v\(version + 1)")
            return .corrected(id: id, version: version + 1)
        }

        /// The subject, its related persons and aliases as this record names them.
        private func noteSubject(of record: CreditRecord, recordID: String) throws {
            try upsertSubject.run([
                .text(record.subjectID), .text(record.subjectScheme.rawValue), .text(record.subjectKind.rawValue),
                .text(record.subjectName), .text(now),
            ])
            for person in record.relatedPersons {
                try insertRelatedPerson.run([
                    .text(record.subjectID), .text(person.role.rawValue), .text(person.name), .optional(person.personID), .text(recordID),
                    .text(person.from ?? record.decisionDate), .optional(person.until), .text(source),
                ])
            }
            for alias in record.subjectAliases ?? [] {
                try insertAlias.run([.text(alias.scheme.rawValue), .text(alias.value), .text(record.subjectID), .text(source)])
            }
        }

        /// `record.stored` / `record.corrected` data: the stored record without its source fields
        /// (the archive keeps them; no subscriber reads them, and they are half of every event).
        static func event(id: String, source: String, storedAt: String, record: JSONValue, version: Int?) -> JSONValue {
            var record = record
            if case .object(var fields) = record {
                fields["sourceFields"] = .object([:])
                record = .object(fields)
            }
            var object: [String: JSONValue] = [
                "id": .string(id), "source": .string(source), "storedAt": .string(storedAt), "record": record,
            ]
            if let version { object["version"] = .int(Int64(version)) }
            return .object(object)
        }
    }

    /// A `record.stored` event as the log keeps it: `{"ref": record id}` — its data is the record's
    /// first version, which the archive holds (in `records` until a correction moves it to
    /// `record_versions`; records are never deleted), and a kilobyte a row repeated in the log was
    /// a quarter of what a bulk import wrote. Events stored in full (databases from before this)
    /// are returned as stored.
    static func expandStoredEvent(_ db: Database, _ stored: JSONValue) throws -> JSONValue {
        guard stored["record"] == nil, let id = stored["ref"]?.stringValue else { return stored }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT source, stored_at, data FROM records WHERE id = ?1 AND version = 1
                        UNION ALL SELECT source, stored_at, data FROM record_versions WHERE record_id = ?1 AND version = 1
                        """),
                arguments: [id])
        else {
            throw DatabaseError(
                message: "registry event log: record.stored refers to record \(id), whose first version is not in the archive")
        }
        let data: String = row["data"]
        let record = try RecordJSON.archived(Array(data.utf8))
        return Batch.event(id: id, source: row["source"], storedAt: row["stored_at"], record: record, version: nil)
    }

    /// `R-00000042`: eight digits at least, like the first records ever stored.
    static func recordID(_ number: Int64) -> String {
        let digits = String(number)
        return "R-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The names of the record fields (`sourceFields.X` for source fields) whose values differ.
    static func changedFields(from old: CreditRecord, to new: CreditRecord) -> [String] {
        guard case .object(let before) = RecordJSON.value(old), case .object(let after) = RecordJSON.value(new) else { return [] }
        var changed: [String] = []
        for key in Set(before.keys).union(after.keys).sorted() where key != "sourceFields" && before[key] != after[key] {
            changed.append(key)
        }
        for key in Set(old.sourceFields.keys).union(new.sourceFields.keys).sorted() where old.sourceFields[key] != new.sourceFields[key] {
            changed.append("sourceFields.\(key)")
        }
        return changed
    }

    // MARK: - Reading

    static func records(of subjectID: String, in db: Database) throws -> [StoredRecord] {
        try Row.fetchAll(
            db, sql: "SELECT id, source, stored_at, data, version FROM records WHERE subject_id = ? ORDER BY id", arguments: [subjectID]
        ).map(storedRecord)
    }

    static func storedRecord(_ row: Row) throws -> StoredRecord {
        let text: String = row["data"]
        return StoredRecord(
            id: row["id"], source: row["source"], storedAt: row["stored_at"],
            record: try RecordJSON.record(archived: Array(text.utf8)), version: row["version"])
    }
}
