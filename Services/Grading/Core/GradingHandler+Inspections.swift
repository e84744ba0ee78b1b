import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// An inspection result as a department enters it (`inspection.result`).
public struct ResultEntry: Codable, Sendable {
    public var draw: String
    public var subject: String
    /// `passed`, `problems-found` or `not-located`.
    public var outcome: String
    /// What was found; required for `problems-found`.
    public var findings: String?
    /// The inspection record's number (default: the draw's id and the subject's code).
    public var document: String?
    /// The day of the inspection, yyyy-MM-dd (default: today).
    public var date: String?

    public init(draw: String, subject: String, outcome: String, findings: String? = nil, document: String? = nil, date: String? = nil) {
        self.draw = draw
        self.subject = subject
        self.outcome = outcome
        self.findings = findings
        self.document = document
        self.date = date
    }
}

/// Inspections (双随机、一公开): `inspection.plans`, `inspection.draw`, `inspection.get`, `inspection.list`,
/// `inspection.result` (docs/PROTOCOL.md, 8.2). A draw and its `inspection.drawn` event commit together,
/// as does a result and its `inspection.result` event, which the registry turns into a record and the
/// portal publishes.
extension GradingHandler {
    func addInspectionCommands(to commands: inout CommandTable) {
        struct DrawBody: Decodable, Sendable {
            var plan: String
            var seedSource: String
        }
        struct IDBody: Decodable, Sendable { var id: String }
        struct ListBody: Decodable, Sendable {
            var plan: String?
            var limit: Int?
        }
        commands.on("inspection.plans", access: .anyone, audit: .query) { _ in plans.plans }
        commands.on(
            "inspection.draw", access: .except(.service, because: "a department draws its own plans, the credit office any plan"),
            audit: .audited, body: DrawBody.self
        ) { body, caller in
            try await draw(plan: body.plan, seedSource: body.seedSource, by: caller.context)
        }
        commands.on("inspection.get", access: .anyone, audit: .query, body: IDBody.self) { body, _ in
            guard let draw = try await writer.read({ try InspectionSchema.draw(body.id.trimmingCharacters(in: .whitespaces), in: $0) })
            else {
                throw ReplyError(.notFound, "inspection.get: no draw \(body.id); creditctl inspect list shows the draws")
            }
            return draw
        }
        commands.on("inspection.list", access: .anyone, audit: .query, body: ListBody.self) { body, _ in
            let limit = min(max(body.limit ?? 100, 1), 1_000)
            return try await writer.read { try InspectionSchema.draws(plan: body.plan, limit: limit, in: $0) }
        }
        commands.on("inspection.result", access: .department, audit: .audited, body: ResultEntry.self) { entry, caller in
            try await enter(entry, from: caller.department)
        }
        commands.on("inspection.assessment", access: .anyone, audit: .query, body: AssessmentQuery.self) { query, _ in
            try await inspectionWork(in: query.period(today: FieldDates.isoDate(clock.date), op: "inspection.assessment"))
        }
    }

    // MARK: - Drawing

