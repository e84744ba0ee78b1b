import Bus
import Foundation
import GRDB

/// Opens a service's SQLite database: one file per service, WAL (a `DatabasePool`), the bus tables
/// migrated first, then the service's own migrations.
public enum ServiceDatabase {
    /// - Parameters:
    ///   - pageSize: the page size of a new database file (SQLite's default, 4 KiB, when nil). The
    ///     registry's archive rows are 1–3 KB: one to a 4 KiB page, seven to a 16 KiB one.
    ///   - writerCacheKiB: the writer connection's page cache (readers keep 16 MiB each).
    public static func open(
        path: String, pageSize: Int? = nil, writerCacheKiB: Int = 16_384, migrations: (inout DatabaseMigrator) -> Void
    ) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let checkpointer = WALCheckpointer.shared(for: path)
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a process crash with nothing lost; only an OS crash can lose
            // the last transactions, which catch-up then replays from the publisher.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Takes effect when the file is created; an existing database keeps its page size
            // (docs/OPERATIONS.md says how to convert one).
            if let pageSize { try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
            // 16 MiB of page cache per connection (the default is 2 MiB), more for a writer that
            // inserts into large indexes in no particular order (the registry's).
            try db.execute(sql: "PRAGMA cache_size = -\(db.configuration.readonly ? 16_384 : writerCacheKiB)")
            // Checkpoints run beside the writer, every ~32 MiB of WAL (`WALCheckpointer`), instead
            // of inside a commit every ~4 MB.
            try checkpointer.install(on: db)
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

    /// Every migration of a service's database in order: the bus tables, the audit log, then the
    /// service's own (tests migrate with it part of the way, to check a later migration).
    public static func migrator(_ migrations: (inout DatabaseMigrator) -> Void) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        BusSchema.register(in: &migrator)
        AuditSchema.register(in: &migrator)
        migrations(&migrator)
        return migrator
    }

    private static func migrate(_ writer: any DatabaseWriter, migrations: (inout DatabaseMigrator) -> Void) throws {
        try migrator(migrations).migrate(writer)
    }
}
