import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol

/// A credit reminder (信用提醒) or warning-interview notice (警示约谈) a measure rule issued for a record of
/// general dishonesty (Siyang Measures Art. 18: "督促其停止失信行为并进行整改，也可采取信用提醒、警示约谈等方式").
public struct Reminder: Codable, Sendable, Equatable {
    /// `N-000001`, numbered in order.
    public var id: String
    /// `reminder` or `interview`.
    public var kind: RuleMeasure
    public var subjectID: String
    public var subjectName: String
    public var subjectKind: SubjectKind
    /// The record it was issued for, and its document.
    public var record: String
    public var document: String
    public var summary: String
    public var severity: Severity
    /// The department that issues it (the record's, unless the rule names one).
    public var issuer: Department
    public var rule: RuleReference
    public var basis: String
    public var issuedOn: String
    /// The last working day to attend a warning interview.
    public var respondBy: String?
    /// With it the subject reads the notice (`reminder.get` with `code`).
    public var code: String
    /// The notice as one text, Chinese with English, the subject's personal identifier masked.
    public var text: String
}

/// Applies the measure rules (`dispatch.measureRules`) to each record of dishonest conduct the registry
/// stores: the first rule that takes the record (kind, severity, field conditions) issues a reminder or
/// interview notice, makes a key-attention listing (pending for its objection window, then in force), or
/// proposes a black listing to the deciding department. Once per record; records stored before the rules
/// came in force are never taken (`afterRegistrySeq`).
public struct RuleMeasures: Sendable {
    let rules: MeasureRules
    let store: ListingStore
    let calendarWatch: CalendarWatch
    /// `dispatch.objectionWorkingDays`: the window of a rule's listing unless the rule names one.
    let objectionWorkingDays: Int
    /// The credit office (`dispatch.creditOffice`): the initiator of grade listings.
    let creditOffice: Department
    let today: @Sendable () -> String
    let logger: Logger

    public init(
        rules: MeasureRules, store: ListingStore, calendarWatch: CalendarWatch, objectionWorkingDays: Int, creditOffice: Department,
        today: @escaping @Sendable () -> String, logger: Logger
    ) {
        self.rules = rules
        self.store = store
        self.calendarWatch = calendarWatch
        self.objectionWorkingDays = objectionWorkingDays
        self.creditOffice = creditOffice
        self.today = today
        self.logger = logger
    }

    func reference(_ id: String) -> RuleReference { RuleReference(id: id, version: rules.version) }

    /// The registry seq after which stored records are taken by the rules.
    static func afterRegistrySeq(in db: Database) throws -> Int64 {
        try String.fetchOne(db, sql: "SELECT value FROM dispatch_meta WHERE key = 'rules.afterRegistrySeq'").flatMap { Int64($0) } ?? 0
    }

