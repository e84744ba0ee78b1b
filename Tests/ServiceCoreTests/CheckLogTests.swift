import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Testing

@testable import InterceptorCore

/// The check log's journal: answered checks survive a crash and are stored once each.
@Suite struct CheckLogTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "interceptor.finance")
    let path = InterceptorTests.journal()

    init() throws {
        database = try ServiceDatabase.inMemory { InterceptorSchema.register(in: &$0) }
    }

    static func check(_ decision: Decision, reference: String) -> LoggedCheck {
        LoggedCheck(
            at: "2026-12-06T10:00:00Z", subject: "91330500MA2D7E8F2D", action: "government-procurement", decision: decision.rawValue,
            listings: decision == .allow ? [] : ["L-000001"], measures: decision == .allow ? [] : ["finance.procurement-ban"],
            replicaSeq: 7, stale: false, requester: "clerk-7", reference: reference, caller: "portal")
    }

    func stored() throws -> (checks: [String], feedback: [String], audit: AuditVerification) {
        try database.read { db in
            (
                try String.fetchAll(db, sql: "SELECT reference FROM checks ORDER BY rowid"),
                try log.events(db, after: 0, limit: 100).map(\.id), try AuditLog.verify(db)
            )
        }
    }

    @Test func anEntryReadsBackAsWritten() throws {
        var check = Self.check(.block, reference: "PO-1")
        check.number = 12
        check.id = "finance-ab12cd34-C-12"
        check.requester = nil
        #expect(check.journalLine.last == 0x0A)
        #expect(LoggedCheck(json: try JSONReader.value(Array(check.journalLine.dropLast()))) == check)
        #expect(LoggedCheck(json: .object(["n": 1])) == nil)
    }

    @Test func checksAreStoredWithTheirAuditEntriesAndFeedbackOnceMoved() async throws {
        let checkLog = try CheckLog(path: path, department: .finance, writer: database, log: log)
        let ids = try [Decision.block, .allow, .review].enumerated().map { try checkLog.append(Self.check($1, reference: "PO-\($0)")) }
        #expect(ids.map { $0.hasSuffix("-C-1") || $0.hasSuffix("-C-2") || $0.hasSuffix("-C-3") } == [true, true, true])
        try await checkLog.flush()
        let (checks, feedback, audit) = try stored()
        #expect(checks == ["PO-0", "PO-1", "PO-2"])
        #expect(feedback == ["feedback-\(ids[0])", "feedback-\(ids[2])"], "an allow sends no feedback")
        guard case .intact(let count, _) = audit else {
            Issue.record("the audit chain broke: \(audit)")
            return
        }
        #expect(count == 3)
        #expect(checkLog.pending == 0)
    }

    /// A check's audit entry names the calling system as actor, with the requester it named beside
    /// it; without a token, the requester acts. Its detail is canonical JSON, keys sorted.
    @Test func eachCheckIsAuditedWithItsCallerAndItsAnswer() async throws {
        let checkLog = try CheckLog(path: path, department: .finance, writer: database, log: log)
        var anonymous = Self.check(.allow, reference: "PO-2")
        anonymous.caller = nil
        anonymous.reference = nil
        let ids = try [Self.check(.block, reference: "PO-1"), anonymous].map { try checkLog.append($0) }
        try await checkLog.flush()
        let entries = try await database.read { try AuditLog.entries($0, after: 0, limit: 10) }
        #expect(entries.map(\.actor) == ["system:portal", "clerk-7"])
        #expect(entries.map(\.subject) == ["91330500MA2D7E8F2D", "91330500MA2D7E8F2D"])
        let expected: [JSONValue] = [
            .object([
                "check": .string(ids[0]), "action": "government-procurement", "decision": "block", "listings": .array(["L-000001"]),
                "replicaSeq": 7, "stale": false, "reference": "PO-1", "system": "portal", "requester": "clerk-7",
            ]),
            .object([
                "check": .string(ids[1]), "action": "government-procurement", "decision": "allow", "listings": .array([]), "replicaSeq": 7,
                "stale": false, "reference": .null,
            ]),
        ]
        #expect(entries.map(\.detail) == expected)
        let texts = try await database.read { try String.fetchAll($0, sql: "SELECT detail FROM audit_log ORDER BY seq") }
        #expect(texts == expected.map(JSONText.text))
    }

    /// What a killed process left in the journal is stored at the next start, before any check:
    /// entries the table already holds are not stored again, a last line the process did not finish
    /// writing is left out, and numbering goes on after the last entry.
    @Test func aCrashLeavesNothingUnstoredAndNothingTwice() async throws {
        let first = try CheckLog(path: path, department: .finance, writer: database, log: log)
        let id = try first.append(Self.check(.block, reference: "PO-0"))
        try await first.flush()
        let prefix = String(id.dropLast(1))
        // The journal as a crash would leave it: one entry already stored, two not, half of a fourth.
        var lines = ""
        for (number, reference) in [(1, "PO-0"), (2, "PO-1"), (3, "PO-2")] {
            var check = Self.check(.block, reference: reference)
            check.number = Int64(number)
            check.id = prefix + String(number)
            lines += String(decoding: check.journalLine, as: UTF8.self)
        }
        lines += #"{"n":4,"id":"finance-"#
        try Data(lines.utf8).write(to: URL(fileURLWithPath: path + ".1"))

        let second = try CheckLog(path: path, department: .finance, writer: database, log: log)
        let (checks, feedback, audit) = try stored()
        #expect(checks == ["PO-0", "PO-1", "PO-2"])
        #expect(feedback == (1...3).map { "feedback-\(prefix)\($0)" })
        if case .intact(let count, _) = audit { #expect(count == 3) } else { Issue.record("the audit chain broke: \(audit)") }
        for suffix in [".0", ".1"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + suffix)).isEmpty, "the journal is emptied once stored")
        }
        #expect(try second.append(Self.check(.allow, reference: "PO-3")) == prefix + "4")
    }

    @Test func anUnreadableLineInTheMiddleStopsTheStartNamingTheFile() throws {
        try Data("{\"n\":1}\nnot json\n".utf8).write(to: URL(fileURLWithPath: path + ".0"))
        #expect {
            _ = try CheckLog(path: path, department: .finance, writer: database, log: log)
        } throws: { error in
            let text = "\(error)"
            return text.contains("line 1 of the journal \(path).0") && text.contains("keep the file")
        }
    }
}
