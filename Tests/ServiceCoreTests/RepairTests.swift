import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import RepairCore

/// Repair of records in repair itself: eligibility on the clock, refusals that say why and from when,
/// working-day deadlines and overdue applications, decisions by the department that decides.
@Suite struct RepairTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "repair")
    let clock = TestClock(day: "2026-09-30")
    let handler: RepairHandler
    static let company = "91330500MA2D7E8F2D"
    static let letter = "本公司已缴清罚款并完成整改，承诺今后依法诚信经营"
    static let proof = [ObjectionFiling.EvidenceFile(name: "receipt.txt", content: Data("罚款缴纳凭证".utf8).base64EncodedString())]

    init() throws {
        database = try ServiceDatabase.inMemory { RepairSchema.register(in: &$0) }
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/calendar.yaml")
        let calendar = try WorkingCalendar.load(contentsOf: url)
        handler = RepairHandler(
            writer: database, log: log, objectionPolicy: ObjectionPolicy(calendar: calendar),
            repairPolicy: RepairPolicy(calendar: calendar), clock: clock.service)
        // A minor penalty of 2026-06-01 (repairable at once), a severe one of 2026-03-15 (eligible
        // 2027-03-15), and a court record.
        try database.write { db in
            try RecordsApplier().apply(Self.stored("R-00000001", on: "2026-06-01"), in: db)
            try RecordsApplier().apply(Self.stored("R-00000002", on: "2026-03-15", severity: .severe), in: db)
            try RecordsApplier().apply(Self.stored("R-00000003", on: "2025-01-10", kind: .courtDishonestDebtor, source: "court"), in: db)
        }
    }

    static func stored(
        _ id: String, on date: String, severity: Severity = .general, kind: RecordKind = .penalty, source: String = "market",
        subject: String = company
    ) throws -> Event {
        let record = CreditRecord(
            kind: kind, subjectID: subject, subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise, subjectName: "湖州示例建设工程有限公司",
            documentNumber: "doc-\(id)", authority: "湖州市市场监督管理局", legalBasis: "《企业信息公示暂行条例》第十八条", summary: "未按时公示年度报告",
            decisionDate: date, severity: severity)
        return Event(
            stream: "registry", seq: 1, id: "registry-\(id)", type: "record.stored", at: "\(date)T00:00:00Z",
            data: .object(["id": .string(id), "source": .string(source), "record": try JSONValue(encoding: record)]))
    }

    func apply(
        _ record: String, commitment: String = letter, evidence: [ObjectionFiling.EvidenceFile]? = proof
    ) async throws
        -> RepairApplication
    {
        try await handler.apply(RepairFiling(record: record, commitment: commitment, evidence: evidence))
    }

    func events() async throws -> [String] {
        try await database.read { try log.events($0, after: 0, limit: 100) }.map(\.type)
    }

    @Test func aPenaltyPastItsMinimumPeriodIsAcceptedWithDeadlinesAcrossTheNationalDayHoliday() async throws {
        let application = try await apply("R-00000001")
        // Filed Wednesday 30 September: 1–7 October are holidays, Saturday the 10th a make-up working day.
        #expect(application.acceptBy == "2026-10-10" && application.decideBy == "2026-10-20")
        #expect(application.initiator == "market" && application.status == .pending && application.subjectID == Self.company)
        #expect(application.period?.eligibleFrom == "2026-06-01" && application.evidence?.first?.name == "receipt.txt")
        #expect(try await events() == ["repair.applied"])
        // The same application again is the same one; another letter while it is open is refused, naming it.
        #expect(try await apply("R-00000001").id == application.id)
        await #expect {
            _ = try await apply("R-00000001", commitment: "另一份承诺书：本公司承诺依法经营")
        } throws: { ($0 as? ReplyError)?.code == .conflict && "\($0)".contains(application.id) }
    }

    @Test func tooEarlyIsRefusedWithTheDateAndLaterItIsAccepted() async throws {
        await #expect {
            _ = try await apply("R-00000002")
        } throws: {
            ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("minimum publicity period is 12 months")
                && "\($0)".contains("severe dishonesty") && "\($0)".contains("apply from 2027-03-15")
        }
        // Eligible now, but the subject was penalised again after it (R-00000001, 2026-06-01).
        clock.advance(toDay: "2027-03-15")
        await #expect(performing: { _ = try await apply("R-00000002") }, throws: { "\($0)".contains("apply from 2027-06-01") })
        clock.advance(toDay: "2027-06-01")
        #expect(try await apply("R-00000002").period?.severity == .severe)
    }

    @Test func refusalsNameWhatIsWrong() async throws {
        let refusals: [(String, [ObjectionFiling.EvidenceFile]?, String)] = [
            ("R-00000003", Self.proof, "not repairable by rule (repair.recordKinds: penalty)"),
            ("R-00000001", nil, "attach proof of having fulfilled the penalty"),
            ("R-00000009", Self.proof, "record R-00000009 is not known to repair"),
        ]
        for (record, evidence, message) in refusals {
            await #expect(performing: { _ = try await apply(record, evidence: evidence) }, throws: { "\($0)".contains(message) })
        }
        await #expect {
            _ = try await handler.apply(RepairFiling(record: "R-00000001", listing: "L-000001", commitment: Self.letter))
        } throws: { "\($0)".contains("either record (R-…) or listing (L-…)") }
        // Withdrawn as wrong, or already repaired: nothing to repair.
        try await database.write { db in
            try RecordsApplier().apply(
                Event(stream: "registry", seq: 2, id: "w", type: "record.withdrawn", at: "", data: .object(["id": "R-00000001"])), in: db)
        }
        await #expect(performing: { _ = try await apply("R-00000001") }, throws: { "\($0)".contains("withdrawn as wrong") })
        try await database.write { db in
            try RecordsApplier().apply(
                Event(stream: "registry", seq: 3, id: "r", type: "record.repaired", at: "", data: .object(["id": "R-00000001"])), in: db)
        }
        await #expect(performing: { _ = try await apply("R-00000001") }, throws: { "\($0)".contains("already repaired") })
        #expect(try await events().isEmpty, "nothing half-written")
    }

    @Test func aLaterOffenceWithinTheReoffencePeriodRefusesRepairUntilItHasPassed() async throws {
        try await database.write { db in
            try RecordsApplier().apply(Self.stored("R-00000004", on: "2026-08-20"), in: db)
        }
        await #expect {
            _ = try await apply("R-00000001")
        } throws: { "\($0)".contains("offended again (R-00000004, decided 2026-08-20)") && "\($0)".contains("apply from 2027-08-20") }
        clock.advance(toDay: "2027-08-20")
        #expect(try await apply("R-00000001").status == .pending)
    }

    @Test func overdueApplicationsAreFlaggedAndTheDecidingDepartmentDecides() async throws {
        let application = try await apply("R-00000001")
        clock.advance(toDay: "2026-10-12")
        #expect(await handler.repairCounts() == (1, 1))
        #expect(
            try await handler.listApplications(status: nil, decider: nil, subject: nil, overdueOnly: true).map(\.application.id) == [
                application.id
            ])
        await #expect {
            _ = try await handler.accept(application.id, by: "finance")
        } throws: { ($0 as? ReplyError)?.code == .forbidden }
        let accepted = try await handler.accept(application.id, by: "market")
        #expect(accepted.status == .accepted && accepted.acceptedAt != nil)
        #expect(await handler.repairCounts() == (1, 0), "accepted in time for the decision deadline")
        await #expect {
            _ = try await handler.decide(application.id, approve: false, by: "market", note: " ")
        } throws: { "\($0)".contains("give the reasons of the rejection") }
        let rejected = try await handler.decide(application.id, approve: false, by: "market", note: "罚款尚未缴清")
        #expect(rejected.status == .rejected && rejected.decisionNote == "罚款尚未缴清")
        await #expect {
            _ = try await handler.decide(application.id, approve: true, by: "market", note: nil)
        } throws: { "\($0)".contains("already rejected") }
        clock.advance(toDay: "2026-10-21")
        #expect(await handler.repairCounts() == (0, 0))
        #expect(try await events() == ["repair.applied", "repair.accepted", "repair.rejected"])
    }

    @Test func theCreditOfficeDecidesWhenConfiguredAndConfigurationIsChecked() async throws {
        let office = RepairHandler(
            writer: database, log: log, repairPolicy: RepairPolicy(recordDecider: "ndrc"), clock: clock.service)
        let application = try await office.apply(RepairFiling(record: "R-00000001", commitment: Self.letter, evidence: Self.proof))
        #expect(application.initiator == "ndrc")

        let refusals: [([String: String], String)] = [
            (["CREDIT_REPAIR_RECORD_KINDS": "penalty, fines"], "repair.recordKinds"),
            (["CREDIT_REPAIR_RECORD_DECIDER": "the mayor"], "neither source nor a department name"),
            (["CREDIT_REPAIR_DECIDE_WORKING_DAYS": "0"], "repair.decideWorkingDays"),
        ]
        for (environment, message) in refusals {
            #expect {
                _ = try RepairService.repairPolicy(try SuiteConfig(file: nil, environment: environment))
            } throws: { "\($0)".contains(message) }
        }
        let defaults = try RepairService.repairPolicy(try SuiteConfig(file: nil, environment: [:]))
        #expect(defaults.recordKinds == [.penalty] && defaults.reoffenceMonths == 12 && defaults.recordDecider == nil)
        #expect(defaults.publicity == PublicityRules() && defaults.publicity.rules.isEmpty)
    }
}