    /// Remembers the record in the subject's history (first record, last negative one), then applies the
    /// first rule that takes it, unless the record was stored before the rules.
    func apply(_ record: CreditRecord, id: String, source: String, seq: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO subject_history(subject_id, first_record, last_negative) VALUES (?, ?, ?)
                ON CONFLICT(subject_id) DO UPDATE SET first_record = MIN(first_record, excluded.first_record),
                  last_negative = NULLIF(MAX(IFNULL(last_negative, ''), IFNULL(excluded.last_negative, '')), '')
                """,
            arguments: [record.subjectID, record.decisionDate, record.isNegative ? record.decisionDate : nil])
        guard seq > (try Self.afterRegistrySeq(in: db)) else { return }
        if record.isNegative {
            try withdrawRed(of: record.subjectID, record: id, in: db)
        } else {
            try proposeRedListing(for: record.subjectID, in: db)
        }
        guard let (rule, severity) = rules.rule(for: record) else { return }
        let decider = rule.decidingDepartment(recordSource: source)
        guard let department = try? Department(validating: decider) else {
            logger.warning(
                "Measure rule names no valid department for the record; no measure taken",
                metadata: ["rule.id": "\(rule.id)", "record.id": "\(id)", "record.source": "\(source)"])
            return
        }
        switch rule.measure {
        case .reminder, .interview:
            try remind(record, id: id, rule: rule, severity: severity, issuer: department, in: db)
        case .keyAttention:
            guard try store.bySourceRecord(id, in: db) == nil else { return }
            let start = today()
            // One key-attention listing per subject and initiator: a further serious record extends its term.
            if var current = try store.current(subject: record.subjectID, in: db).first(where: {
                $0.list == .keyAttention && $0.initiator == department
            }) {
                let until = FieldDates.adding(months: rule.months ?? 12, to: start) ?? start
                guard until > current.until else { return }
                current.until = until
                current.facts = [current.facts, "extended to \(until) by record \(id) (rule \(rule.id)@\(rules.version))"]
                    .compactMap { $0 }.joined(separator: "; ")
                try store.update(current, announce: current.status == .active ? "list.extended" : "list.pending", in: db)
                return
            }
            let days = rule.objectionWorkingDays ?? objectionWorkingDays
            let deadline = days > 0 ? calendarWatch.deadline(workingDays: days, from: start, for: "objection window") : nil
            let related = try store.relatedPersons(of: record.subjectID, in: db)
            var listing = Listing(
                id: "", list: .keyAttention, subjectID: record.subjectID, subjectName: record.subjectName, subjectKind: record.subjectKind,
                initiator: department, basis: Self.basis(rule, record), document: record.documentNumber, facts: record.summary,
                start: start, until: FieldDates.adding(months: rule.months ?? 12, to: start) ?? start, sourceRecord: id,
                status: deadline == nil ? .active : .pending, relatedPersons: related.isEmpty ? nil : related, objectionDeadline: deadline)
            listing.rule = reference(rule.id)
            let added = try store.add(listing, in: db)
            logger.info(
                "Key-attention listing by rule", metadata: ["listing.id": "\(added.id)", "rule.id": "\(rule.id)", "record.id": "\(id)"])
        case .blackProposal:
            guard try ProposalStore.bySourceRecord(id, in: db) == nil, try store.bySourceRecord(id, in: db) == nil else { return }
            let proposal = try ProposalStore.add(
                ListingProposal(
                    id: "", list: .black, subjectID: record.subjectID, subjectName: record.subjectName, subjectKind: record.subjectKind,
                    rule: reference(rule.id), sourceRecord: id, decider: department, basis: Self.basis(rule, record),
                    document: record.documentNumber, facts: record.summary, months: rule.months ?? 36,
                    objectionWorkingDays: rule.objectionWorkingDays, proposedOn: today()),
                log: store.log, in: db)
            logger.info(
                "Black-listing proposal by rule",
                metadata: ["proposal.id": "\(proposal.id)", "rule.id": "\(rule.id)", "proposal.decider": "\(department)"])
        }
    }

    /// The listing's basis: the rule's, then the record's own legal basis.
    static func basis(_ rule: MeasureRule, _ record: CreditRecord) -> String {
        [rule.basis, record.legalBasis.map { "处罚依据 Record basis: \($0)" }].compactMap { $0 }.joined(separator: "; ")
    }

    /// A record withdrawn as wrong or repaired before its proposal was decided: the proposal is withdrawn.
    func withdrawProposal(of record: String, reason: String, in db: Database) throws {
        guard var proposal = try ProposalStore.bySourceRecord(record, in: db), proposal.status == .proposed else { return }
        proposal.status = .withdrawn
        proposal.decidedOn = today()
        proposal.decisionNote = reason
        try ProposalStore.update(proposal, announce: "proposal.withdrawn", log: store.log, in: db)
    }

    private func remind(
        _ record: CreditRecord, id: String, rule: MeasureRule, severity: Severity, issuer: Department, in db: Database
    ) throws {
        guard try Int.fetchOne(db, sql: "SELECT 1 FROM reminders WHERE record_id = ?", arguments: [id]) == nil else { return }
        let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM reminders") ?? 0) + 1
        let issued = today()
        let respondBy = rule.respondWorkingDays.map { calendarWatch.deadline(workingDays: $0, from: issued, for: "warning interview") }
        var reminder = Reminder(
            id: String(format: "N-%06lld", number), kind: rule.measure, subjectID: record.subjectID, subjectName: record.subjectName,
            subjectKind: record.subjectKind, record: id, document: record.documentNumber, summary: record.summary, severity: severity,
            issuer: issuer, rule: reference(rule.id), basis: rule.basis, issuedOn: issued, respondBy: respondBy,
            code: DispatchHandler.newNoticeCode(), text: "")
        reminder.text = Self.text(of: reminder)
        try db.execute(
            sql: "INSERT INTO reminders(id, number, record_id, subject_id, code, data) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                reminder.id, number, id, record.subjectID, reminder.code, String(decoding: try WireCoding.encode(reminder), as: UTF8.self),
            ])
        try store.log.append(db, type: "reminder.issued", data: reminder)
        try AuditLog.append(
            db, actor: issuer.rawValue, action: "reminder.issued", subject: record.subjectID,
            detail: .object([
                "reminder": .string(reminder.id), "kind": .string(rule.measure.rawValue), "record": .string(id),
                "rule": .string("\(rule.id)@\(rules.version)"),
            ]))
    }

    static func text(of reminder: Reminder) -> String {
        let interview = reminder.kind == .interview
        var lines = [
            interview
                ? "信用警示约谈通知书 / Notice of a warning interview \(reminder.id)" : "信用提醒函 / Credit reminder \(reminder.id)",
            "对象 Subject: \(reminder.subjectName) (\(Identifiers.maskForPublic(reminder.subjectID)))",
            "记录 Record: \(reminder.record) · 文书 Document: \(reminder.document) · 失信程度 Severity: \(reminder.severity.rawValue)",
            "事实 Facts: \(reminder.summary)",
            "依据 Basis: \(reminder.basis) (rule \(reminder.rule.id), rules \(reminder.rule.version))",
            "发出部门 Issued by: \(reminder.issuer) on \(reminder.issuedOn)",
        ]
        if interview {
            lines.append(
                "请于 \(reminder.respondBy ?? "?") 前到 \(reminder.issuer) 接受警示约谈, 说明情况并提交整改措施. "
                    + "Attend a warning interview at \(reminder.issuer) by \(reminder.respondBy ?? "?"), explain and bring your rectification."
            )
        } else {
            lines.append("请停止失信行为并进行整改. Stop the conduct and put it right; a further record may lead to stricter measures.")
        }
        lines.append("查询码 Notice code: \(reminder.code)")
        return lines.joined(separator: "\n")
    }
}

/// Proposals (`P-…`) with their events: `proposal.made`, `proposal.confirmed`, `proposal.declined`,
/// `proposal.withdrawn`, each committed with the change.
enum ProposalStore {
    static func add(_ draft: ListingProposal, log: EventLog, in db: Database) throws -> ListingProposal {
        let number = (try Int64.fetchOne(db, sql: "SELECT IFNULL(MAX(number), 0) FROM proposals") ?? 0) + 1
        var proposal = draft
        proposal.id = String(format: "P-%06lld", number)
        try db.execute(
            sql: """
                INSERT INTO proposals(id, number, subject_id, list, decider, status, source_record, data)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                proposal.id, number, proposal.subjectID, proposal.list.rawValue, proposal.decider.rawValue, proposal.status.rawValue,
                proposal.sourceRecord, try text(proposal),
            ])
        try log.append(db, type: "proposal.made", data: proposal)
        try audit(proposal, "proposal.made", actor: "sanction-dispatch", in: db)
        return proposal
    }

    @discardableResult
    static func update(
        _ proposal: ListingProposal, announce type: String, actor: String? = nil, log: EventLog, in db: Database
    ) throws
        -> ListingProposal
    {
        try db.execute(
            sql: "UPDATE proposals SET status = ?, data = ? WHERE id = ?",
            arguments: [proposal.status.rawValue, try text(proposal), proposal.id])
        try log.append(db, type: type, data: proposal)
        try audit(proposal, type, actor: actor ?? proposal.decider.rawValue, in: db)
        return proposal
    }

    static func audit(_ proposal: ListingProposal, _ type: String, actor: String, in db: Database) throws {
        try AuditLog.append(
            db, actor: actor, action: type, subject: proposal.subjectID,
            detail: .object([
                "proposal": .string(proposal.id), "list": .string(proposal.list.rawValue), "status": .string(proposal.status.rawValue),
                "rule": .string("\(proposal.rule.id)@\(proposal.rule.version)"), "note": proposal.decisionNote.map { .string($0) } ?? .null,
                "listing": proposal.listingID.map { .string($0) } ?? .null,
            ]))
    }

    static func get(_ id: String, in db: Database) throws -> ListingProposal? {
        try String.fetchOne(db, sql: "SELECT data FROM proposals WHERE id = ?", arguments: [id]).map(decode)
    }

    static func bySourceRecord(_ record: String, in db: Database) throws -> ListingProposal? {
        try String.fetchOne(db, sql: "SELECT data FROM proposals WHERE source_record = ?", arguments: [record]).map(decode)
    }

    /// The subject's proposals of a list still waiting for a decision.
    static func open(subject: String, list: ListType, in db: Database) throws -> [ListingProposal] {
        try String.fetchAll(
            db, sql: "SELECT data FROM proposals WHERE subject_id = ? AND list = ? AND status = 'proposed'",
            arguments: [subject, list.rawValue]
        ).map(decode)
    }

    static func text(_ proposal: ListingProposal) throws -> String {
        String(decoding: try WireCoding.encode(proposal), as: UTF8.self)
    }

    static func decode(_ text: String) throws -> ListingProposal {
        try WireCoding.decode(ListingProposal.self, from: Array(text.utf8))
    }
}
