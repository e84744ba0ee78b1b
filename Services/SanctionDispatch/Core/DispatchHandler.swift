import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol

/// Body of `list.initiate`: a department puts a subject on a list (发起, Huzhou Joint Reward and Punishment
/// Opinions, item 14).
public struct InitiateRequest: Codable, Sendable {
    public var list: String
    public var subject: String
    public var subjectName: String?
    public var basis: String
    public var document: String
    public var until: String
    public var facts: String?

    public init(
        list: String, subject: String, subjectName: String? = nil, basis: String, document: String, until: String, facts: String? = nil
    ) {
        self.list = list
        self.subject = subject
        self.subjectName = subjectName
        self.basis = basis
        self.document = document
        self.until = until
        self.facts = facts
    }
}

/// The rules of listing life and accounting that are configuration, not code.
public struct DispatchPolicy: Sendable {
    /// Working days a black-listed subject may object before the listing takes effect
    /// (`dispatch.objectionWorkingDays`, default 5; 0 = in force at once).
    public var objectionWorkingDays: Int
    /// Holidays and make-up working days (`dispatch.calendar`, default `config/calendar.yaml`).
    public var calendar: WorkingCalendar
    /// The implementing departments every listing is pushed to (`dispatch.departments`).
    public var departments: [String]
    /// Seconds within which a department must acknowledge a push (`dispatch.ackDeadlineSeconds`).
    public var ackDeadlineSeconds: Int
    /// Which lists each department may initiate and whose listings it may decide for (`authority`).
    public var authority: AuthorityRules

    public init(
        objectionWorkingDays: Int = 5, calendar: WorkingCalendar = WorkingCalendar(),
        departments: [String] = ["finance", "commerce", "market"], ackDeadlineSeconds: Int = 60,
        authority: AuthorityRules = .standard
    ) {
        self.objectionWorkingDays = objectionWorkingDays
        self.calendar = calendar
        self.departments = departments
        self.ackDeadlineSeconds = ackDeadlineSeconds
        self.authority = authority
    }
}

/// sanction-dispatch's ops: initiate and remove listings, query them, take feedback, report tallies.
public struct DispatchHandler: RequestHandler {
    let writer: any DatabaseWriter
    let log: EventLog
    /// Stream `feedback` (protocol 1.3): every feedback recorded, apart from the stream interceptors
    /// follow, so that they apply none of it.
    let feedbackLog: EventLog
    let store: ListingStore
    /// The days of objection windows and terms, and the time of acknowledgement deadlines.
    let clock: ServiceClock
    let policy: DispatchPolicy
    /// Objection deadlines, flagged when counted past the calendar's last year.
    let calendarWatch: CalendarWatch
    /// The measure rules in force (`dispatch.measureRules`); nil when none are loaded.
    public var rules: RuleMeasures?
    /// Where the assessment's 双公示 and inspection parts are asked for; nil: they are reported unavailable.
    public var assessmentSources: AssessmentSources?

    public init(
        writer: any DatabaseWriter, log: EventLog, feedbackLog: EventLog = DispatchHandler.feedbackStream(),
        policy: DispatchPolicy = DispatchPolicy(), clock: ServiceClock = .system, logger: Logger = Logger(label: "sanction-dispatch")
    ) {
        self.writer = writer
        self.log = log
        self.feedbackLog = feedbackLog
        self.store = ListingStore(log: log)
        self.clock = clock
        self.policy = policy
        self.calendarWatch = CalendarWatch(calendar: policy.calendar, logger: logger)
    }

    /// Today's date (UTC) by the clock, `yyyy-MM-dd`.
    func today() -> String { FieldDates.isoDate(clock.date) }

    func now() -> Date { clock.date }

