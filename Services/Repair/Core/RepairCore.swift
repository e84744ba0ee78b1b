import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
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
    }
}

/// Keeps what repair needs to know of dispatch's listings: subject, initiator, status.
struct ListingsApplier: StreamApplier {
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

/// repair's ops: `repair.apply` (a subject applies for one listing with a credit commitment, Shaanxi Plan
/// 三(一)1), `repair.approve` and `repair.reject` (only by the listing's initiating department),
/// `repair.get`. An approval is announced as `repair.approved`; sanction-dispatch follows this stream and
/// removes the listing, and every interceptor lifts it.
public struct RepairHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    let authority: AuthorityRules
    let objectionPolicy: ObjectionPolicy
    /// The days objection deadlines count from and are checked against.
    let clock: ServiceClock

    public init(
        writer: any DatabaseWriter, log: EventLog, authority: AuthorityRules = .standard,
        objectionPolicy: ObjectionPolicy = ObjectionPolicy(),
        clock: ServiceClock = .system
    ) {
        self.writer = writer
        self.log = log
        self.authority = authority
        self.objectionPolicy = objectionPolicy
        self.clock = clock
    }

    /// Today's date (UTC) by the clock, `yyyy-MM-dd`.
    func today() -> String { FieldDates.isoDate(clock.date) }

    /// Who may file an application for a subject: the credit office's operators (who take them from
    /// subjects; the platform handles 信用修复, Huzhou Joint Reward and Punishment Opinions item 1), or a
    /// department with authority over the listing. Without CURVE (`--insecure`) anyone, as before.
    func mayFile(for initiator: String, context: RequestContext) throws(ReplyError) {
        // A service's key is refused by the command's access rule.
        guard context.role == .department else { return }
        let department = context.department ?? ""
        try authority.enforce("repair.apply") { try $0.mayDecide(forInitiator: initiator, department: department) }
    }

    public var commands: CommandTable {
        struct Application: Decodable, Sendable {
            var listing: String; var commitment: String?; var reason: String?; var applicant: String?
        }
        struct Decision: Decodable, Sendable { var application: String; var note: String? }
        struct ApplicationRef: Decodable, Sendable { var application: String }
        var commands = CommandTable(service: "repair")
        commands.on(
            "repair.apply", access: .except(.service, because: "applications come from the credit office or a department"),
            audit: .audited, body: Application.self
        ) { request, caller in
            try await apply(
                listing: request.listing, commitment: request.commitment, reason: request.reason, applicant: request.applicant,
                context: caller.context)
        }
        for (name, approve) in [("repair.approve", true), ("repair.reject", false)] {
            commands.on(name, access: .department, audit: .audited, body: Decision.self) { request, caller in
                try await decide(request.application, approve: approve, by: caller.department, note: request.note)
            }
        }
        commands.on("repair.get", access: .anyone, audit: .query, body: ApplicationRef.self) { request, _ in
            guard let application = try await writer.read({ try Self.application(request.application, in: $0) }) else {
                throw ReplyError(.notFound, "repair.get: no application \(request.application)")
            }
            return application
        }
        declareObjections(in: &commands)
        return commands
    }

