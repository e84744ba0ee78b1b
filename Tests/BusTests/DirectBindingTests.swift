import Bus
import Foundation
import GRDB
import Testing

/// `Statement.run(_:)` binds through SQLite's C API what `execute(arguments:)` binds through GRDB:
/// the same values come back, constraint failures are errors, and a statement runs again after one.
@Suite struct DirectBindingTests {
    static func database() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT, raw TEXT)")
        }
        return queue
    }

    @Test func valuesRoundTripAsGRDBWouldBindThem() throws {
        let queue = try Self.database()
        let texts = ["plain", "", "杭州市市场监督管理局〔2025〕1号", "emoji 🧾 and é", "nul \u{00} inside", String(repeating: "长", count: 5_000)]
        try queue.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO t(id, n, note, raw) VALUES (?, ?, ?, ?)")
            for (index, text) in texts.enumerated() {
                let changed = try statement.run([
                    .text("k\(index)"), .int(Int64(index) - 3), .optional(index.isMultiple(of: 2) ? text : nil), .utf8(Array(text.utf8)),
                ])
                #expect(changed == 1)
            }
        }
        try queue.read { db in
            for (index, text) in texts.enumerated() {
                // Compared as bytes: GRDB reads text up to a NUL.
                let row = try #require(
                    try Row.fetchOne(
                        db, sql: "SELECT n, CAST(note AS BLOB) AS note, CAST(raw AS BLOB) AS raw, typeof(raw) AS type FROM t WHERE id = ?",
                        arguments: ["k\(index)"]))
                #expect(row["n"] as Int64 == Int64(index) - 3)
                #expect((row["note"] as Data?).map { Array($0) } == (index.isMultiple(of: 2) ? Array(text.utf8) : nil))
                #expect(Array(row["raw"] as Data? ?? Data()) == Array(text.utf8))
                #expect(row["type"] as String == "text")
            }
        }
    }

    @Test func aConstraintFailureThrowsAndTheStatementRunsAgain() throws {
        let queue = try Self.database()
        try queue.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t(id, n) VALUES (?, ?)")
            try insert.run([.text("a"), .int(1)])
            let error = #expect(throws: DatabaseError.self) { try insert.run([.text("a"), .int(2)]) }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.message?.contains("UNIQUE") == true)
            #expect(try insert.run([.text("b"), .int(4)]) == 1)
            let ignore = try db.cachedStatement(sql: "INSERT OR IGNORE INTO t(id, n) VALUES (?, ?)")
            #expect(try ignore.run([.text("b"), .int(5)]) == 0)
        }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT SUM(n) FROM t") } == 5)
    }
}