    public var commands: CommandTable {
        struct ListingRef: Decodable, Sendable { var listing: String }
        struct Removal: Decodable, Sendable { var listing: String; var reason: String }
        struct SubjectRef: Decodable, Sendable { var subject: String }
        struct Page: Decodable, Sendable { var after: String?; var limit: Int? }
        struct EventBody: Decodable, Sendable { var event: Event }
        var commands = CommandTable(service: "sanction-dispatch")
        commands.on("list.initiate", access: .department, audit: .audited, body: InitiateRequest.self) { request, caller in
            let listing = try await initiate(request, by: caller.department)
            caller.logger.info(
                "Listing initiated",
                metadata: [
                    "listing.id": "\(listing.id)", "listing.list": "\(listing.list.rawValue)",
                    "listing.status": "\(listing.status.rawValue)",
                ])
            return listing
        }
        commands.on("list.remove", access: .department, audit: .audited, body: Removal.self) { request, caller in
            let listing = try await remove(request.listing, reason: request.reason, by: caller.department)
            caller.logger.info("Listing removed", metadata: ["listing.id": "\(listing.id)"])
            return listing
        }
        declareLifecycle(in: &commands)
        declareRuleMeasures(in: &commands)
        commands.on("list.get", access: .anyone, audit: .query, body: ListingRef.self) { request, _ in
            guard let listing = try await writer.read({ try store.get(request.listing, in: $0) }) else {
                throw ReplyError(.notFound, "list.get: no listing \(request.listing)")
            }
            return listing
        }
        commands.on("list.query", access: .anyone, audit: .query, body: SubjectRef.self) { request, _ in
            let subject = request.subject.trimmingCharacters(in: .whitespaces).uppercased()
            return try await writer.read { try store.active(subject: subject, in: $0) }
        }
        commands.on("list.active", access: .anyone, audit: .query, body: Page.self) { request, _ -> JSONValue in
            let limit = min(max(request.limit ?? 1_000, 1), 10_000)
            let ids = try await writer.read { db in
                try String.fetchAll(
                    db, sql: "SELECT id FROM listings WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?",
                    arguments: [request.after ?? "", limit])
            }
            return .object(["ids": .array(ids.map(JSONValue.string)), "next": ids.count == limit ? .string(ids.last!) : .null])
        }
        commands.on("list.find", access: .anyone, audit: .query, body: ListingFilter.self) { filter, _ in try await find(filter) }
        struct NoticeRef: Decodable, Sendable { var listing: String; var code: String? }
        // With a code (the portal, for a subject): only when it is the listing's notice code.
        commands.on("notice.get", access: .anyone, audit: .query, body: NoticeRef.self) { request, _ in
            try await notice(for: request.listing, code: request.code)
        }
        declareFeedback(in: &commands)
        commands.on("ack.submit", access: .department, audit: .audited, body: EventBody.self) { request, caller in
            try await recordAck(request.event, from: caller.department)
        }
        // Many acknowledgements in one request and one transaction (protocol 1.5): an interceptor's
        // outbox sends what gathered since its last request.
        commands.on("ack.batch", access: .department, audit: .audited, body: EventsBody.self) { request, caller -> JSONValue in
            let judged = try await recordAcks(try Self.readEvents(request, op: "ack.batch"), from: caller.department, op: "ack.batch")
            return .object(["results": .array(judged.map(\.json))])
        }
        commands.on("compliance.report", access: .anyone, audit: .query) { _ in try await complianceReport() }
        commands.on("assessment.get", access: .anyone, audit: .query, body: AssessmentQuery.self) { query, _ in
            try await assessment(query.period(today: today(), op: "assessment.get"))
        }
        commands.on("catalogue.get", access: .anyone, audit: .query) { _ in
            guard let catalogue = try await writer.read({ try CatalogueStore.current(in: $0) }) else {
                throw ReplyError(.notFound, "catalogue.get: no catalogue loaded")
            }
            return catalogue
        }
        return commands
    }

