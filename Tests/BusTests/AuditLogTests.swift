import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Testing

@testable import Bus

/// The hash-chained audit log: SHA-256 (swift-crypto) against FIPS 180-4 vectors, the digest of a
/// canonical line as chains written before swift-crypto have it, and `verify` naming the first
/// entry that was altered, removed or re-hashed.
@Suite struct AuditLogTests {
    /// An in-memory database with `count` audit entries appended, one transaction each.
    private func chain(_ count: Int) throws -> DatabaseQueue {
        let database = try ServiceDatabase.inMemory { _ in }
        try database.write { db in
            for n in 1...count {
                try AuditLog.append(
                    db, actor: "user:\(n % 3)", action: "command.register", subject: n % 5 == 0 ? nil : "L-\(n)",
                    detail: .object(["n": .int(Int64(n)), "note": .string("listing \(n)"), "flags": .array([true, .null])]),
                    at: "2026-03-01T10:00:\(String(format: "%02d", n % 60)).000Z")
            }
        }
        return database
    }

    @Test func auditTextsAreSingleLinesOfAtMost200Characters() {
        #expect(BusServer.auditText("system:portal") == "system:portal")
        #expect(BusServer.auditText("clerk\n7\r\nx") == "clerk 7  x")
        #expect(BusServer.auditText(String(repeating: "审", count: 250)) == String(repeating: "审", count: 200))
        #expect(BusServer.auditText(String(repeating: "a", count: 200)).count == 200)
    }

    @Test func sha256MatchesTheStandardVectors() {
        #expect(AuditLog.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(AuditLog.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            AuditLog.sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            AuditLog.sha256Hex(
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(
            AuditLog.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the padding boundary (55, 56, 64 bytes) take one or two final blocks.
        #expect(AuditLog.sha256Hex(String(repeating: "a", count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(AuditLog.sha256Hex(String(repeating: "a", count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(AuditLog.sha256Hex(String(repeating: "a", count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func anIntactChainOfAHundredVerifies() throws {
        let database = try chain(100)
        let entries = try database.read { try AuditLog.entries($0, after: 0, limit: 1000) }
        #expect(entries.map(\.seq) == Array(1...100))
        #expect(entries[0].previousHash == String(repeating: "0", count: 64))
        for (earlier, later) in zip(entries, entries.dropFirst()) { #expect(later.previousHash == earlier.hash) }
        let verification = try database.read { try AuditLog.verify($0) }
        #expect(verification == .intact(count: 100, head: entries[99].hash))
        #expect(verification.description.contains("100 entries"))
        #expect(entries[4].subject == nil)
        #expect(entries[16].detail["n"] == .int(17))
        #expect(try database.read { try AuditLog.entries($0, after: 40, limit: 3) }.map(\.seq) == [41, 42, 43])
    }

    @Test func theHashIsSHA256OfTheDocumentedCanonicalLine() throws {
        let database = try ServiceDatabase.inMemory { _ in }
        let entry = try database.write { db in
            try AuditLog.append(
                db, actor: "ops", action: "listing.changed", subject: nil, detail: .object(["z": 1, "a": "x"]),
                at: "2026-03-01T10:00:00.000Z")
        }
        let line = "1\n2026-03-01T10:00:00.000Z\nops\nlisting.changed\n\n{\"a\":\"x\",\"z\":1}\n" + AuditLog.genesisHash
        #expect(entry.hash == AuditLog.sha256Hex(line))
        // The digest the hand-written SHA-256 gave this line (and `sha256sum` gives): chains written
        // before the move to swift-crypto verify unchanged.
        #expect(entry.hash == "45c69abf379cbe58b8e11417f34500cfbfeb2d7a205119fdba3f9170ccf23748")
        #expect(try database.read { try String.fetchOne($0, sql: "SELECT detail FROM audit_log") } == "{\"a\":\"x\",\"z\":1}")
        #expect(try database.read { try AuditLog.entries($0, after: 0, limit: 10) } == [entry])
    }

    @Test func alteringTheDetailOfEntry17IsReportedAsAltered() throws {
        let database = try chain(100)
        try database.write { try $0.execute(sql: "UPDATE audit_log SET detail = '{\"n\":999}' WHERE seq = 17") }
        let verification = try database.read { try AuditLog.verify($0) }
        guard case .broken(let seq, let reason) = verification else {
            Issue.record("expected a broken chain, got \(verification)")
            return
        }
        #expect(seq == 17)
        #expect(reason.hasPrefix("entry 17 was altered:"))
    }

    @Test func deletingEntry40IsReportedAsMissing() throws {
        let database = try chain(100)
        try database.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 40") }
        #expect(
            try database.read { try AuditLog.verify($0) }
                == .broken(seq: 40, reason: "entry 40 is missing (39 is followed by 41)"))
    }

    @Test func deletingTheFirstEntryIsReportedAsMissing() throws {
        let database = try chain(5)
        try database.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 1") }
        #expect(
            try database.read { try AuditLog.verify($0) }
                == .broken(seq: 1, reason: "entry 1 is missing (the chain starts at 2)"))
    }

