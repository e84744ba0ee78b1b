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

/// repair's tables: a replica of dispatch's listings (to know who may decide) and the applications.
public enum RepairSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("repair-v1") { db in
            try db.create(table: "known_listings") { t in
                t.primaryKey("id", .text)
                t.column("subject_id", .text).notNull()
                t.column("initiator", .text).notNull()
                t.column("status", .text).notNull()
            }
            try db.create(table: "applications") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("listing_id", .text).notNull().indexed()
                t.column("status", .text).notNull()
                t.column("data", .text).notNull()
            }
        }
        // Objections (异议) to records and listings, and what repair knows of the registry's records.
        migrator.registerMigration("repair-v2-objections") { db in
            try db.create(table: "known_records") { t in
                t.primaryKey("id", .text)
                t.column("subject_id", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("source", .text).notNull()
                t.column("version", .integer).notNull()
            }
            try db.alter(table: "known_listings") { t in t.add(column: "source_record", .text) }
            try db.create(table: "objections") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("target_kind", .text).notNull()
                t.column("target_id", .text).notNull()
                t.column("subject_id", .text).notNull().indexed()
                t.column("decider", .text).notNull()
                t.column("status", .text).notNull()
                t.column("data", .text).notNull()
            }
            try db.create(index: "objections_by_target", on: "objections", columns: ["target_kind", "target_id", "status"])
            try db.create(table: "objection_evidence") { t in
                t.column("objection_id", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("name", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("content", .blob).notNull()
                t.primaryKey(["objection_id", "position"])
            }
        }
        // Repair of records (a penalty after its minimum publicity period): what repair must know of a
        // record to judge eligibility, the application's target, and evidence. The registry is replayed
        // so that records already known get their dates and content.
        migrator.registerMigration("repair-v3-record-repairs") { db in
            try db.alter(table: "known_records") { t in
                t.add(column: "decision_date", .text)
                t.add(column: "negative", .boolean).notNull().defaults(to: false)
                t.add(column: "state", .text).notNull().defaults(to: "in-force")
                t.add(column: "data", .text)
            }
            try db.create(index: "known_records_by_subject", on: "known_records", columns: ["subject_id", "decision_date"])
            try db.alter(table: "applications") { t in
                t.add(column: "record_id", .text)
                t.add(column: "subject_id", .text)
                t.add(column: "decider", .text)
            }
            try db.execute(
                sql: "UPDATE applications SET subject_id = json_extract(data, '$.subjectID'), decider = json_extract(data, '$.initiator')")
            try db.create(index: "applications_by_record", on: "applications", columns: ["record_id", "status"])
            try db.create(table: "repair_evidence") { t in
                t.column("application_id", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("name", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("sha256", .text).notNull()
                t.column("content", .blob).notNull()
                t.primaryKey(["application_id", "position"])
            }
            // Submissions from the portal, held until an operator files or declines them.
            try db.create(table: "intake") { t in
                t.primaryKey("id", .text)
                t.column("number", .integer).notNull().unique()
                t.column("status", .text).notNull().indexed()
                t.column("data", .text).notNull()
            }
            try db.execute(sql: "DELETE FROM bus_checkpoints WHERE stream = 'registry'")
        }
    }
}

/// Keeps what repair needs to know of dispatch's listings: subject, initiator, status.
struct ListingsApplier: StreamApplier {
    /// `known_listings` is a copy of dispatch's listings: when dispatch went back (restored from a
    /// backup), it is dropped and replayed from dispatch's log.
    var supportsRebuild: Bool { true }

    func resetForRebuild(in db: Database) throws {
        try db.execute(sql: "DELETE FROM known_listings")
    }

    func apply(_ event: Event, in db: Database) throws {
        let listingEvents = [
            "list.added", "list.removed", "list.extended", "list.pending", "list.objected", "list.confirmed", "list.updated",
            "list.suspended", "list.resumed",
        ]
        guard listingEvents.contains(event.type) else { return }
        let listing = try event.decodeData(Listing.self)
        try db.execute(
            sql: "INSERT OR REPLACE INTO known_listings(id, subject_id, initiator, status, source_record) VALUES (?, ?, ?, ?, ?)",
            arguments: [listing.id, listing.subjectID, listing.initiator.rawValue, listing.status.rawValue, listing.sourceRecord])
    }
}

/// repair's ops: repair applications (`repair.*`, Repairs.swift) and objections (`objection.*`,
/// Objections.swift). Decisions are announced on the `repair` stream; sanction-dispatch and the registry
/// follow it, so an approved repair lifts its listing at every interceptor or marks its record repaired.
public struct RepairHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    let authority: AuthorityRules
    let objectionPolicy: ObjectionPolicy
    let repairPolicy: RepairPolicy
    /// The days deadlines count from and are checked against.
    let clock: ServiceClock

    public init(
        writer: any DatabaseWriter, log: EventLog, authority: AuthorityRules = .standard,
        objectionPolicy: ObjectionPolicy = ObjectionPolicy(), repairPolicy: RepairPolicy = RepairPolicy(),
        clock: ServiceClock = .system
    ) {
        self.writer = writer
        self.log = log
        self.authority = authority
        self.objectionPolicy = objectionPolicy
        self.repairPolicy = repairPolicy
        self.clock = clock
    }

    /// Today's date (UTC) by the clock, `yyyy-MM-dd`.
    func today() -> String { FieldDates.isoDate(clock.date) }

    public var commands: CommandTable {
        var commands = CommandTable(service: "repair")
        declareRepairs(in: &commands)
        declareObjections(in: &commands)
        declareIntake(in: &commands)
        return commands
    }

    public func status() async -> JSONValue {
        let repairs = await repairCounts()
        let objections = await objectionCounts()
        return .object([
            "pendingApplications": .int(Int64(repairs.open)), "overdueApplications": .int(Int64(repairs.overdue)),
            "openObjections": .int(Int64(objections.open)), "overdueObjections": .int(Int64(objections.overdue)),
        ])
    }

    /// `credit_repairs_open`, `credit_repairs_overdue`, `credit_objections_open` and
    /// `credit_objections_overdue`, counted as `status` counts them, when the metrics are scraped.
    public func expose(in metrics: ServiceMetrics) {
        let gauges = [MetricName.repairsOpen, .repairsOverdue, .objectionsOpen, .objectionsOverdue].map { metrics.gauge($0) }
        metrics.onScrape {
            let repairs = await repairCounts()
            let objections = await objectionCounts()
            for (gauge, value) in zip(gauges, [repairs.open, repairs.overdue, objections.open, objections.overdue]) {
                gauge.record(value)
            }
        }
    }
}

/// Assembles repair. Config keys: `repair.pub`, `repair.router`, `repair.metrics` (where it serves
/// `/metrics`), the endpoints of dispatch and the
/// registry (it follows both), `objection.*` (docs/CONFIG.md) and the suite's working-day calendar
/// (`dispatch.calendar`).
public enum RepairService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "repair")) { RepairSchema.register(in: &$0) }
        let log = EventLog(stream: CentralService.repair.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.repair.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .repair)
        let dispatch = try topology.endpoints(of: .dispatch)
        let registry = try topology.endpoints(of: .registry)
        let handler = RepairHandler(
            writer: database, log: log,
            authority: try topology.config.section("authority", default: .standard, parse: AuthorityRules.parse),
            objectionPolicy: try objectionPolicy(topology.config), repairPolicy: try repairPolicy(topology.config))
        let metricsAddress = try topology.metricsAddress(of: .repair)
        let metrics = ServiceMetrics(service: log.stream)
        handler.expose(in: metrics)
        return [
            BusServer(
                service: "repair", options: security.secure(try topology.serverOptions(section: "repair", endpoints: endpoints)),
                log: log, reader: database, handler: handler, metrics: metrics, logger: logger),
            StreamSubscriber(
                stream: "dispatch", options: try security.subscriber(toward: dispatch),
                sink: DatabaseStreamSink(stream: "dispatch", writer: database, applier: ListingsApplier(), logger: logger),
                metrics: metrics, logger: logger),
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(stream: "registry", writer: database, applier: RecordsApplier(), logger: logger),
                metrics: metrics, logger: logger),
            HTTPListener.metrics(
                key: CentralService.repair.metricsKey, host: metricsAddress.host, port: metricsAddress.port, metrics: metrics,
                logger: logger),
        ]
    }

    /// `repair.*` and `publicity.*`, each checked; a bad value stops start-up naming the key.
    static func repairPolicy(_ config: SuiteConfig) throws -> RepairPolicy {
        let (calendar, _) = try config.file("dispatch.calendar", default: "config/calendar.yaml", load: WorkingCalendar.load(contentsOf:))
        var kinds: Set<RecordKind> = []
        for name in config.string("repair.recordKinds", default: RecordKind.penalty.rawValue).split(separator: ",") {
            let text = name.trimmingCharacters(in: .whitespaces)
            guard let kind = RecordKind(rawValue: text) else {
                throw ConfigError(
                    key: "repair.recordKinds", source: config.lookup("repair.recordKinds")?.source ?? "config",
                    reason: "\"\(text)\" is not a record kind (\(RecordKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            kinds.insert(kind)
        }
        let deciderText = config.string("repair.recordDecider", default: "source")
        var decider: Department?
        if deciderText != "source" {
            guard let department = try? Department(validating: deciderText) else {
                throw ConfigError(
                    key: "repair.recordDecider", source: config.lookup("repair.recordDecider")?.source ?? "config",
                    reason: "\"\(deciderText)\" is neither source nor a department name")
            }
            decider = department
        }
        let publicity = try config.section("publicity", default: PublicityRules(), parse: PublicityRules.parse)
        return RepairPolicy(
            acceptWorkingDays: try config.int("repair.acceptWorkingDays", default: 3, range: 1...30),
            decideWorkingDays: try config.int("repair.decideWorkingDays", default: 10, range: 1...90),
            recordKinds: kinds, reoffenceMonths: try config.int("repair.reoffenceMonths", default: 12, range: 0...120),
            recordDecider: decider, requireProof: try config.bool("repair.requireProof", default: true),
            publicity: publicity, calendar: calendar)
    }

    /// `objection.*`, each checked against its range; a bad value stops start-up naming the key.
    static func objectionPolicy(_ config: SuiteConfig) throws -> ObjectionPolicy {
        let (calendar, _) = try config.file("dispatch.calendar", default: "config/calendar.yaml", load: WorkingCalendar.load(contentsOf:))
        let suspensionText = config.string("objection.suspendPolicy", default: "review")
        guard let suspension = Objection.Suspension(rawValue: suspensionText) else {
            throw ConfigError(
                key: "objection.suspendPolicy", source: config.lookup("objection.suspendPolicy")?.source ?? "config",
                reason: "\"\(suspensionText)\" is not one of review, allow, none")
        }
        var keepInForce: Set<RecordKind> = []
        for name in config.string("objection.keepInForce", default: RecordKind.courtDishonestDebtor.rawValue).split(separator: ",") {
            let text = name.trimmingCharacters(in: .whitespaces)
            guard let kind = RecordKind(rawValue: text) else {
                throw ConfigError(
                    key: "objection.keepInForce", source: config.lookup("objection.keepInForce")?.source ?? "config",
                    reason: "\"\(text)\" is not a record kind (\(RecordKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            keepInForce.insert(kind)
        }
        let files = try config.int("objection.maxEvidenceFiles", default: 5, range: 0...50)
        let bytes = try config.int("objection.maxEvidenceBytes", default: 2 << 20, range: 1_024...(8 << 20))
        // Evidence travels base64 in one request frame of at most 16 MiB: keep 2 MiB for the rest.
        guard files * bytes / 3 * 4 <= 14 << 20 else {
            throw ConfigError(
                key: "objection.maxEvidenceBytes", source: config.lookup("objection.maxEvidenceBytes")?.source ?? "config",
                reason:
                    "\(files) files of \(bytes) bytes do not fit a request (base64, at most 14 MiB of evidence in a 16 MiB frame); lower it or objection.maxEvidenceFiles"
            )
        }
        return ObjectionPolicy(
            acknowledgeWorkingDays: try config.int("objection.acknowledgeWorkingDays", default: 2, range: 1...30),
            decideWorkingDays: try config.int("objection.decideWorkingDays", default: 5, range: 1...90),
            suspension: suspension, keepInForce: keepInForce,
            maxEvidenceFiles: files, maxEvidenceBytes: bytes,
            calendar: calendar)
    }
}