    /// Draws a plan with a published seed source: the population as grading knows it now, the seed from
    /// both and the plan, the subjects and their inspectors; stored and announced (`inspection.drawn`).
    /// The same seed source and population again give the same draw back; one seed source serves one
    /// draw of a plan.
    public func draw(plan planID: String, seedSource rawSource: String, by context: RequestContext) async throws -> InspectionDraw {
        guard let plan = plans[planID.trimmingCharacters(in: .whitespaces)] else {
            let known =
                plans.ids.isEmpty ? "no plans are loaded (set grading.inspectionPlans)" : "plans: \(plans.ids.joined(separator: ", "))"
            throw ReplyError(.notFound, "inspection.draw: no inspection plan \(planID); \(known)")
        }
        let caller = context.department.flatMap { $0.isEmpty ? nil : $0 }
        let isOperator = context.role == .operator || (context.role == nil && caller == nil)
        if !isOperator, caller != plan.department {
            throw ReplyError(
                .forbidden,
                "inspection.draw: plan \(plan.id) is \(plan.department)'s; \(caller ?? "?") draws only its own plans (the credit office's operator key draws any)"
            )
        }
        let seedSource = rawSource.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !seedSource.isEmpty, seedSource.count <= 1_000 else {
            throw ReplyError(
                .invalid,
                "inspection.draw: seedSource must be 1–1000 characters: the value published before the draw, such as a lottery result with its date and issue"
            )
        }
        let drawnAt = WireTime.format(clock.date)
        return try await writer.write { db in
            let population = try InspectionSchema.population(plan.population, in: db)
            guard !population.isEmpty else {
                throw ReplyError(
                    .invalid,
                    "inspection.draw: plan \(plan.id) draws from nobody: no subject with records in force matches its population (\(describe(plan.population)))"
                )
            }
            let outcome: (seed: String, selected: [DrawAssignment])
            do {
                outcome = try InspectionDrawing.draw(plan: plan, seedSource: seedSource, population: population)
            } catch let error as DomainError {
                throw ReplyError(.invalid, "inspection.draw: \(error.reason)")
            }
            if let earlier = try InspectionSchema.draw(plan: plan.id, sourceDigest: InspectionDrawing.digest(seedSource), in: db) {
                guard earlier.seed == outcome.seed else {
                    throw ReplyError(
                        .conflict,
                        "inspection.draw: this seed source drew \(earlier.id) for plan \(plan.id) at \(earlier.drawnAt), from another population or plan; a seed source serves one draw: publish a new one before drawing again"
                    )
                }
                return earlier
            }
            var selected = outcome.selected
            for index in selected.indices {
                selected[index].subjectName = try GradingSchema.grade(of: selected[index].subject, in: db)?.subjectName
            }
            let draw = InspectionDraw(
                id: try InspectionSchema.nextDrawID(in: db), plan: plan, seedSource: seedSource, population: population, seed: outcome.seed,
                selected: selected, drawnAt: drawnAt, drawnBy: caller ?? "operator")
            try InspectionSchema.insert(draw, in: db)
            try log.append(db, type: "inspection.drawn", data: draw, id: "grading-inspection-\(draw.id)")
            var answer = draw
            answer.results = []
            return answer
        }
    }

    private func describe(_ population: InspectionPopulation) -> String {
        var parts = ["subject kinds " + population.subjectKinds.map(\.rawValue).joined(separator: ", ")]
        if !population.regions.isEmpty { parts.append("regions " + population.regions.joined(separator: ", ")) }
        if !population.recordKinds.isEmpty {
            parts.append("record kinds " + population.recordKinds.map(\.rawValue).joined(separator: ", "))
        }
        if !population.keywords.isEmpty { parts.append("keywords " + population.keywords.joined(separator: ", ")) }
        return parts.joined(separator: "; ")
    }

    // MARK: - Assessment

