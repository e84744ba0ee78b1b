import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import RepairCore

/// Objections in repair: filing with evidence and deadlines on the working-day calendar, one open
/// objection per target, decisions by the department that provided the information.
@Suite struct ObjectionTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "repair")
    let clock = TestClock(day: "2026-09-30")
    let handler: RepairHandler
    static let company = "91330500MA2D7E8F2D"

    init() throws {
        database = try ServiceDatabase.inMemory { RepairSchema.register(in: &$0) }
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/calendar.yaml")
        handler = RepairHandler(
            writer: database, log: log,
            objectionPolicy: ObjectionPolicy(
                maxEvidenceFiles: 2, maxEvidenceBytes: 1_024, calendar: try WorkingCalendar.load(contentsOf: url)),
            clock: clock.service)
        // What repair learns from the registry and dispatch: a penalty by market, a court record and
        // the court's listing made from it.
        try database.write { db in
            try RecordsApplier().apply(Self.stored("R-00000001", kind: "penalty", source: "market"), in: db)
            try RecordsApplier().apply(Self.stored("R-00000002", kind: "court-dishonest-debtor", source: "court"), in: db)
            try db.execute(
                sql:
                    "INSERT INTO known_listings(id, subject_id, initiator, status, source_record) VALUES ('L-000001', ?, 'court', 'active', 'R-00000002')",
                arguments: [Self.company])
            try db.execute(
                sql: "INSERT INTO known_listings(id, subject_id, initiator, status) VALUES ('L-000002', ?, 'market', 'removed')",
                arguments: [Self.company])
            try db.execute(
                sql: "INSERT INTO known_listings(id, subject_id, initiator, status) VALUES ('L-000003', ?, 'market', 'pending')",
                arguments: [Self.company])
        }
    }

    static func stored(_ id: String, kind: String, source: String, version: Int64? = nil) -> Event {
        var data: [String: JSONValue] = [
            "id": .string(id), "source": .string(source),
            "record": .object(["subjectID": .string(company), "kind": .string(kind)]),
        ]
        if let version { data["version"] = .int(version) }
        return Event(
            stream: "registry", seq: 1, id: "registry-\(id)", type: version == nil ? "record.stored" : "record.corrected",
            at: "2026-09-01T00:00:00Z",
            data: .object(data))
    }

    func file(
        record: String? = "R-00000001", listing: String? = nil, reason: String = "罚款金额有误", evidence: [ObjectionFiling.EvidenceFile]? = nil
    )
        async throws -> Objection
    {
        try await handler.fileObjection(
            ObjectionFiling(record: record, listing: listing, reason: reason, evidence: evidence), by: "operator")
    }

    func events() async throws -> [String] {
        try await database.read { try log.events($0, after: 0, limit: 100) }.map(\.type)
    }

    @Test func deadlinesCountWorkingDaysAcrossTheNationalDayHoliday() async throws {
        let objection = try await file()
        // Filed on Wednesday 30 September: 1–7 October are holidays, Saturday the 10th a make-up day.
        #expect(objection.acknowledgeBy == "2026-10-09")
        #expect(objection.decideBy == "2026-10-13")
        #expect(objection.decider == "market" && objection.subjectID == Self.company && objection.recordVersion == 1)
        #expect(objection.suspension == .review && objection.status == .open)
        #expect(try await events() == ["objection.filed"])

        clock.advance(toDay: "2026-10-09")
        #expect(await handler.objectionCounts() == (open: 1, overdue: 0))
        clock.advance(toDay: "2026-10-12")
        #expect(
            try await handler.listObjections(status: nil, decider: nil, subject: nil, overdueOnly: true).map(\.objection.id) == [
                objection.id
            ])
        let acknowledged = try await handler.acknowledgeObjection(objection.id, by: "market")
        #expect(!acknowledged.overdue(on: "2026-10-13") && acknowledged.overdue(on: "2026-10-14"))
        #expect(await handler.objectionCounts() == (open: 1, overdue: 0))
    }

    @Test func theCourtListStaysInForceWhileDisputed() async throws {
        #expect(try await file(record: "R-00000002").suspension == Objection.Suspension.none)
        #expect(try await file(record: nil, listing: "L-000001").suspension == Objection.Suspension.none)
    }

    @Test func theSameFilingGivesTheSameObjectionAndAnotherIsRefusedNamingIt() async throws {
        let first = try await file()
        #expect(try await file().id == first.id)
        await #expect {
            _ = try await file(reason: "另一个理由")
        } throws: { error in
            let reply = error as? ReplyError
            return reply?.code == .conflict && reply?.message.contains("already has objection \(first.id)") == true
        }
        #expect(try await events() == ["objection.filed"])
    }

    @Test func evidenceIsStoredWithItsSizeAndDigest() async throws {
        let content = Data("缴款凭证".utf8)
        let objection = try await file(evidence: [.init(name: "receipt.txt", content: content.base64EncodedString())])
        // sha256sum of the same bytes.
        #expect(
            objection.evidence == [
                Objection.Evidence(
                    name: "receipt.txt", size: content.count, sha256: "90618b2e05235fd154a3b9eedcc95e064e4d679a899d44f4cdf394a76b8feaf1")
            ])
        let stored = try await handler.handle(
            op: "objection.evidence", body: .object(["objection": .string(objection.id), "index": 0]),
            context: RequestContext(department: nil, authenticated: false))
        #expect(stored["content"] == .string(content.base64EncodedString()) && stored["sha256"] == .string(objection.evidence[0].sha256))
    }

    @Test(arguments: [
        (ObjectionFiling(record: "R-00000009", reason: "x"), ReplyError.Code.notFound, "record R-00000009 is not known"),
        (ObjectionFiling(listing: "L-000002", reason: "x"), .conflict, "listing L-000002 has ended"),
        (ObjectionFiling(listing: "L-000003", reason: "x"), .conflict, "object within its window with creditctl object --listing L-000003"),
        (ObjectionFiling(record: "R-00000001", listing: "L-000001", reason: "x"), .invalid, "either record (R-…) or listing (L-…)"),
        (ObjectionFiling(record: "R-00000001", reason: "  "), .invalid, "reason is required"),
        (ObjectionFiling(record: "R-00000001", reason: "x", evidence: [.init(name: "a", content: "!!")]), .badRequest, "is not base64"),
        (
            ObjectionFiling(
                record: "R-00000001", reason: "x", evidence: [.init(name: "big.pdf", content: Data(count: 2_000).base64EncodedString())]),
            .invalid, "big.pdf is 2000 bytes; at most 1024 (objection.maxEvidenceBytes)"
        ),
        (
            ObjectionFiling(record: "R-00000001", reason: "x", evidence: Array(repeating: .init(name: "a", content: ""), count: 3)),
            .invalid, "3 evidence files; at most 2"
        ),
    ])
    func badFilingsAreRefusedNamingTheProblemAndWriteNothing(filing: ObjectionFiling, code: ReplyError.Code, expected: String) async throws
    {
        await #expect {
            _ = try await handler.fileObjection(filing, by: "operator")
        } throws: { error in
            let reply = error as? ReplyError
            return reply?.code == code && reply?.message.contains(expected) == true
        }
        #expect(try await events().isEmpty)
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM objections") } == 0)
    }

    @Test func onlyTheProvidingDepartmentDecidesAndMustGiveReasons() async throws {
        let objection = try await file()
        await #expect {
            _ = try await handler.decideObjection(objection.id, outcome: .upheld, note: "核实无误", by: "finance")
        } throws: { ($0 as? ReplyError)?.code == .forbidden && "\($0)".contains("R-00000001 is market's") }
        await #expect {
            _ = try await handler.decideObjection(objection.id, outcome: .upheld, note: " ", by: "market")
        } throws: { ($0 as? ReplyError)?.code == .invalid && "\($0)".contains("note is required") }
        let decided = try await handler.decideObjection(objection.id, outcome: .upheld, note: "核实无误", by: "market")
        #expect(decided.status == .decided && decided.outcome == .upheld && decided.decidedBy == "market" && decided.acknowledgedAt != nil)
        await #expect {
            _ = try await handler.decideObjection(objection.id, outcome: .revoked, note: "改判", by: "market")
        } throws: { ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("already decided (upheld)") }
        // Decided, it is final: another objection to the same record needs evidence not seen before.
        await #expect {
            _ = try await file(reason: "再次异议")
        } throws: {
            ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("was decided (upheld)") && "\($0)".contains("needs new evidence")
        }
        let fresh = [ObjectionFiling.EvidenceFile(name: "new.txt", content: Data("新证据".utf8).base64EncodedString())]
        #expect(try await file(reason: "新的证据", evidence: fresh).id != objection.id)
        #expect(try await events() == ["objection.filed", "objection.decided", "objection.filed"])
    }

    @Test func correctedNeedsTheNewVersionFirst() async throws {
        let objection = try await file()
        await #expect {
            _ = try await handler.decideObjection(objection.id, outcome: .corrected, note: "金额更正", by: "market")
        } throws: { ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("import the corrected row first") }
        try await database.write { db in
            try RecordsApplier().apply(Self.stored("R-00000001", kind: "penalty", source: "market", version: 2), in: db)
        }
        let decided = try await handler.decideObjection(objection.id, outcome: .corrected, note: "金额更正", by: "market")
        #expect(decided.outcome == .corrected)
        let listingObjection = try await file(record: nil, listing: "L-000001")
        await #expect {
            _ = try await handler.decideObjection(listingObjection.id, outcome: .corrected, note: "x", by: "court")
        } throws: { ($0 as? ReplyError)?.code == .invalid && "\($0)".contains("corrected is for records") }
    }

    @Test func aDepartmentFilesOnlyForInformationItDecides() async throws {
        await #expect {
            _ = try await handler.fileObjection(ObjectionFiling(record: "R-00000001", reason: "有误"), by: "finance", role: .department)
        } throws: { ($0 as? ReplyError)?.code == .forbidden && "\($0)".contains("R-00000001 is market's") }
        #expect(try await events().isEmpty)
        let own = try await handler.fileObjection(ObjectionFiling(record: "R-00000001", reason: "自查发现有误"), by: "market", role: .department)
        #expect(own.filedBy == "market" && own.filedAt.hasPrefix("2026-09-30"))
    }

    @Test func evidenceLimitsThatCannotFitARequestStopStartUp() throws {
        let config = try SuiteConfig(
            file: nil, environment: ["CREDIT_OBJECTION_MAX_EVIDENCE_FILES": "50", "CREDIT_OBJECTION_MAX_EVIDENCE_BYTES": "8388608"])
        #expect {
            _ = try RepairService.objectionPolicy(config)
        } throws: { "\($0)".contains("objection.maxEvidenceBytes") && "\($0)".contains("50 files of 8388608 bytes do not fit a request") }
        let defaults = try RepairService.objectionPolicy(try SuiteConfig(file: nil, environment: [:]))
        #expect(defaults.maxEvidenceFiles == 5 && defaults.maxEvidenceBytes == 2 << 20 && defaults.suspension == .review)
    }

    @Test func aRepairApplicationNeedsTheSubjectsOwnCommitmentLetter() async throws {
        for missing in [nil, "  ", "承诺"] as [String?] {
            await #expect {
                _ = try await handler.apply(RepairFiling(listing: "L-000001", commitment: missing))
            } throws: { ($0 as? ReplyError)?.code == .invalid && "\($0)".contains("信用修复承诺书") }
        }
        let application = try await handler.apply(
            RepairFiling(listing: "L-000001", commitment: "本公司已全部履行判决义务，承诺今后依法诚信经营", applicant: "代理人"))
        #expect(application.commitment == "本公司已全部履行判决义务，承诺今后依法诚信经营" && application.status == .pending)
    }
}