    func initiate(_ request: InitiateRequest, by department: String) async throws -> Listing {
        guard let list = ListType(rawValue: request.list), list != .grade else {
            throw ReplyError(.invalid, "list.initiate: list \"\(request.list)\" is not one of black, key-attention, red")
        }
        try policy.authority.enforce("list.initiate") { try $0.mayInitiate(list, department: department) }
        let initiator: Department
        let subject: SubjectID
        let until: String
        do {
            initiator = try Department(validating: department)
            subject = try Identifiers.subjectID(request.subject, field: "subject")
            until = try FieldDates.isoDate(request.until, field: "until")
        } catch {
            throw ReplyError(.invalid, "list.initiate: \(error)")
        }
        let start = today()
        guard until > start else {
            throw ReplyError(.invalid, "list.initiate: until \(until) must be after today (\(start))")
        }
        for (field, value, limit) in [("basis", request.basis, 2_000), ("document", request.document, 200)] {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw ReplyError(.invalid, "list.initiate: \(field) is required") }
            guard trimmed.count <= limit else {
                throw ReplyError(.invalid, "list.initiate: \(field) is \(trimmed.count) characters; at most \(limit)")
            }
        }
        let pending = list == .black && policy.objectionWorkingDays > 0
        let deadline =
            pending ? calendarWatch.deadline(workingDays: policy.objectionWorkingDays, from: start, for: "objection window") : nil
        return try await writer.write { [store] db in
            if let existing = try store.current(subject: subject.value, in: db).first(where: {
                $0.list == list && $0.initiator == initiator
            }) {
                throw ReplyError(
                    .conflict, "list.initiate: \(subject.value) is already on the \(list.rawValue) list by \(initiator) as \(existing.id)")
            }
            let known = try Row.fetchOne(db, sql: "SELECT name, kind FROM known_subjects WHERE id = ?", arguments: [subject.value])
            let knownName: String? = known?["name"]
            let knownKind: String? = known?["kind"]
            let name = request.subjectName?.trimmingCharacters(in: .whitespaces) ?? knownName ?? ""
            let kind = knownKind.flatMap(SubjectKind.init(rawValue:)) ?? subject.impliedKind
            let related = try store.relatedPersons(of: subject.value, in: db)
            // A black listing is notified first and takes effect after the objection window
            // (Shaanxi Plan 四(二) 依法依规 and 三(四)5 异议投诉: the subject's right to object).
            return try store.add(
                Listing(
                    id: "", list: list, subjectID: subject.value, subjectName: name, subjectKind: kind, initiator: initiator,
                    basis: request.basis, document: request.document, facts: request.facts, start: start, until: until,
                    status: pending ? .pending : .active, relatedPersons: related.isEmpty ? nil : related,
                    objectionDeadline: deadline),
                in: db)
        }
    }

    func remove(_ id: String, reason: String, by department: String) async throws -> Listing {
        try await writer.write { [store] db in
            guard let listing = try store.get(id, in: db) else { throw ReplyError(.notFound, "list.remove: no listing \(id)") }
            guard listing.list != .grade else {
                throw ReplyError(.invalid, "list.remove: \(id) is a grade listing; it ends when the subject's grade changes")
            }
            // The initiator lifts its own listings; a department whose authority approves for that
            // initiator (the credit office) may too (authority.<dept>.approves).
            try policy.authority.enforce("list.remove") {
                try $0.mayDecide(forInitiator: listing.initiator.rawValue, department: department)
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty, reason.count <= 2_000 else {
                throw ReplyError(.invalid, "list.remove: reason is required (at most 2000 characters)")
            }
            guard let removed = try store.remove(id, reason: reason, in: db) else {
                throw ReplyError(.conflict, "list.remove: \(id) is already removed (\(listing.removalReason ?? "no reason"))")
            }
            return removed
        }
    }

    /// A snapshot of what interceptors need: the catalogue in force, then active listings by number.
    /// The chunk as a value: `encodedSnapshot` parsed (tests and callers in the process).
    public func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk? {
        try await encodedSnapshot(cursor: cursor, limit: limit, span: nil).map { try $0.value().decode(SnapshotChunk.self) }
    }

    /// The snapshot chunk as JSON with every listing's and the catalogue's stored text put in as it is
    /// (they were written by `WireCoding`, as a reply is): no listing is parsed or written again.
    /// The cursor is a listing number. Without `span`, the next `limit` active listings after it;
    /// with `span`, the active listings numbered after it up to `cursor + span`, and `next` is
    /// `cursor + span` while listings numbered beyond it exist.
    /// The type of a snapshot item for an active listing of `list`: `list.added`, `grade.added` for a
    /// grade listing (`ListingStore.announcement`).
    static func added(_ list: String) -> String {
        list == ListType.grade.rawValue ? "grade.added" : "list.added"
    }

    public func encodedSnapshot(cursor: String?, limit: Int, span: Int?) async throws -> EncodedJSON? {
        let after: Int64
        if let cursor {
            guard let value = Int64(cursor), value >= 0 else {
                throw ReplyError(.invalid, "snapshot: cursor \"\(cursor)\" is not one this service gave")
            }
            after = value
        } else {
            after = 0
        }
        return try await writer.read { [log, store] db in
            let seq = try log.head(db)
            var json = JSONWriter(capacity: 64 + (span ?? limit) * 640)
            json.raw("{\"items\":[")
            var first = true
            func item(_ type: String, _ data: String) {
                if !first { json.raw(",") }
                first = false
                // `type` first (protocol 1.6), so that a follower knows what the data is as it reads it.
                json.raw("{\"type\":")
                json.string(type)
                json.raw(",\"data\":")
                json.raw(text: data)
                json.raw("}")
            }
            let catalogue = cursor == nil ? try CatalogueStore.currentText(in: db) : nil
            if let catalogue { item("catalogue.loaded", catalogue) }
            let next: Int64?
            if let span {
                let through = after + Int64(span)
                try store.activeTexts(after: after, through: through, in: db) { _, list, data in item(Self.added(list), data) }
                next = try store.highestNumber(in: db) > through ? through : nil
            } else {
                var count = 0
                var last: Int64 = after
                try store.activeTexts(after: after, limit: limit, in: db) { number, list, data in
                    item(Self.added(list), data)
                    count += 1
                    last = number
                }
                next = count == limit ? last : nil
            }
            json.raw("]")
            if let next {
                json.raw(",\"next\":")
                json.string(String(next))
            }
            json.raw(",\"seq\":")
            json.number(seq)
            if let span {
                json.raw(",\"span\":")
                json.number(Int64(span))
            }
            json.raw(",\"stream\":")
            json.string(log.stream)
            if cursor == nil {
                // The whole snapshot's size (protocol 1.6), so that a follower can size what it builds.
                json.raw(",\"total\":")
                json.number(Int64(try store.activeCount(in: db) + (catalogue == nil ? 0 : 1)))
            }
            json.raw("}")
            return EncodedJSON(bytes: json.bytes)
        }
    }

    public func status() async -> JSONValue {
        let counts = try? await writer.read { [store] db in
            (
                try store.activeCount(in: db),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM feedback") ?? 0,
                try CatalogueStore.current(in: db)?.version
            )
        }
        return .object([
            "activeListings": .int(Int64(counts?.0 ?? 0)), "feedback": .int(Int64(counts?.1 ?? 0)),
            "catalogueVersion": counts?.2.map(JSONValue.string) ?? .null,
            "calendar": calendarWatch.status(today: today()),
        ])
    }
}