    /// Each department's draws made in `period`, the subjects they selected, and the results entered
    /// for those subjects (whenever entered), for the credit office's assessment.
    public func inspectionWork(in period: AssessmentPeriod) async throws -> [InspectionWork] {
        try await writer.read { db in
            var work: [String: InspectionWork] = [:]
            // drawn_at is a timestamp: every time on the period's last day sorts below "through~".
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT d.data,
                           (SELECT COUNT(*) FROM inspection_results r WHERE r.draw_id = d.id) AS results,
                           (SELECT COUNT(*) FROM inspection_results r WHERE r.draw_id = d.id
                              AND json_extract(r.data, '$.outcome') = 'problems-found') AS problems
                    FROM inspection_draws d WHERE d.drawn_at >= ?1 AND d.drawn_at <= ?2 || '~'
                    """, arguments: [period.from, period.through])
            {
                let draw = try WireCoding.decode(InspectionDraw.self, from: Array((row["data"] as String).utf8))
                let department = draw.plan.department
                var entry = work[department] ?? InspectionWork(department: department, draws: 0, selected: 0, results: 0, problemsFound: 0)
                entry.draws += 1
                entry.selected += draw.selected.count
                entry.results += row["results"] as Int
                entry.problemsFound += row["problems"] as Int
                work[department] = entry
            }
            return work.values.sorted { $0.department < $1.department }
        }
    }

    // MARK: - Results

    /// Records what the inspection of a drawn subject found, once per draw and subject; entering it again
    /// corrects it (same document number). Announced as `inspection.result`.
    public func enter(_ entry: ResultEntry, from department: String) async throws -> InspectionResult {
        let drawID = entry.draw.trimmingCharacters(in: .whitespaces)
        let subject = Self.normalised(entry.subject)
        guard let outcome = InspectionOutcome(rawValue: entry.outcome.trimmingCharacters(in: .whitespaces)) else {
            throw ReplyError(
                .invalid,
                "inspection.result: outcome \"\(entry.outcome)\" must be one of \(InspectionOutcome.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let findings = entry.findings?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
        if outcome == .problemsFound, findings == nil {
            throw ReplyError(.invalid, "inspection.result: problems-found needs findings saying what was found")
        }
        let today = FieldDates.isoDate(clock.date)
        let date: String
        do {
            date = try entry.date.map { (text) throws(DomainError) in try FieldDates.isoDate(text, field: "date") } ?? today
        } catch {
            throw ReplyError(.invalid, "inspection.result: \(error.description)")
        }
        guard date <= today else { throw ReplyError(.invalid, "inspection.result: date \(date) is in the future (today is \(today))") }
        let enteredAt = WireTime.format(clock.date)
        return try await writer.write { db in
            guard let draw = try InspectionSchema.draw(drawID, in: db) else {
                throw ReplyError(.notFound, "inspection.result: no draw \(drawID); creditctl inspect list shows the draws")
            }
            guard draw.plan.department == department else {
                throw ReplyError(
                    .forbidden,
                    "inspection.result: draw \(draw.id) is of plan \(draw.plan.id), which is \(draw.plan.department)'s: only \(draw.plan.department) enters its results"
                )
            }
            guard let assignment = draw.selected.first(where: { $0.subject == subject }) else {
                throw ReplyError(
                    .invalid,
                    "inspection.result: \(subject) was not drawn in \(draw.id); drawn: \(draw.selected.prefix(10).map(\.subject).joined(separator: ", "))\(draw.selected.count > 10 ? " …" : "")"
                )
            }
            guard date >= String(draw.drawnAt.prefix(10)) else {
                throw ReplyError(.invalid, "inspection.result: date \(date) is before the draw \(draw.id) of \(draw.drawnAt.prefix(10))")
            }
            let earlier = draw.results?.first { $0.subject == subject }
            let defaultDocument = "\(draw.id)/\(subject)"
            let document = entry.document?.trimmingCharacters(in: .whitespaces).nonEmpty ?? earlier?.document ?? defaultDocument
            if let earlier, earlier.document != document {
                throw ReplyError(
                    .conflict,
                    "inspection.result: the result for \(subject) in \(draw.id) was entered as document \(earlier.document); a correction keeps that number"
                )
            }
            guard let kindText = try String.fetchOne(db, sql: "SELECT kind FROM subjects WHERE subject_id = ?", arguments: [subject]),
                let kind = SubjectKind(rawValue: kindText)
            else {
                throw ReplyError(.internal, "inspection.result: \(subject) is drawn but grading no longer knows its kind")
            }
            let name = try assignment.subjectName ?? GradingSchema.grade(of: subject, in: db)?.subjectName ?? subject
            let result = InspectionResult(
                draw: draw.id, plan: draw.plan.id, subject: subject, subjectName: name, subjectKind: kind,
                outcome: outcome, findings: findings, document: document, date: date, department: department,
                authority: draw.plan.authority, basis: draw.plan.basis, inspectors: assignment.inspectors, enteredAt: enteredAt)
            if let earlier {
                var unchanged = earlier
                unchanged.enteredAt = enteredAt
                if unchanged == result { return earlier }
            }
            try InspectionSchema.save(result, in: db)
            try log.append(db, type: "inspection.result", data: result)
            return result
        }
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