    @Test func alteringAnEntryAndRecomputingItsHashBreaksTheNextLink() throws {
        let database = try chain(100)
        try database.write { db in
            let row = try #require(
                try Row.fetchOne(db, sql: "SELECT at, actor, action, subject, previous_hash FROM audit_log WHERE seq = 17"))
            let forged = "{\"n\":17,\"note\":\"nothing to see\"}"
            let hash = AuditLog.hashOf(
                seq: 17, at: row["at"], actor: row["actor"], action: row["action"], subject: row["subject"],
                detailText: forged, previousHash: row["previous_hash"])
            try db.execute(
                sql: "UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 17", arguments: [forged, hash])
        }
        let verification = try database.read { try AuditLog.verify($0) }
        guard case .broken(let seq, let reason) = verification else {
            Issue.record("expected a broken chain, got \(verification)")
            return
        }
        #expect(seq == 18)
        #expect(reason.hasPrefix("entry 18 does not follow on"))
    }

    @Test func appendsInARolledBackTransactionLeaveNoTrace() throws {
        let database = try chain(3)
        let head = try database.read { try AuditLog.entries($0, after: 2, limit: 1) }[0]
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.write { db in
                try AuditLog.append(db, actor: "a", action: "lost", subject: "L-1", detail: .null)
                try AuditLog.append(db, actor: "a", action: "lost", subject: "L-2", detail: .null)
                throw Abort()
            }
        }
        #expect(try database.read { try AuditLog.verify($0) } == .intact(count: 3, head: head.hash))
        let next = try database.write { try AuditLog.append($0, actor: "a", action: "kept", subject: nil, detail: .null) }
        #expect(next.seq == 4)
        #expect(next.previousHash == head.hash)
        #expect(try database.read { try AuditLog.verify($0) } == .intact(count: 4, head: next.hash))
    }

    @Test func verifyWalksAcrossPagesAndFindsAGapAtAPageBoundary() throws {
        let database = try chain(2_001)
        let head = try database.read { try AuditLog.entries($0, after: 2_000, limit: 1) }[0]
        #expect(try database.read { try AuditLog.verify($0) } == .intact(count: 2_001, head: head.hash))
        try database.write { try $0.execute(sql: "DELETE FROM audit_log WHERE seq = 1001") }
        #expect(
            try database.read { try AuditLog.verify($0) }
                == .broken(seq: 1001, reason: "entry 1001 is missing (1000 is followed by 1002)"))
    }

    @Test func unreadableOrAmbiguousColumnsAreAlterationsNotCrashes() throws {
        let database = try chain(10)
        try database.write { try $0.execute(sql: "UPDATE audit_log SET subject = '' WHERE seq = 5") }
        var verification = try database.read { try AuditLog.verify($0) }
        #expect(verification == .broken(seq: 5, reason: "entry 5 was altered: its subject is empty, which append never writes"))
        try database.write { try $0.execute(sql: "UPDATE audit_log SET subject = NULL, actor = x'00' WHERE seq = 3") }
        verification = try database.read { try AuditLog.verify($0) }
        #expect(verification == .broken(seq: 3, reason: "entry 3 was altered: its actor is NULL or not text"))
        #expect(throws: AuditLogError.unreadableEntry(seq: 3, column: "actor")) {
            try database.read { try AuditLog.entries($0, after: 0, limit: 10) }
        }
    }

    @Test func lineBreaksInHashedFieldsAreRejectedAndEmptySubjectsStoredAsNil() throws {
        let database = try ServiceDatabase.inMemory { _ in }
        #expect(throws: AuditLogError.fieldContainsNewline("actor")) {
            try database.write { try AuditLog.append($0, actor: "a\nb", action: "x", subject: nil, detail: .null) }
        }
        #expect(throws: AuditLogError.fieldContainsNewline("subject")) {
            try database.write { try AuditLog.append($0, actor: "a", action: "x", subject: "L\r1", detail: .null) }
        }
        // Line breaks beyond ASCII, as `Character.isNewline` has them; a CJK subject has none.
        for subject in ["审\u{2028}计", "L\u{85}1", "L\u{0B}1"] {
            #expect(throws: AuditLogError.fieldContainsNewline("subject")) {
                try database.write { try AuditLog.append($0, actor: "a", action: "x", subject: subject, detail: .null) }
            }
        }
        #expect(!AuditLog.hasLineBreak("name:杭州某某建材有限公司") && !AuditLog.hasLineBreak(""))
        let entry = try database.write { try AuditLog.append($0, actor: "a", action: "x", subject: "", detail: .null) }
        #expect(entry.subject == nil)
        #expect(try database.read { try AuditLog.verify($0) } == .intact(count: 1, head: entry.hash))
    }

    /// Many entries through one `Chain` in one transaction (the check log's batches) are the
    /// entries `append` gives one at a time, and the chain goes on from them.
    @Test func aChainReadOnceAppendsWhatAppendWouldOneAtATime() throws {
        let single = try chain(5)
        let batched = try ServiceDatabase.inMemory { _ in }
        try batched.write { db in
            var chain = try AuditLog.Chain(db)
            for n in 1...5 {
                let detail: JSONValue = .object(["n": .int(Int64(n)), "note": .string("listing \(n)"), "flags": .array([true, .null])])
                try chain.append(
                    db, actor: "user:\(n % 3)", action: "command.register", subject: n % 5 == 0 ? nil : "L-\(n)",
                    detailText: JSONText.text(detail), at: "2026-03-01T10:00:\(String(format: "%02d", n % 60)).000Z")
            }
        }
        let expected = try single.read { try AuditLog.entries($0, after: 0, limit: 10) }
        #expect(try batched.read { try AuditLog.entries($0, after: 0, limit: 10) } == expected)
        let next = try batched.write { try AuditLog.append($0, actor: "ops", action: "x", subject: nil, detail: .null) }
        #expect(next.seq == 6 && next.previousHash == expected[4].hash)
        #expect(try batched.read { try AuditLog.verify($0) } == .intact(count: 6, head: next.hash))
    }
}
