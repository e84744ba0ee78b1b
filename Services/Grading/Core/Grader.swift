import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceLifecycle

/// One industry model's result for a subject (`SubjectGrade.industries`).
public struct IndustryGrade: Codable, Sendable, Equatable {
    public var industry: String
    public var score: Int
    public var grade: CreditGrade
}

/// Scores subjects with the configured evaluation model and keeps their grades: after a record or
/// listing changes, when a record's recency band changes (`next_change`), and every subject once
/// under a new model version.
public struct Grader: Sendable {
    public let model: EvaluationModel
    let log: EventLog

    public init(model: EvaluationModel, log: EventLog) {
        self.model = model
        self.log = log
    }

    /// Grades one subject on `day` and stores it; announces `grade.changed` when its score, grade or an
    /// industry grade changed. Returns whether it did.
    @discardableResult
    func regrade(_ subject: String, name: String? = nil, on day: String, in db: Database) throws -> Bool {
        try regrade(
            subject, name: name, inputs: try Self.inputs(of: subject, in: db).map(\.input),
            listings: try Self.listings(of: subject, in: db).map(\.list), on: day, in: db)
    }

    /// Grades one subject from inputs and listings already read.
    private func regrade(
        _ subject: String, name: String?, inputs: [GradeInput], listings: [ListType], on day: String, in db: Database
    ) throws -> Bool {
        let previous = try GradingSchema.grade(of: subject, in: db)
        guard !inputs.isEmpty || !listings.isEmpty || previous != nil else { return false }
        let evaluation = model.evaluate(inputs, listings: listings, on: day)
        let grade = SubjectGrade(
            subjectID: subject, subjectName: name ?? previous?.subjectName ?? "", score: evaluation.result.score,
            grade: evaluation.result.grade, supervision: evaluation.result.supervision, records: inputs.count, model: model.version,
            industries: evaluation.industries.isEmpty
                ? nil : evaluation.industries.map { IndustryGrade(industry: $0.id, score: $0.result.score, grade: $0.result.grade) })
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO grades(subject_id, data, grade, next_change) VALUES (?, ?, ?, ?)").execute(
            arguments: [
                subject, String(decoding: try WireCoding.encode(grade), as: UTF8.self), grade.grade.rawValue, evaluation.nextChange,
            ])
        let changed =
            previous?.score != grade.score || previous?.grade != grade.grade || (previous?.industries ?? []) != (grade.industries ?? [])
        if changed { try log.append(db, type: "grade.changed", data: grade) }
        return changed
    }

    /// Every part of a subject's score on `day`, public or of one industry model.
    func explain(_ subject: String, industry: String?, on day: String, in db: Database) throws -> GradeExplanation {
        let records = try Self.inputs(of: subject, in: db)
        let listings = try Self.listings(of: subject, in: db)
        var explanation = model.explain(records: records, listings: listings, on: day, industry: industry)
        explanation.subjectID = subject
        explanation.subjectName = try GradingSchema.grade(of: subject, in: db)?.subjectName ?? ""
        return explanation
    }

    static func inputs(of subject: String, in db: Database) throws -> [(record: String, input: GradeInput)] {
        try Row.fetchAll(
            db.cachedStatement(
                sql:
                    "SELECT record_id, kind, severity, performance, decided, department FROM inputs WHERE subject_id = ? ORDER BY record_id"
            ),
            arguments: [subject]
        ).compactMap(input(of:))
    }

    /// A row of `record_id, kind, severity, performance, decided, department` as an input.
    static func input(of row: Row) -> (record: String, input: GradeInput)? {
        guard let kind = RecordKind(rawValue: row[1]) else { return nil }
        return (
            row[0],
            GradeInput(
                kind: kind, severity: (row[2] as String?).flatMap(Severity.init(rawValue:)),
                performance: (row[3] as String?).flatMap(Performance.init(rawValue:)), decided: row[4], department: row[5])
        )
    }

    static func listings(of subject: String, in db: Database) throws -> [(listing: String, list: ListType)] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT listing_id, list FROM scored_listings WHERE subject_id = ? ORDER BY listing_id"),
            arguments: [subject]
        )
        .compactMap { row in ListType(rawValue: row["list"]).map { (row["listing_id"], $0) } }
    }

    // MARK: - Every subject, or those due

    /// The version and definition grades were last made with, if any.
    static func storedModel(in db: Database) throws -> (version: String, definition: String)? {
        try Row.fetchOne(db, sql: "SELECT version, definition FROM grading_model WHERE id = 1").map { ($0["version"], $0["definition"]) }
    }

    var definition: String { String(decoding: (try? WireCoding.encode(model)) ?? [], as: UTF8.self) }

    /// Checks the configured model against the one grades were made with: the same version must have
    /// the same definition. Returns whether every subject must be regraded.
    func needsRegrade(in db: Database) throws -> Bool {
        guard let stored = try Self.storedModel(in: db) else { return true }
        guard stored.version == model.version else { return true }
        guard stored.definition == definition else {
            throw GradingModelError(
                "the evaluation model's file changed but its version did not (still \(model.version)): give the changed model a new version, so that every subject is regraded under it and each grade names the model it was made with"
            )
        }
        return false
    }

    /// Regrades every subject under the model, `batch` subjects per transaction, then records the
    /// model. Returns the subjects graded and the grades that changed.
    public func regradeAll(writer: any DatabaseWriter, on day: String, batch: Int = 2_000) async throws -> (subjects: Int, changed: Int) {
        var after = ""
        var subjects = 0
        var changed = 0
        while true {
            let (last, count, changes) = try await writer.write { [after] db -> (String?, Int, Int) in
                let ids = try String.fetchAll(
                    db,
                    sql: """
                        SELECT subject_id FROM (
                            SELECT subject_id FROM inputs WHERE subject_id > ?1
                            UNION SELECT subject_id FROM grades WHERE subject_id > ?1)
                        ORDER BY subject_id LIMIT ?2
                        """,
                    arguments: [after, batch])
                guard let last = ids.last else {
                    try recordModel(on: day, in: db)
                    return (nil, 0, 0)
                }
                // The batch's inputs and listings in two range reads, grouped by subject.
                var inputs: [String: [GradeInput]] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT record_id, kind, severity, performance, decided, department, subject_id FROM inputs
                        WHERE subject_id > ? AND subject_id <= ?
                        """, arguments: [after, last])
                {
                    if let input = Self.input(of: row) { inputs[row[6], default: []].append(input.input) }
                }
                var listings: [String: [ListType]] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT subject_id, list FROM scored_listings WHERE subject_id > ? AND subject_id <= ?",
                    arguments: [after, last])
                {
                    if let list = ListType(rawValue: row[1]) { listings[row[0], default: []].append(list) }
                }
                var changes = 0
                for id in ids where try regrade(id, name: nil, inputs: inputs[id] ?? [], listings: listings[id] ?? [], on: day, in: db) {
                    changes += 1
                }
                if ids.count < batch { try recordModel(on: day, in: db) }
                return (ids.last, ids.count, changes)
            }
            subjects += count
            changed += changes
            guard let last, count == batch else { return (subjects, changed) }
            after = last
        }
    }

    private func recordModel(on day: String, in db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO grading_model(id, version, definition, since) VALUES (1, ?, ?, ?)",
            arguments: [model.version, definition, day])
    }

    /// Regrades the subjects one of whose records entered a new recency band by `day`.
    func regradeDue(writer: any DatabaseWriter, on day: String) async throws -> Int {
        try await writer.write { db in
            let due = try String.fetchAll(db, sql: "SELECT subject_id FROM grades WHERE next_change <= ? LIMIT 10000", arguments: [day])
            for id in due { try regrade(id, on: day, in: db) }
            return due.count
        }
    }
}

struct GradingModelError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Regrades every subject when the model's version changed, then, every `interval`, the subjects whose
/// records moved to a new recency band (`grading.sweepSeconds`, default 3600).
struct GradingSweeper: Service {
    let grader: Grader
    let writer: any DatabaseWriter
    let clock: ServiceClock
    let interval: Duration
    let logger: Logger

    func run() async throws {
        do {
            if try await writer.read({ try grader.needsRegrade(in: $0) }) {
                let started = ContinuousClock.now
                let (subjects, changed) = try await grader.regradeAll(writer: writer, on: FieldDates.isoDate(clock.date))
                logger.info(
                    "Every subject graded under the evaluation model",
                    metadata: [
                        "model.version": "\(grader.model.version)", "grades.subjects": "\(subjects)", "grades.changed": "\(changed)",
                        "regrade.seconds": "\((ContinuousClock.now - started).components.seconds)",
                    ])
            }
        } catch {
            logger.error("Regrading under the evaluation model failed; it is retried at the next start", metadata: ["error": "\(error)"])
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let due = try await grader.regradeDue(writer: writer, on: FieldDates.isoDate(clock.date))
                if due > 0 { logger.info("Subjects regraded as their records aged", metadata: ["grades.subjects": "\(due)"]) }
                if due == 10_000 { continue }
            } catch {
                logger.error("Regrading aged records failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [clock, interval] in try await clock.sleep(for: interval) }
        }
    }
}
