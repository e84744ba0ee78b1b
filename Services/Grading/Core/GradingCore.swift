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
    }

    static func grade(of subject: String, in db: Database) throws -> SubjectGrade? {
        try String.fetchOne(db, sql: "SELECT data FROM grades WHERE subject_id = ?", arguments: [subject])
            .map { try WireCoding.decode(SubjectGrade.self, from: Array($0.utf8)) }
    }
}

/// Follows the registry: each stored record becomes an input of its subject's evaluation
/// (GradingRules, documented there); a changed grade is announced as `grade.changed`.
struct GradingApplier: StreamApplier {
    let log: EventLog

    /// A new record adds an input; a correction (`record.corrected`) replaces it with the current
    /// version's kind and severity and re-scores the subject.
    func apply(_ event: Event, in db: Database) throws {
        if event.type == "record.withdrawn" || event.type == "record.repaired" {
            // Withdrawn as wrong (a revoked objection), or repaired: it no longer counts.
            guard let id = event.data["id"]?.stringValue, let subject = event.data["subjectID"]?.stringValue else { return }
            try db.execute(sql: "INSERT OR IGNORE INTO excluded(record_id) VALUES (?)", arguments: [id])
            try db.execute(sql: "DELETE FROM inputs WHERE record_id = ?", arguments: [id])
            guard db.changesCount > 0 else { return }
            let name = try GradingSchema.grade(of: subject, in: db)?.subjectName ?? ""
            return try regrade(subject, name: name, in: db)
        }
        guard event.type == "record.stored" || event.type == "record.corrected" else { return }
        struct Stored: Decodable { var id: String; var record: CreditRecord }
        let stored = try event.decodeData(Stored.self)
        let record = stored.record
        guard try !(Bool.fetchOne(db, sql: "SELECT 1 FROM excluded WHERE record_id = ?", arguments: [stored.id]) ?? false) else { return }
        // The subject's kind and the record's category and summary: what inspection populations select by.
        try db.execute(
            sql: "INSERT OR REPLACE INTO subjects(subject_id, kind) VALUES (?, ?)",
            arguments: [record.subjectID, record.subjectKind.rawValue])
        let verb = event.type == "record.stored" ? "INSERT OR IGNORE" : "INSERT OR REPLACE"
        try db.execute(
            sql: "\(verb) INTO inputs(record_id, subject_id, kind, severity, category, summary) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [stored.id, record.subjectID, record.kind.rawValue, record.severity?.rawValue, record.category, record.summary])
        guard db.changesCount > 0 else {
            // Stored before inspections were added (the registry stream is read again once for this).
            try db.execute(
                sql: "UPDATE inputs SET category = ?, summary = ? WHERE record_id = ? AND summary IS NULL",
                arguments: [record.category, record.summary, stored.id])
            return
        }
        try regrade(record.subjectID, name: record.subjectName, in: db)
    }

    /// Scores a subject from its inputs and announces a changed grade.
    func regrade(_ subject: String, name: String, in db: Database) throws {
        let inputs = try Row.fetchAll(db, sql: "SELECT kind, severity FROM inputs WHERE subject_id = ?", arguments: [subject])
            .compactMap { row -> GradeInput? in
                guard let kind = RecordKind(rawValue: row["kind"]) else { return nil }
                return GradeInput(kind: kind, severity: (row["severity"] as String?).flatMap(Severity.init(rawValue:)))
            }
        let result = GradingRules.grade(inputs)
        let grade = SubjectGrade(
            subjectID: subject, subjectName: name, score: result.score, grade: result.grade, supervision: result.supervision,
            records: inputs.count)
        let previous = try GradingSchema.grade(of: subject, in: db)
        try db.execute(
            sql: "INSERT OR REPLACE INTO grades(subject_id, data) VALUES (?, ?)",
            arguments: [subject, String(decoding: try WireCoding.encode(grade), as: UTF8.self)])
        if previous?.score != grade.score || previous?.grade != grade.grade {
            try log.append(db, type: "grade.changed", data: grade)
        }
    }
}

/// grading's ops: `grade.get {subject}`, `grade.explain {subject}`, and the inspection ops
/// (`GradingHandler+Inspections.swift`).
public struct GradingHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    let plans: InspectionPlans
    let clock: ServiceClock

    public init(writer: any DatabaseWriter, log: EventLog, plans: InspectionPlans = InspectionPlans(), clock: ServiceClock = .system) {
        self.writer = writer
        self.log = log
        self.plans = plans
        self.clock = clock
    }

    public var commands: CommandTable {
        struct Query: Decodable, Sendable { var subject: String }
        var commands = CommandTable(service: "grading")
        commands.on("grade.get", access: .anyone, audit: .query, body: Query.self) { query, _ in
            let subject = Self.normalised(query.subject)
            if let grade = try await writer.read({ try GradingSchema.grade(of: subject, in: $0) }) {
                return grade
            }
            // No record yet: the baseline grade.
            let result = GradingRules.grade([])
            return SubjectGrade(
                subjectID: subject, subjectName: "", score: result.score, grade: result.grade, supervision: result.supervision,
                records: 0)
        }
        commands.on("grade.explain", access: .anyone, audit: .query, body: Query.self) { query, _ in
            try await explain(Self.normalised(query.subject))
        }
        addInspectionCommands(to: &commands)
        return commands
    }

    /// Every part of a subject's score, each record with the rule, weight and contribution.
    public func explain(_ subject: String) async throws -> GradeExplanation {
        try await writer.read { db in
            let records = try Row.fetchAll(
                db, sql: "SELECT record_id, kind, severity FROM inputs WHERE subject_id = ? ORDER BY record_id", arguments: [subject]
            ).compactMap { row -> (record: String, input: GradeInput)? in
                guard let kind = RecordKind(rawValue: row["kind"]) else { return nil }
                return (row["record_id"], GradeInput(kind: kind, severity: (row["severity"] as String?).flatMap(Severity.init(rawValue:))))
            }
            var explanation = GradingRules.explain(records)
            explanation.subjectID = subject
            explanation.subjectName = try GradingSchema.grade(of: subject, in: db)?.subjectName ?? ""
            return explanation
        }
    }

    static func normalised(_ subject: String) -> String { subject.trimmingCharacters(in: .whitespaces).uppercased() }
}

/// Assembles grading. Config keys: `grading.pub`, `grading.router`, `grading.inspectionPlans` (the
/// inspection plans file; none when unset), `grading.metrics` (where it serves `/metrics`), and the
/// registry's endpoints.
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
        let security = try topology.serviceSecurity(as: CentralService.grading.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .grading)
        let registry = try topology.endpoints(of: .registry)
        let metricsAddress = try topology.metricsAddress(of: .grading)
        let metrics = ServiceMetrics(service: log.stream)
        return [
            BusServer(
                service: "grading", options: security.secure(try topology.serverOptions(section: "grading", endpoints: endpoints)),
                log: log, reader: database, handler: GradingHandler(writer: database, log: log, plans: plans), metrics: metrics,
                logger: logger),
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(stream: "registry", writer: database, applier: GradingApplier(log: log), logger: logger),
                metrics: metrics, logger: logger),
            HTTPListener.metrics(
                key: CentralService.grading.metricsKey, host: metricsAddress.host, port: metricsAddress.port, metrics: metrics,
                logger: logger),
        ]
    }
}