    func apply(
        listing id: String, commitment: String?, reason: String?, applicant: String?,
        context: RequestContext = RequestContext(department: nil, authenticated: false)
    ) async throws -> RepairApplication {
        // The subject's own credit-repair commitment letter (信用修复承诺书) is required: no stock text.
        let text = commitment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard text.count >= 10 else {
            throw ReplyError(
                .invalid,
                "repair.apply: commitment is required: the subject's credit-repair commitment letter (信用修复承诺书), at least 10 characters, in its own words"
            )
        }
        guard text.count <= 4_000, (reason ?? "").count <= 4_000 else {
            throw ReplyError(.invalid, "repair.apply: commitment and reason are limited to 4000 characters")
        }
        return try await writer.write { [log] db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT subject_id, initiator, status FROM known_listings WHERE id = ?", arguments: [id])
            else {
                throw ReplyError(.notFound, "repair.apply: listing \(id) is not known to repair (yet); check the id with creditctl")
            }
            try mayFile(for: row["initiator"], context: context)
            guard (row["status"] as String) == Listing.Status.active.rawValue else {
                throw ReplyError(.conflict, "repair.apply: listing \(id) is no longer active")
            }
            if let pending = try String.fetchOne(
                db, sql: "SELECT id FROM applications WHERE listing_id = ? AND status = 'pending'", arguments: [id])
            {
                throw ReplyError(.conflict, "repair.apply: listing \(id) already has a pending application \(pending)")
            }
            let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM applications") ?? 0) + 1
            let application = RepairApplication(
                id: String(format: "A-%06lld", number), listingID: id, subjectID: row["subject_id"],
                initiator: Department(rawValue: row["initiator"]), applicant: applicant, commitment: text,
                reason: reason ?? "conduct corrected and harm removed", appliedAt: WireTime.now)
            try db.execute(
                sql: "INSERT INTO applications(id, number, listing_id, status, data) VALUES (?, ?, ?, ?, ?)",
                arguments: [application.id, number, id, application.status.rawValue, try Self.text(application)])
            try log.append(db, type: "repair.applied", data: application)
            return application
        }
    }

    func decide(_ id: String, approve: Bool, by department: String, note: String?) async throws -> RepairApplication {
        let op = approve ? "repair.approve" : "repair.reject"
        return try await writer.write { [log] db in
            guard var application = try Self.application(id, in: db) else {
                throw ReplyError(.notFound, "\(op): no application \(id)")
            }
            // The initiating department decides on its listing (谁认定、谁修复; Huzhou Judgment-Debtor Opinions
            // 二(三)2), or a department whose authority approves for that initiator
            // (authority.<dept>.approves).
            let initiator = application.initiator.rawValue
            try authority.enforce("\(op): \(application.listingID) was initiated by \(initiator)") {
                try $0.mayDecide(forInitiator: initiator, department: department)
            }
            guard application.status == .pending else {
                throw ReplyError(.conflict, "\(op): application \(id) is already \(application.status.rawValue)")
            }
            application.status = approve ? .approved : .rejected
            application.decidedBy = Department(rawValue: department)
            application.decidedAt = WireTime.now
            application.decisionNote = note
            try db.execute(
                sql: "UPDATE applications SET status = ?, data = ? WHERE id = ?",
                arguments: [application.status.rawValue, try Self.text(application), id])
            try log.append(db, type: approve ? "repair.approved" : "repair.rejected", data: application)
            return application
        }
    }

    static func application(_ id: String, in db: Database) throws -> RepairApplication? {
        try String.fetchOne(db, sql: "SELECT data FROM applications WHERE id = ?", arguments: [id])
            .map { try WireCoding.decode(RepairApplication.self, from: Array($0.utf8)) }
    }

    static func text(_ application: RepairApplication) throws -> String {
        String(decoding: try WireCoding.encode(application), as: UTF8.self)
    }

    public func status() async -> JSONValue {
        let pending = try? await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM applications WHERE status = 'pending'") }
        let objections = await objectionCounts()
        return .object([
            "pendingApplications": .int(Int64(pending.flatMap { $0 } ?? 0)), "openObjections": .int(Int64(objections.open)),
            "overdueObjections": .int(Int64(objections.overdue)),
        ])
    }
}

/// Assembles repair. Config keys: `repair.pub`, `repair.router`, the endpoints of dispatch and the
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
            objectionPolicy: try objectionPolicy(topology.config))
        return [
            BusServer(
                service: "repair", options: security.secure(try topology.serverOptions(section: "repair", endpoints: endpoints)),
                log: log, reader: database, handler: handler, logger: logger),
            StreamSubscriber(
                stream: "dispatch", options: try security.subscriber(toward: dispatch),
                sink: DatabaseStreamSink(stream: "dispatch", writer: database, applier: ListingsApplier(), logger: logger),
                logger: logger),
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(stream: "registry", writer: database, applier: RecordsApplier(), logger: logger),
                logger: logger),
        ]
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
