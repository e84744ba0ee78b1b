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
    }
}

/// Keeps what repair needs to know of dispatch's listings: subject, initiator, status.
struct ListingsApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        let listingEvents = ["list.added", "list.removed", "list.extended", "list.pending", "list.objected", "list.confirmed", "list.updated"]
        guard listingEvents.contains(event.type) else { return }
        let listing = try event.decodeData(Listing.self)
        try db.execute(
            sql: "INSERT OR REPLACE INTO known_listings(id, subject_id, initiator, status) VALUES (?, ?, ?, ?)",
            arguments: [listing.id, listing.subjectID, listing.initiator.rawValue, listing.status.rawValue])
    }
}

/// repair's ops: `repair.apply` (a subject applies for one listing with a credit commitment, seed 001),
/// `repair.approve` and `repair.reject` (only by the listing's initiating department), `repair.get`.
/// An approval is announced as `repair.approved`; sanction-dispatch follows this stream and removes
/// the listing, and every interceptor lifts it.
public struct RepairHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    let authority: AuthorityRules

    public init(writer: any DatabaseWriter, log: EventLog, authority: AuthorityRules = .standard) {
        self.writer = writer
        self.log = log
        self.authority = authority
    }

    public var unauditedOps: Set<String> { ["repair.get"] }

    /// Who may file an application for a subject: the credit office's operators (who take them from
    /// subjects, seed 004 信用修复), or a department with authority over the listing. Without CURVE
    /// (`--insecure`) anyone, as before.
    func mayFile(for initiator: String, context: RequestContext) throws(ReplyError) {
        guard let role = context.role else { return }
        switch role {
        case .operator: return
        case .service:
            throw ReplyError(.forbidden, "repair.apply: \(context.department ?? "?") holds a service key; applications come from the credit office or a department")
        case .department:
            let department = context.department ?? ""
            try authority.enforce("repair.apply") { try $0.mayDecide(forInitiator: initiator, department: department) }
        }
    }

    public func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        switch op {
        case "repair.apply":
            struct Body: Decodable { var listing: String; var commitment: String?; var reason: String?; var applicant: String? }
            let request = try body.decodeBody(Body.self, op: op)
            return try JSONValue(
                encoding: try await apply(
                    listing: request.listing, commitment: request.commitment, reason: request.reason, applicant: request.applicant,
                    context: context))
        case "repair.approve", "repair.reject":
            struct Body: Decodable { var application: String; var note: String? }
            let department = try context.requireDepartment(for: op)
            let request = try body.decodeBody(Body.self, op: op)
            return try JSONValue(
                encoding: try await decide(request.application, approve: op == "repair.approve", by: department, note: request.note))
        case "repair.get":
            struct Body: Decodable { var application: String }
            let id = try body.decodeBody(Body.self, op: op).application
            guard let application = try await writer.read({ try Self.application(id, in: $0) }) else {
                throw ReplyError(.notFound, "repair.get: no application \(id)")
            }
            return try JSONValue(encoding: application)
        default:
            throw ReplyError(.unknownOp, "repair has no op \(op); it offers repair.apply, repair.approve, repair.reject, repair.get")
        }
    }

    func apply(listing id: String, commitment: String?, reason: String?, applicant: String?, context: RequestContext = RequestContext(department: nil, authenticated: false)) async throws -> RepairApplication {
        let commitment = commitment?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let text = commitment.isEmpty ? "The subject commits to keep its obligations (信用承诺)." : commitment
        guard text.count <= 4_000, (reason ?? "").count <= 4_000 else {
            throw ReplyError(.invalid, "repair.apply: commitment and reason are limited to 4000 characters")
        }
        return try await writer.write { [log] db in
            guard let row = try Row.fetchOne(db, sql: "SELECT subject_id, initiator, status FROM known_listings WHERE id = ?", arguments: [id]) else {
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
            // The initiating department decides on its listing (谁认定、谁修复; seed 004, 失信信息管理 2),
            // or a department whose authority approves for that initiator (authority.<dept>.approves).
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
        return .object(["pendingApplications": .int(Int64(pending.flatMap { $0 } ?? 0))])
    }
}

/// Assembles repair. Config keys: `repair.pub`, `repair.router`, and dispatch's endpoints.
public enum RepairService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "repair")) { RepairSchema.register(in: &$0) }
        let log = EventLog(stream: CentralService.repair.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.repair.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .repair)
        let dispatch = try topology.endpoints(of: .dispatch)
        return [
            BusServer(
                service: "repair", options: security.secure(try topology.serverOptions(section: "repair", endpoints: endpoints)),
                log: log, reader: database, handler: RepairHandler(writer: database, log: log, authority: try topology.config.section("authority", default: .standard, parse: AuthorityRules.parse)), logger: logger),
            StreamSubscriber(
                stream: "dispatch", options: try security.subscriber(toward: dispatch),
                sink: DatabaseStreamSink(stream: "dispatch", writer: database, applier: ListingsApplier(), logger: logger),
                logger: logger),
        ]
    }
}
