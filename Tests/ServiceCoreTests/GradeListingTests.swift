import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import DispatchCore

/// Grade listings and the red list by rule, in sanction-dispatch's core: grades from grading become grade
/// listings while a measure names them; a negative record withdraws a red proposal.
@Suite struct GradeListingTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "dispatch")
    let rules: RuleMeasures
    static let subject = "91330500MA2D7E8F2D"

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/measure-rules.yaml")
        rules = RuleMeasures(
            rules: try MeasureRulesLoader.load(contentsOf: url), store: ListingStore(log: log),
            calendarWatch: CalendarWatch(calendar: WorkingCalendar(), logger: Logger(label: "test")), objectionWorkingDays: 5,
            creditOffice: .ndrc, today: { "2026-11-23" }, logger: Logger(label: "test"))
    }

    func grade(_ grade: CreditGrade, seq: Int64, named: Set<CreditGrade> = [.D]) throws {
        let event = Event(
            stream: "grading", seq: seq, id: "grading-\(seq)", type: "grade.changed", at: "2026-11-23T00:00:00.000Z",
            data: .object([
                "subjectID": .string(Self.subject), "subjectName": "湖州示例", "score": 40, "grade": .string(grade.rawValue),
                "supervision": "increased", "records": 2, "model": .object(["version": "2026.2"]),
            ]))
        try database.write { try GradeApplier(rules: rules, namedGrades: named).apply(event, in: $0) }
    }

    func types() throws -> [String] { try database.read { try log.events($0, after: 0, limit: 100).map(\.type) } }

    func gradeListing() throws -> Listing? {
        try database.read {
            try String.fetchOne($0, sql: "SELECT data FROM listings WHERE list = 'grade'").map(ListingStore.decode)
        }
    }

    @Test func aNamedGradeIsAddedChangedAwayRemovedAndBackAddedAgain() throws {
        try grade(.B, seq: 1)
        #expect(try gradeListing() == nil, "no measure names B")
        try grade(.D, seq: 2)
        let added = try #require(try gradeListing())
        #expect(added.id.hasPrefix("G-") && added.grade == .D && added.status == .active && added.initiator == .ndrc)
        #expect(added.document.contains("2026.2"), "the model's version: \(added.document)")
        try grade(.C, seq: 3)
        #expect(try gradeListing()?.status == .removed)
        #expect(try gradeListing()?.removalReason?.contains("grade now C") == true)
        try grade(.D, seq: 4)
        #expect(try gradeListing()?.id == added.id && gradeListing()?.status == .active)
        #expect(try types() == ["grade.added", "grade.removed", "grade.added"])
    }

    @Test func aCatalogueThatNoLongerNamesTheGradeRemovesItsListings() throws {
        try grade(.D, seq: 1)
        #expect(try database.write { try rules.resyncGradeListings(named: [], in: $0) } == 1)
        #expect(try gradeListing()?.status == .removed)
        #expect(try database.write { try rules.resyncGradeListings(named: [.D], in: $0) } == 1)
        #expect(try gradeListing()?.status == .active)
    }

    func record(_ kind: RecordKind, decided: String, severity: Severity? = nil, seq: Int64) throws {
        let record = CreditRecord(
            kind: kind, subjectID: Self.subject, subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise, subjectName: "湖州示例",
            documentNumber: "D-\(seq)", authority: "湖州市市场监督管理局", summary: "s", decisionDate: decided, severity: severity,
            fineAmount: severity == nil ? nil : 0.1)
        try database.write { try rules.apply(record, id: "R-\(seq)", source: "market", seq: seq, in: $0) }
    }

    @Test func threeCleanYearsAndGradeAAreProposedAndANegativeRecordWithdrawsIt() throws {
        try record(.licence, decided: "2023-01-10", seq: 1)
        try grade(.A, seq: 1)
        let proposals = try database.read { try String.fetchAll($0, sql: "SELECT data FROM proposals").map(ProposalStore.decode) }
        #expect(proposals.count == 1 && proposals.first?.list == .red && proposals.first?.decider == .ndrc)
        try record(.penalty, decided: "2026-11-01", severity: .general, seq: 2)
        let after = try database.read { try ProposalStore.get(proposals[0].id, in: $0) }
        #expect(after?.status == .withdrawn && after?.decisionNote?.contains("R-2") == true)
        // The general penalty got its reminder; and no new red proposal follows a bad record.
        try grade(.A, seq: 2)
        #expect(try types().filter { $0 == "proposal.made" }.count == 1)
        #expect(try types().contains("reminder.issued"))
    }

    @Test func aSecondSeriousRecordExtendsTheKeyAttentionListingInsteadOfAddingOne() throws {
        try record(.penalty, decided: "2026-10-01", severity: .serious, seq: 1)
        let first = try #require(try database.read { try ListingStore(log: log).bySourceRecord("R-1", in: $0) })
        #expect(first.list == .keyAttention && first.status == .pending && first.rule?.id == "serious-key-attention")
        #expect(first.until == "2027-11-23" && first.objectionDeadline != nil)
        try database.write { try $0.execute(sql: "UPDATE listings SET data = replace(data, '2027-11-23', '2027-06-30')") }
        try record(.penalty, decided: "2026-11-01", severity: .serious, seq: 2)
        let listings = try database.read { try ListingStore(log: log).current(subject: Self.subject, in: $0) }
        #expect(listings.count == 1 && listings.first?.until == "2027-11-23", "\(listings)")
        #expect(listings.first?.facts?.contains("record R-2") == true)
    }

    @Test func recordsFromBeforeTheRulesOnlyTeachHistory() throws {
        try database.write {
            try $0.execute(sql: "UPDATE dispatch_meta SET value = '10' WHERE key = 'rules.afterRegistrySeq'")
        }
        try record(.penalty, decided: "2026-11-01", severity: .severe, seq: 5)
        #expect(try types().isEmpty)
        let last = try database.read {
            try String.fetchOne($0, sql: "SELECT last_negative FROM subject_history WHERE subject_id = ?", arguments: [Self.subject])
        }
        #expect(last == "2026-11-01")
        try record(.penalty, decided: "2026-11-02", severity: .severe, seq: 11)
        #expect(try types() == ["proposal.made"])
    }
}
