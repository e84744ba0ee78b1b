import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Logging
import MeshMetrics
import MeshProtocol
import ServiceKit
import ServiceLifecycle

/// A subject's current grade as grading announces it (`grade.changed`).
public struct SubjectGrade: Codable, Sendable, Equatable {
    public var subjectID: String
    public var subjectName: String
    public var score: Int
    public var grade: CreditGrade
    public var supervision: SupervisionClass
    public var records: Int
    /// The evaluation model's version the grade was made with.
    public var model: String?
    /// Each industry model's score and grade, when the model has industry models.
    public var industries: [IndustryGrade]?

    public init(
        subjectID: String, subjectName: String, score: Int, grade: CreditGrade, supervision: SupervisionClass, records: Int,
        model: String? = nil, industries: [IndustryGrade]? = nil
    ) {
        self.subjectID = subjectID
        self.subjectName = subjectName
        self.score = score
        self.grade = grade
        self.supervision = supervision
        self.records = records
        self.model = model
        self.industries = industries
    }
}

public enum GradingSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("grading-v1") { db in
            try db.create(table: "inputs") { t in
                t.primaryKey("record_id", .text)
                t.column("subject_id", .text).notNull().indexed()
                t.column("kind", .text).notNull()
                t.column("severity", .text)
            }
            try db.create(table: "grades") { t in
                t.primaryKey("subject_id", .text)
                t.column("data", .text).notNull()
            }
        }
        // Records that no longer count: withdrawn as wrong, or repaired; a later correction does not
        // bring one back.
        migrator.registerMigration("grading-v2-excluded") { db in
            try db.create(table: "excluded") { t in t.primaryKey("record_id", .text) }
        }
        InspectionSchema.register(in: &migrator)
        // The evaluation model: each record's date, department and performance (recency, industry
        // models, commitments), the listings a model scores, the model grades were made with, and the
        // day a subject's grade changes by itself as its records age.
        migrator.registerMigration("grading-v4-model") { db in
            try db.alter(table: "inputs") { t in
                t.add(column: "decided", .text)
                t.add(column: "department", .text)
                t.add(column: "performance", .text)
            }
            try db.alter(table: "grades") { t in
                t.add(column: "grade", .text)
                t.add(column: "next_change", .text)
            }
            try db.create(index: "grades_next_change", on: "grades", columns: ["next_change"])
            try db.create(table: "scored_listings") { t in
                t.primaryKey("listing_id", .text)
                t.column("subject_id", .text).notNull().indexed()
                t.column("list", .text).notNull()
            }
            try db.create(table: "grading_model") { t in
                t.primaryKey("id", .integer)
                t.column("version", .text).notNull()
                t.column("definition", .text).notNull()
                t.column("since", .text).notNull()
            }
            // Inputs stored before lack the new facts: the registry stream is read again from its start
            // and fills them in; every subject is then regraded under the model.
            try db.execute(sql: "DELETE FROM bus_checkpoints WHERE stream = 'registry'")
        }
    }

    static func grade(of subject: String, in db: Database) throws -> SubjectGrade? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT data FROM grades WHERE subject_id = ?"), arguments: [subject])
            .map { try WireCoding.decode(SubjectGrade.self, from: Array($0.utf8)) }
    }
}

/// Follows the registry: each stored record becomes an input of its subject's evaluation
/// (`EvaluationModel`, configured); a changed grade is announced as `grade.changed`.
struct GradingApplier: StreamApplier {
    let grader: Grader
    let clock: ServiceClock

    var today: String { FieldDates.isoDate(clock.date) }

