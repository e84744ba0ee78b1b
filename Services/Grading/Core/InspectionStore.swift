import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// grading's tables for inspections (双随机、一公开): the facts of each record the population is read
/// from, the draws and their results.
enum InspectionSchema {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("grading-v3-inspections") { db in
            // A record's category and summary (the industry a population names), and each subject's kind.
            try db.alter(table: "inputs") { t in
                t.add(column: "category", .text)
                t.add(column: "summary", .text)
            }
            try db.create(table: "subjects") { t in
                t.primaryKey("subject_id", .text)
                t.column("kind", .text).notNull()
            }
            try db.create(table: "inspection_draws") { t in
                t.primaryKey("id", .text)
                t.column("plan", .text).notNull()
                // SHA-256 of the seed source: one seed source draws once per plan.
                t.column("source_digest", .text).notNull()
                t.column("seed", .text).notNull()
                t.column("drawn_at", .text).notNull()
                t.column("data", .text).notNull()
                t.uniqueKey(["plan", "source_digest"])
            }
            try db.create(table: "inspection_results") { t in
                t.column("draw_id", .text).notNull()
                t.column("subject_id", .text).notNull()
                t.column("data", .text).notNull()
                t.primaryKey(["draw_id", "subject_id"])
            }
            // Inputs stored before this migration lack category, summary and the subject's kind: the
            // registry stream is read again from its start, which fills them in (applying an event
            // twice changes nothing else).
            try db.execute(sql: "DELETE FROM bus_checkpoints WHERE stream = 'registry'")
        }
    }

    /// The candidates of a population now: every subject with records in force that the population
    /// takes, with its grade, in code order; and their names.
    static func population(_ population: InspectionPopulation, in db: Database) throws -> [DrawCandidate] {
        let kinds = population.subjectKinds.filter { !$0.isNaturalPerson }.map(\.rawValue)
        guard !kinds.isEmpty else { return [] }
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT i.subject_id, s.kind AS subject_kind, i.kind, i.category, i.summary, g.grade
                FROM inputs i JOIN subjects s ON s.subject_id = i.subject_id LEFT JOIN grades g ON g.subject_id = i.subject_id
                WHERE s.kind IN (\(databaseQuestionMarks(count: kinds.count)))
                ORDER BY i.subject_id
                """,
            arguments: StatementArguments(kinds))
        var candidates: [DrawCandidate] = []
        var current: (subject: String, kind: SubjectKind, facts: [InspectionPopulation.RecordFacts], grade: CreditGrade)?
        func close() {
            guard let subject = current, population.includes(subject: subject.subject, kind: subject.kind, records: subject.facts) else {
                return
            }
            candidates.append(DrawCandidate(subject: subject.subject, grade: subject.grade))
        }
        while let row = try rows.next() {
            let subject: String = row["subject_id"]
            guard let kind = RecordKind(rawValue: row["kind"]), let subjectKind = SubjectKind(rawValue: row["subject_kind"]) else {
                continue
            }
            if current?.subject != subject {
                close()
                // Graded by the evaluation model as its records arrived; B (normal supervision) until then.
                current = (subject, subjectKind, [], (row["grade"] as String?).flatMap(CreditGrade.init(rawValue:)) ?? .B)
            }
            current?.facts.append(.init(kind: kind, category: row["category"], summary: row["summary"]))
        }
        close()
        return candidates
    }

    // MARK: - Draws

    static func draw(_ id: String, in db: Database) throws -> InspectionDraw? {
        guard let data = try String.fetchOne(db, sql: "SELECT data FROM inspection_draws WHERE id = ?", arguments: [id]) else { return nil }
        var draw = try WireCoding.decode(InspectionDraw.self, from: Array(data.utf8))
        draw.results = try results(of: id, in: db)
        return draw
    }

    static func draw(plan: String, sourceDigest: String, in db: Database) throws -> InspectionDraw? {
        guard
            let id = try String.fetchOne(
                db, sql: "SELECT id FROM inspection_draws WHERE plan = ? AND source_digest = ?", arguments: [plan, sourceDigest])
        else { return nil }
        return try draw(id, in: db)
    }

    /// `I-000001`, numbered in the order drawn.
    static func nextDrawID(in db: Database) throws -> String {
        let number = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inspection_draws") ?? 0) + 1
        let digits = String(number)
        return "I-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    static func insert(_ draw: InspectionDraw, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO inspection_draws(id, plan, source_digest, seed, drawn_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                draw.id, draw.plan.id, InspectionDrawing.digest(draw.seedSource), draw.seed, draw.drawnAt,
                String(decoding: try WireCoding.encode(draw), as: UTF8.self),
            ])
    }

    /// Summaries of the draws, newest first, of one plan or all.
    static func draws(plan: String?, limit: Int, in db: Database) throws -> [InspectionDrawSummary] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT d.data, (SELECT COUNT(*) FROM inspection_results r WHERE r.draw_id = d.id) AS results
                FROM inspection_draws d WHERE ?1 IS NULL OR d.plan = ?1 ORDER BY d.id DESC LIMIT ?2
                """,
            arguments: [plan, limit])
        return try rows.map { row in
            InspectionDrawSummary(
                try WireCoding.decode(InspectionDraw.self, from: Array((row["data"] as String).utf8)), results: row["results"])
        }
    }

    // MARK: - Results

    static func results(of draw: String, in db: Database) throws -> [InspectionResult] {
        try String.fetchAll(db, sql: "SELECT data FROM inspection_results WHERE draw_id = ? ORDER BY subject_id", arguments: [draw])
            .map { try WireCoding.decode(InspectionResult.self, from: Array($0.utf8)) }
    }

    static func save(_ result: InspectionResult, in db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO inspection_results(draw_id, subject_id, data) VALUES (?, ?, ?)",
            arguments: [result.draw, result.subject, String(decoding: try WireCoding.encode(result), as: UTF8.self)])
    }
}
