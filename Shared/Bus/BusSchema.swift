import GRDB
import MeshProtocol

/// The tables every service's database has for the bus: its own event log (the outbox), the last
/// seq applied from each stream it follows, and how far each outbox forwarder has been acknowledged.
public enum BusSchema {
    /// Registers the bus migrations. Call before the service's own migrations.
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("bus-v1") { db in
            try createEventTable("bus_events", in: db)
            try db.create(table: "bus_checkpoints") { t in
                t.primaryKey("stream", .text)
                t.column("seq", .integer).notNull()
                t.column("updated_at", .text).notNull()
            }
            try db.create(table: "bus_forward_positions") { t in
                t.primaryKey("target", .text)
                t.column("seq", .integer).notNull()
                t.column("updated_at", .text).notNull()
            }
            try db.create(table: "bus_dead_letters") { t in
                t.column("stream", .text).notNull()
                t.column("seq", .integer).notNull()
                t.column("event", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("at", .text).notNull()
                t.primaryKey(["stream", "seq"])
            }
        }
        // The event a checkpoint was applied from, so that a follower notices when its publisher's
        // history was replaced (a restore from a backup) even after the publisher's head passed it again.
        migrator.registerMigration("bus-v2-checkpoint-anchors") { db in
            try db.alter(table: "bus_checkpoints") { t in
                t.add(column: "event_id", .text)
                t.add(column: "event_at", .text)
            }
        }
    }

    /// Creates an event log's table (`EventLog.table`): the service's own `bus_events`, or the table
    /// of a further stream the service publishes.
    public static func createEventTable(_ name: String, in db: Database) throws {
        try db.create(table: name) { t in
            t.primaryKey("seq", .integer)
            t.column("id", .text).notNull().unique()
            t.column("type", .text).notNull()
            t.column("at", .text).notNull()
            t.column("data", .text).notNull()
        }
    }
}

/// The last seq applied per followed stream, kept in the follower's own database so that applying an
/// event and remembering it commit together.
public enum Checkpoints {
    public static func applied(_ db: Database, stream: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM bus_checkpoints WHERE stream = ?"), arguments: [stream]) ?? 0
    }

    /// Records `seq` as applied; `anchor` is the event at that seq when it was applied from one (nil
    /// after a snapshot, which reflects a seq without carrying its event).
    public static func set(_ db: Database, stream: String, seq: Int64, anchor: EventAnchor? = nil) throws {
        // Cached: every batch a follower applies ends here.
        try db.cachedStatement(
            sql: """
                INSERT INTO bus_checkpoints(stream, seq, updated_at, event_id, event_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(stream) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at,
                    event_id = excluded.event_id, event_at = excluded.event_at
                """
        ).execute(arguments: [stream, seq, WireTimeNow.text(), anchor?.id, anchor?.at])
    }

    /// The event the checkpoint of `stream` was applied from, when known.
    public static func anchor(_ db: Database, stream: String) throws -> EventAnchor? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT seq, event_id, event_at FROM bus_checkpoints WHERE stream = ?", arguments: [stream]),
            let id = row["event_id"] as String?, let at = row["event_at"] as String?
        else { return nil }
        return EventAnchor(seq: row["seq"], id: id, at: at)
    }

    public static func all(_ db: Database) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT stream, seq FROM bus_checkpoints") {
            result[row["stream"]] = row["seq"]
        }
        return result
    }
}
