import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// A record as the registry keeps and announces it (`record.stored` event data).
public struct StoredRecord: Codable, Sendable, Hashable {
    public var id: String
    /// The department that sent it.
    public var source: String
    public var storedAt: String
    public var record: CreditRecord

    public init(id: String, source: String, storedAt: String, record: CreditRecord) {
        self.id = id
        self.source = source
        self.storedAt = storedAt
        self.record = record
    }
}

/// The registry's tables: subjects, records (keyed by natural key so re-imports add nothing) and
/// the related persons the records name.
public enum RegistrySchema {
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
    }

    /// Stores a record unless one with the same natural key exists. Returns the stored record, or
    /// nil when it was already present. The `record.stored` event commits with it.
    static func store(_ record: CreditRecord, source: String, in db: Database, log: EventLog) throws -> StoredRecord? {
        let exists = try Bool.fetchOne(
            db, sql: "SELECT 1 FROM records WHERE natural_key = ?", arguments: [record.naturalKey]) ?? false
        guard !exists else { return nil }
        let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(rowid), 0) FROM records") ?? 0) + 1
        let stored = StoredRecord(
            id: String(format: "R-%08lld", number), source: source, storedAt: WireTime.now, record: record)
        let data = String(decoding: try WireCoding.encode(record), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT INTO records(id, natural_key, kind, subject_id, source, stored_at, data)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [stored.id, record.naturalKey, record.kind.rawValue, record.subjectID, source, stored.storedAt, data])
        try db.execute(
            sql: """
                INSERT INTO subjects(id, scheme, kind, name, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
                """,
            arguments: [record.subjectID, record.subjectScheme.rawValue, record.subjectKind.rawValue, record.subjectName, stored.storedAt])
        for person in record.relatedPersons {
            try db.execute(
                sql: "INSERT OR IGNORE INTO related_persons(subject_id, role, name, person_id, record_id) VALUES (?, ?, ?, ?, ?)",
                arguments: [record.subjectID, person.role.rawValue, person.name, person.personID, stored.id])
        }
        try log.append(db, type: "record.stored", data: stored, id: "registry-\(stored.id)")
        return stored
    }

    static func records(of subjectID: String, in db: Database) throws -> [StoredRecord] {
        try Row.fetchAll(
            db, sql: "SELECT id, source, stored_at, data FROM records WHERE subject_id = ? ORDER BY id", arguments: [subjectID]
        ).map { row in
            let text: String = row["data"]
            return StoredRecord(
                id: row["id"], source: row["source"], storedAt: row["stored_at"],
                record: try WireCoding.decode(CreditRecord.self, from: Array(text.utf8)))
        }
    }
}
