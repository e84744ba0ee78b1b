import Foundation
import GRDB
import Testing

@testable import ServiceKit

/// A service's database file: the page size a new one gets, and checkpoints that run beside the
/// writer yet keep the WAL bounded and lose nothing.
@Suite struct ServiceDatabaseTests {
    static func temporaryPath() throws -> (URL, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("service-db-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, directory.appendingPathComponent("service.sqlite").path)
    }

    static func blobs(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("blobs") { db in
            try db.create(table: "blobs") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("data", .blob).notNull()
            }
        }
    }

    @Test func aNewDatabaseTakesThePageSizeAndAnExistingOneKeepsItsOwn() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fresh = try ServiceDatabase.open(path: path, pageSize: 16_384, migrations: Self.blobs)
        #expect(try fresh.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 16_384)
        try fresh.close()

        let otherPath = directory.appendingPathComponent("old.sqlite").path
        let old = try ServiceDatabase.open(path: otherPath, migrations: Self.blobs)
        try old.write { try $0.execute(sql: "INSERT INTO blobs(data) VALUES (x'01')") }
        try old.close()
        let reopened = try ServiceDatabase.open(path: otherPath, pageSize: 16_384, migrations: Self.blobs)
        #expect(try reopened.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } == 4_096)
        #expect(try reopened.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blobs") } == 1)
        try reopened.close()
    }

    @Test func theWriterTakesItsOwnPageCacheAndReadersTheDefault() throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServiceDatabase.open(path: path, writerCacheKiB: 65_536, migrations: Self.blobs)
        #expect(try database.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -65_536)
        #expect(try database.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -16_384)
        try database.close()
    }

    /// The WAL header's checkpoint sequence number (bytes 12–15, big-endian): SQLite adds one each
    /// time the WAL starts over from its beginning.
    static func walRestarts(_ walPath: String) throws -> UInt32 {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: walPath))
        defer { try? handle.close() }
        let header = try handle.read(upToCount: 16) ?? Data()
        guard header.count == 16 else { return 0 }
        return header[12..<16].reduce(0) { $0 << 8 | UInt32($1) }
    }

    @Test func checkpointsRunBesideTheWriterAndTheWALStartsOver() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServiceDatabase.open(path: path, migrations: Self.blobs)
        let checkpointer = WALCheckpointer.shared(for: path)
        let chunk = Data(repeating: 0x5A, count: 1 << 20)
        let walPath = path + "-wal"
        // 160 MiB in 1 MiB commits, five times the WAL size at which background passes start.
        for _ in 0..<160 {
            try await database.write { try $0.execute(sql: "INSERT INTO blobs(data) VALUES (?)", arguments: [chunk]) }
        }
        let afterLoad = try Self.walRestarts(walPath)
        // However far the passes fell behind a writer this fast (on a loaded machine, far), small
        // commits once it slows down copy the rest and the WAL starts over.
        // A loaded machine (the whole suite runs in parallel) can take many seconds per pass: fsyncs.
        // In clean-clone CI runs this test took 85 s once and ran out of a 90 s wait once (7 passes
        // done, 95 MB of WAL): it checks that the WAL starts over, not how fast, so it waits 240 s.
        var restarts = afterLoad
        let deadline = ContinuousClock.now + .seconds(240)
        while restarts == afterLoad, ContinuousClock.now < deadline {
            try await database.write { try $0.execute(sql: "INSERT INTO blobs(data) VALUES (x'01')") }
            try await Task.sleep(for: .milliseconds(50))
            restarts = try Self.walRestarts(walPath)
        }
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int) ?? -1
        #expect(restarts > afterLoad, "the WAL never started over: \(checkpointer.diagnosis), WAL \(walBytes) bytes")
        #expect(checkpointer.completedPasses > 0)  // not SQLite's own checkpoint: ours, beside the writer
        let count = try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blobs") } ?? 0
        #expect(try await database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        try database.close()
        // Everything is in the database file once the last connection is gone.
        let reopened = try DatabaseQueue(path: path)
        #expect(try await reopened.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blobs") } == count)
        #expect(count >= 161)
    }
}
