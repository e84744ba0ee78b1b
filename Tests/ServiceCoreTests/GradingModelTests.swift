import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import GradingCore

/// grading under a versioned evaluation model: a new version regrades every subject and announces the
/// grades that changed, naming the version; the same version with another definition is refused;
/// records that age into a new recency band are regraded by the sweep.
@Suite struct GradingModelTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "grading")
    let clock = TestClock(day: "2026-12-05")

    init() throws {
        database = try ServiceDatabase.inMemory { GradingSchema.register(in: &$0) }
    }

    func handler(_ model: EvaluationModel) -> GradingHandler {
        GradingHandler(writer: database, log: log, model: model, clock: clock.service)
    }

    static func stored(_ id: String, subject: String, kind: RecordKind, severity: Severity?, decided: String) throws -> Event {
        let record = CreditRecord(
            kind: kind, subjectID: subject, subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise, subjectName: "名称\(id)",
            documentNumber: "doc-\(id)", authority: "湖州市市场监督管理局", summary: "处罚", decisionDate: decided, severity: severity)
        return Event(
            stream: "registry", seq: 1, id: "registry-\(id)", type: "record.stored", at: "\(decided)T00:00:00Z",
            data: .object(["id": .string(id), "source": .string("finance"), "record": try JSONValue(encoding: record)]))
    }

    func gradeEvents() async throws -> [SubjectGrade] {
        try await database.read { try log.events($0, after: 0, limit: 1000) }.filter { $0.type == "grade.changed" }
            .map { try $0.decodeData(SubjectGrade.self) }
    }

    @Test func aNewModelVersionRegradesEverySubjectAndTheGradesNameIt() async throws {
        let shipped = try BuiltProducts.evaluationModel()
        let first = handler(shipped)
        #expect(try await database.read { try first.grader.needsRegrade(in: $0) })
        _ = try await first.regradeAll()
        #expect(try await !database.read { try first.grader.needsRegrade(in: $0) })
        let subjects = ["91330500000000001A", "91330500000000002B", "91330500000000003C"]
        try await database.write { db in
            for (index, subject) in subjects.enumerated() {
                try first.registryApplier.apply(
                    try Self.stored("R-\(index)", subject: subject, kind: .penalty, severity: .serious, decided: "2026-10-01"), in: db)
            }
            try first.registryApplier.apply(
                try Self.stored("R-9", subject: subjects[2], kind: .commendation, severity: nil, decided: "2026-10-01"), in: db)
        }
        #expect(try await gradeEvents().map(\.score) == [85, 85, 85, 90])
        #expect(try await gradeEvents().allSatisfy { $0.model == "2026.1" })

        // Serious penalties weigh −25 in 2026.2: every subject regraded, each change announced once.
        var harsher = shipped
        harsher.version = "2026.2"
        harsher.rules = harsher.rules.map { rule in
            var rule = rule
            if rule.kind == .penalty && rule.severity == .serious { rule.points = -25 }
            return rule
        }
        let second = handler(harsher)
        #expect(try await database.read { try second.grader.needsRegrade(in: $0) })
        let (graded, changed) = try await second.regradeAll()
        #expect(graded == 3 && changed == 3)
        let announced = try await gradeEvents().suffix(3)
        #expect(announced.map(\.score) == [75, 75, 80])
        #expect(announced.allSatisfy { $0.model == "2026.2" })
        let explanation = try await second.explain(subjects[0])
        #expect(explanation.model == "2026.2" && explanation.score == 75 && explanation.components.first?.weight == -25)
        // Nothing more to do under 2026.2; running it again changes nothing and announces nothing.
        #expect(try await !database.read { try second.grader.needsRegrade(in: $0) })
        #expect(try await second.regradeAll().changed == 0)

        // The same version with another definition is refused, naming what to do.
        var edited = harsher
        edited.base = 90
        #expect(throws: GradingModelError.self) { try database.read { try handler(edited).grader.needsRegrade(in: $0) } }
    }

    @Test func recordsThatAgeIntoAnotherBandAreRegradedByTheSweep() async throws {
        let grading = handler(try BuiltProducts.evaluationModel())
        try await database.write { db in
            try grading.registryApplier.apply(
                try Self.stored("R-1", subject: "91330500000000001A", kind: .penalty, severity: .serious, decided: "2025-12-10"), in: db)
        }
        #expect(try await gradeEvents().last?.score == 85)
        // Nothing is due on the day graded; on 10 December the record is a year old and counts half.
        #expect(try await grading.grader.regradeDue(writer: database, on: "2026-12-05") == 0)
        #expect(try await grading.grader.regradeDue(writer: database, on: "2026-12-10") == 1)
        #expect(try await gradeEvents().last?.score == 92)
        #expect(try await grading.grader.regradeDue(writer: database, on: "2026-12-11") == 0)
        // Three years on it no longer counts, and the subject has nothing left to age.
        #expect(try await grading.grader.regradeDue(writer: database, on: "2028-12-10") == 1)
        #expect(try await gradeEvents().last?.score == 100)
        #expect(try await grading.grader.regradeDue(writer: database, on: "2040-01-01") == 0)
    }
}
