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

    @Test func checkpointsRunBesideTheWriterAndTheWALStartsOver() async throws {
        let (directory, path) = try Self.temporaryPath()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServiceDatabase.open(path: path, migrations: Self.blobs)
        let checkpointer = WALCheckpointer.shared(for: path)
        let chunk = Data(repeating: 0x5A, count: 1 << 20)
        let walPath = path + "-wal"
        var largestWAL = 0
        // 320 MiB in 1 MiB commits: were nothing checkpointed, the WAL would hold all of it (below
        // the 512 MiB at which a commit checkpoints inline).
        for round in 0..<320 {
            try await database.write { try $0.execute(sql: "INSERT INTO blobs(data) VALUES (?)", arguments: [chunk]) }
            let size = (try? FileManager.default.attributesOfItem(atPath: walPath))?[.size] as? Int ?? 0
            largestWAL = max(largestWAL, size)
            if round % 8 == 7 { try await Task.sleep(for: .milliseconds(20)) }  // a writer with work between commits
        }
        #expect(checkpointer.completedPasses > 0)
        #expect(largestWAL < 200 << 20, "the WAL reached \(largestWAL) bytes: it was never started over")
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blobs") } == 320)
        #expect(try await database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        try database.close()
        // Everything is in the database file once the last connection is gone.
        let reopened = try DatabaseQueue(path: path)
        #expect(try await reopened.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM blobs") } == 320)
    }
}
