import Bus
import Foundation
import GRDB

/// Opens a service's SQLite database: one file per service, WAL (a `DatabasePool`), the bus tables
/// migrated first, then the service's own migrations.
public enum ServiceDatabase {
    public static func open(path: String, migrations: (inout DatabaseMigrator) -> Void) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a process crash with nothing lost; only an OS crash can lose
            // the last transactions, which catch-up then replays from the publisher.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 16 MiB of page cache per connection (the default is 2 MiB): bulk imports touch many
            // index pages per batch.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // Checkpoint every ~40 MB of WAL instead of ~4 MB: an index page rewritten by many
            // commits is copied to the database file once per checkpoint.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 10000")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try migrate(pool, migrations: migrations)
        return pool
    }

    /// An in-memory database with the same schema, for tests.
    public static func inMemory(migrations: (inout DatabaseMigrator) -> Void) throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try migrate(queue, migrations: migrations)
        return queue
    }

    private static func migrate(_ writer: any DatabaseWriter, migrations: (inout DatabaseMigrator) -> Void) throws {
        var migrator = DatabaseMigrator()
        BusSchema.register(in: &migrator)
        AuditSchema.register(in: &migrator)
        migrations(&migrator)
        try migrator.migrate(writer)
    }
}