    /// A new record adds an input; a correction (`record.corrected`) replaces it with the current
    /// version's facts and re-scores the subject.
    func apply(_ event: Event, in db: Database) throws {
        if event.type == "record.withdrawn" || event.type == "record.repaired" {
            // Withdrawn as wrong (a revoked objection), or repaired: it no longer counts.
            guard let id = event.data["id"]?.stringValue, let subject = event.data["subjectID"]?.stringValue else { return }
            try db.execute(sql: "INSERT OR IGNORE INTO excluded(record_id) VALUES (?)", arguments: [id])
            try db.execute(sql: "DELETE FROM inputs WHERE record_id = ?", arguments: [id])
            guard db.changesCount > 0 else { return }
            try grader.regrade(subject, on: today, in: db)
            return
        }
        guard event.type == "record.stored" || event.type == "record.corrected" else { return }
        struct Stored: Decodable { var id: String; var source: String?; var record: CreditRecord }
        let stored = try event.decodeData(Stored.self)
        let record = stored.record
        guard try !(Bool.fetchOne(db, sql: "SELECT 1 FROM excluded WHERE record_id = ?", arguments: [stored.id]) ?? false) else { return }
        // The subject's kind and the record's category and summary: what inspection populations select by.
        try db.execute(
            sql: "INSERT OR REPLACE INTO subjects(subject_id, kind) VALUES (?, ?)",
            arguments: [record.subjectID, record.subjectKind.rawValue])
        let verb = event.type == "record.stored" ? "INSERT OR IGNORE" : "INSERT OR REPLACE"
        let facts: [(any DatabaseValueConvertible)?] = [
            record.kind.rawValue, record.severity?.rawValue, record.category, record.summary, record.decisionDate, stored.source,
            record.performance?.rawValue,
        ]
        try db.execute(
            sql: """
                \(verb) INTO inputs(record_id, subject_id, kind, severity, category, summary, decided, department, performance)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: StatementArguments([stored.id, record.subjectID] + facts))
        guard db.changesCount > 0 else {
            // Stored before these facts were kept (the registry stream is read again once for this).
            try db.execute(
                sql: """
                    UPDATE inputs SET kind = ?, severity = ?, category = ?, summary = ?, decided = ?, department = ?, performance = ?
                    WHERE record_id = ? AND decided IS NULL
                    """,
                arguments: StatementArguments(facts + [stored.id]))
            if db.changesCount > 0 { try grader.regrade(record.subjectID, name: record.subjectName, on: today, in: db) }
            return
        }
        try grader.regrade(record.subjectID, name: record.subjectName, on: today, in: db)
    }
}

/// Follows sanction-dispatch for the listings the model scores (the red list's incentive points).
struct ListingGradingApplier: StreamApplier {
    let grader: Grader
    let clock: ServiceClock

    func apply(_ event: Event, in db: Database) throws {
        guard ["list.added", "list.removed", "list.extended", "list.updated"].contains(event.type) else { return }
        let listing = try event.decodeData(Listing.self)
        guard grader.model.scoredLists.contains(listing.list) else { return }
        if event.type != "list.removed", listing.status == .active {
            try db.execute(
                sql: "INSERT OR IGNORE INTO scored_listings(listing_id, subject_id, list) VALUES (?, ?, ?)",
                arguments: [listing.id, listing.subjectID, listing.list.rawValue])
        } else {
            try db.execute(sql: "DELETE FROM scored_listings WHERE listing_id = ?", arguments: [listing.id])
        }
        guard db.changesCount > 0 else { return }
        try grader.regrade(listing.subjectID, name: listing.subjectName, on: FieldDates.isoDate(clock.date), in: db)
    }
}

/// grading's ops: `grade.get {subject}`, `grade.explain {subject, industry?}`, and the inspection
/// ops (`GradingHandler+Inspections.swift`).
public struct GradingHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    let grader: Grader
    let plans: InspectionPlans
    let clock: ServiceClock

    public init(
        writer: any DatabaseWriter, log: EventLog, model: EvaluationModel, plans: InspectionPlans = InspectionPlans(),
        clock: ServiceClock = .system
    ) {
        self.writer = writer
        self.log = log
        self.grader = Grader(model: model, log: log)
        self.plans = plans
        self.clock = clock
    }

    /// Applies the registry's events to grading's tables.
    public var registryApplier: some StreamApplier { GradingApplier(grader: grader, clock: clock) }
    /// Applies sanction-dispatch's listing events (the lists the model scores).
    public var listingApplier: some StreamApplier { ListingGradingApplier(grader: grader, clock: clock) }

    var today: String { FieldDates.isoDate(clock.date) }

    public var commands: CommandTable {
        struct Query: Decodable, Sendable { var subject: String }
        struct ExplainQuery: Decodable, Sendable { var subject: String; var industry: String? }
        var commands = CommandTable(service: "grading")
        commands.on("grade.get", access: .anyone, audit: .query, body: Query.self) { query, _ in
            let subject = Self.normalised(query.subject)
            if let grade = try await writer.read({ try GradingSchema.grade(of: subject, in: $0) }) {
                return grade
            }
            // No record yet: the baseline grade.
            let evaluation = grader.model.evaluate([], on: today)
            return SubjectGrade(
                subjectID: subject, subjectName: "", score: evaluation.result.score, grade: evaluation.result.grade,
                supervision: evaluation.result.supervision, records: 0, model: grader.model.version)
        }
        commands.on("grade.explain", access: .anyone, audit: .query, body: ExplainQuery.self) { query, _ in
            if let industry = query.industry, grader.model.industry(industry) == nil {
                let known = grader.model.industries.map(\.id)
                throw ReplyError(
                    .notFound,
                    "grade.explain: no industry model \(industry) in evaluation model \(grader.model.version); "
                        + (known.isEmpty ? "it has none" : "it has \(known.joined(separator: ", "))"))
            }
            return try await explain(Self.normalised(query.subject), industry: query.industry)
        }
        addInspectionCommands(to: &commands)
        return commands
    }

    /// Every part of a subject's score today, each record with the model, rule, weight, recency factor
    /// and contribution.
    public func explain(_ subject: String, industry: String? = nil) async throws -> GradeExplanation {
        try await writer.read { [today] db in try grader.explain(subject, industry: industry, on: today, in: db) }
    }

    /// Regrades every subject under the model (what a new model version does at start).
    public func regradeAll() async throws -> (subjects: Int, changed: Int) {
        try await grader.regradeAll(writer: writer, on: today)
    }

    static func normalised(_ subject: String) -> String { subject.trimmingCharacters(in: .whitespaces).uppercased() }
}

/// Assembles grading. Config keys: `grading.pub`, `grading.router`, `grading.model` (the evaluation
/// model, default `config/evaluation-model.yaml`), `grading.sweepSeconds` (how often subjects whose
/// records aged are regraded, default 3600), `grading.inspectionPlans` (the inspection plans file;
/// none when unset), `grading.metrics` (where it serves `/metrics`), and the endpoints of the registry
/// and of sanction-dispatch (followed when the model scores a list).
public enum GradingService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "grading")) { GradingSchema.register(in: &$0) }
        let log = EventLog(stream: CentralService.grading.rawValue)
        var plans = InspectionPlans()
        if topology.config.optionalString("grading.inspectionPlans") != nil {
            let path: String
            (plans, path) = try topology.config.file("grading.inspectionPlans", default: "", load: InspectionPlanLoader.load(contentsOf:))
            logger.info("Inspection plans loaded", metadata: ["plans.path": "\(path)", "plans.ids": "\(plans.ids.joined(separator: ","))"])
        }
        let (model, modelPath) = try topology.config.file(
            "grading.model", default: "config/evaluation-model.yaml", load: EvaluationModelLoader.load(contentsOf:))
        let sweepSeconds = try topology.config.int("grading.sweepSeconds", default: 3600, range: 1...86_400)
        let handler = GradingHandler(writer: database, log: log, model: model, plans: plans)
        // The same version with another definition is refused here, before anything is graded.
        let regradeAll = try database.read { try handler.grader.needsRegrade(in: $0) }
        logger.info(
            "Evaluation model loaded",
            metadata: ["model.path": "\(modelPath)", "model.version": "\(model.version)", "model.regradeAll": "\(regradeAll)"])
        let security = try topology.serviceSecurity(as: CentralService.grading.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .grading)
        let registry = try topology.endpoints(of: .registry)
        let metricsAddress = try topology.metricsAddress(of: .grading)
        let metrics = ServiceMetrics(service: log.stream)
        var services: [any Service] = [
            BusServer(
                service: "grading", options: security.secure(try topology.serverOptions(section: "grading", endpoints: endpoints)),
                log: log, reader: database, handler: handler, metrics: metrics, logger: logger),
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(stream: "registry", writer: database, applier: handler.registryApplier, logger: logger),
                metrics: metrics, logger: logger),
            GradingSweeper(grader: handler.grader, writer: database, clock: .system, interval: .seconds(sweepSeconds), logger: logger),
            HTTPListener.metrics(
                key: CentralService.grading.metricsKey, host: metricsAddress.host, port: metricsAddress.port, metrics: metrics,
                logger: logger),
        ]
        if !model.scoredLists.isEmpty {
            let dispatch = try topology.endpoints(of: .dispatch)
            services.append(
                StreamSubscriber(
                    stream: "dispatch", options: try security.subscriber(toward: dispatch),
                    sink: DatabaseStreamSink(stream: "dispatch", writer: database, applier: handler.listingApplier, logger: logger),
                    metrics: metrics, logger: logger))
        }
        return services
    }
}
