import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One check as the check log keeps it: what was asked, by whom, the answer and the replica seq it
/// rested on. A line of the journal, then a row of `checks` with its audit entry and, for a match
/// that is not `allow`, its feedback event.
struct LoggedCheck: Sendable, Equatable {
    var number: Int64 = 0
    var id: String = ""
    var at: String
    /// The subject's identifier, or `name:<normalised name>` for a name-only check.
    var subject: String
    var action: String
    var decision: String
    /// The matched listings and their measures, in the answer's order (the first decided it).
    var listings: [String]
    var measures: [String]
    var replicaSeq: Int64
    var stale: Bool
    var requester: String?
    var reference: String?
    /// The business system whose API token the request carried.
    var caller: String?

    /// The entry's journal line: its JSON object, written member by member, and a newline.
    var journalLine: [UInt8] {
        var writer = JSONWriter(capacity: 320 + 48 * listings.count)
        writer.raw("{")
        writer.memberKey("n", first: true)
        writer.number(number)
        writer.member("id", id)
        writer.member("at", at)
        writer.member("subject", subject)
        writer.member("action", action)
        writer.member("decision", decision)
        writer.member("listings", listings)
        writer.member("measures", measures)
        writer.member("replicaSeq", replicaSeq)
        writer.member("stale", stale)
        writer.member("requester", requester)
        writer.member("reference", reference)
        writer.member("caller", caller)
        writer.raw("}\n")
        return writer.bytes
    }

    /// The detail of the check's audit entry, canonical JSON (keys sorted): the check, its answer
    /// and, behind an API token, the calling system and the requester it named.
    var auditDetail: String {
        var writer = JSONWriter(capacity: 256 + 48 * listings.count)
        writer.raw("{")
        writer.memberKey("action", first: true)
        writer.string(action)
        writer.member("check", id)
        writer.member("decision", decision)
        writer.member("listings", listings)
        writer.member("reference", orNull: reference)
        writer.member("replicaSeq", replicaSeq)
        if caller != nil { writer.member("requester", orNull: requester) }
        writer.member("stale", stale)
        writer.member("system", caller)
        writer.raw("}")
        return writer.text
    }

    init(
        at: String, subject: String, action: String, decision: String, listings: [String], measures: [String], replicaSeq: Int64,
        stale: Bool, requester: String?, reference: String?, caller: String?
    ) {
        self.at = at
        self.subject = subject
        self.action = action
        self.decision = decision
        self.listings = listings
        self.measures = measures
        self.replicaSeq = replicaSeq
        self.stale = stale
        self.requester = requester
        self.reference = reference
        self.caller = caller
    }

    /// Reads a journal line back; nil when a field is missing or of the wrong kind.
    init?(json: JSONValue) {
        guard let number = json["n"]?.intValue, let id = json["id"]?.stringValue, let at = json["at"]?.stringValue,
            let subject = json["subject"]?.stringValue, let action = json["action"]?.stringValue,
            let decision = json["decision"]?.stringValue, let listings = json["listings"]?.arrayValue?.compactMap(\.stringValue),
            let measures = json["measures"]?.arrayValue?.compactMap(\.stringValue), let replicaSeq = json["replicaSeq"]?.intValue,
            case .bool(let stale) = json["stale"]
        else { return nil }
        self.init(
            at: at, subject: subject, action: action, decision: decision, listings: listings, measures: measures,
            replicaSeq: replicaSeq, stale: stale, requester: json["requester"]?.stringValue,
            reference: json["reference"]?.stringValue, caller: json["caller"]?.stringValue)
        self.number = number
        self.id = id
    }
}

/// The check log: a check is answered once its entry is in the journal, an append-only file beside
/// the database written with one `write` per check — as durable as the database's own commits
/// (`synchronous = NORMAL` in WAL mode: a killed process loses nothing, a lost machine may lose the
/// last moments). In the background, every few milliseconds, the entries written meanwhile move into
/// SQLite in one transaction: the `checks` rows, their audit entries (Huzhou Judgment-Debtor
/// Opinions 二(三)4: 完整记录用户的访问、操作) and the feedback events the outbox forwards. What a
/// crash leaves in the journal moves at the next start, before the first check is answered; an entry
/// whose number the table already holds is not stored twice.
///
/// The journal is two files written in turn: each move switches new entries to the other file once
/// that is empty, and empties a file only after every entry in it has committed.
///
/// As a service it does nothing until the suite stops, and then moves what is left, so a stopped
/// interceptor leaves its journal empty.
final class CheckLog: Service, Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private struct JournalFile {
        let path: String
        let descriptor: Int32
        var size: Int64 = 0
        /// The number of the last entry written since the file was last emptied.
        var last: Int64?
    }

    private struct State {
        var files: [JournalFile]
        var active = 0
        var next: Int64
        /// Every check numbered up to this one is stored in the database.
        var stored: Int64
        var pending: [LoggedCheck] = []
        var moving = false
        var waiters: [(through: Int64, continuation: CheckedContinuation<Void, any Error>)] = []
    }

    let department: Department
    private let writer: any DatabaseWriter
    private let log: EventLog
    private let idPrefix: String
    private let interval: Duration
    private let logger: Logger
    private let state: Mutex<State>

    /// Opens (creating) the journal at `<path>.0` and `<path>.1` and moves what it holds into the
    /// database. `interval`: how long entries gather before they move.
    init(
        path: String, department: Department, writer: any DatabaseWriter, log: EventLog, interval: Duration = .milliseconds(2),
        logger: Logger = Logger(label: "interceptor.check-log")
    ) throws {
        self.department = department
        self.writer = writer
        self.log = log
        self.interval = interval
        self.logger = logger
        var files: [JournalFile] = []
        var found: [LoggedCheck] = []
        for path in [path + ".0", path + ".1"] {
            let descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else {
                throw Failure(description: "check log: cannot open the journal \(path): \(String(cString: strerror(errno)))")
            }
            files.append(JournalFile(path: path, descriptor: descriptor))
            found += try Self.read(path)
        }
        found.sort { $0.number < $1.number }
        let instance = try writer.read { try String.fetchOne($0, sql: "SELECT id FROM instance") } ?? "0"
        idPrefix = "\(department.rawValue)-\(instance)-C-"
        let stored = try writer.write { [log, department] db -> Int64 in
            try Self.store(found, in: db, log: log, department: department)
            return try Self.storedThrough(db)
        }
        for file in files where ftruncate(file.descriptor, 0) != 0 {
            throw Failure(description: "check log: cannot empty the journal \(file.path): \(String(cString: strerror(errno)))")
        }
        let last = max(stored, found.last?.number ?? 0)
        state = Mutex(State(files: files, next: last + 1, stored: last))
        if !found.isEmpty {
            logger.notice("Checks moved from the journal into the check log", metadata: ["checks": "\(found.count)"])
        }
    }

    deinit {
        state.withLock { state in
            for file in state.files { close(file.descriptor) }
            for waiter in state.waiters { waiter.continuation.resume(throwing: Failure(description: "check log: closed")) }
        }
    }

    /// Writes `check` to the journal under the next number and returns its id; the check may be
    /// answered when this returns. Throws when the journal cannot be written, and then nothing of
    /// the entry remains.
    func append(_ check: LoggedCheck) throws(Failure) -> String {
        let (id, lead) = try state.withLock { state throws(Failure) -> (String, Bool) in
            var check = check
            check.number = state.next
            check.id = idPrefix + String(state.next)
            try Self.appendLine(check.journalLine, to: &state.files[state.active])
            state.files[state.active].last = check.number
            state.next += 1
            state.pending.append(check)
            let lead = !state.moving
            state.moving = true
            return (check.id, lead)
        }
        // The first entry to find no move under way starts the mover, which runs until nothing is
        // pending. Unstructured because it serves every check, not the one that started it.
        if lead { Task { await self.move() } }
        return id
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await flush()
    }

    /// Returns once every check appended before the call is stored in the database.
    func flush() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let done = state.withLock { state -> Bool in
                let through = state.next - 1
                guard state.stored < through else { return true }
                state.waiters.append((through, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The journal's path for the database at `database`: `interceptor-<dept>.checks` beside
    /// `interceptor-<dept>.sqlite` (the files are `.checks.0` and `.checks.1`).
    static func journalPath(database: String) -> String {
        (database.hasSuffix(".sqlite") ? String(database.dropLast(".sqlite".count)) : database) + ".checks"
    }

    /// Checks in the journal that are not yet in the database.
    var pending: Int { state.withLock { $0.pending.count } }

    private func move() async {
        while true {
            try? await Task.sleep(for: interval)
            let batch = state.withLock { state -> [LoggedCheck] in
                let batch = state.pending
                state.pending = []
                guard !batch.isEmpty else {
                    state.moving = false
                    return []
                }
                // New entries go to the other file if it is empty; this one is emptied once the batch
                // (which holds all it has not stored) commits.
                let other = 1 - state.active
                if state.files[other].last == nil { state.active = other }
                return batch
            }
            guard let through = batch.last?.number else { return }
            do {
                try await writer.write { [log, department] db in try Self.store(batch, in: db, log: log, department: department) }
                let (ready, stored) = state.withLock { state in
                    state.stored = max(state.stored, through)
                    let ready = state.waiters.filter { $0.through <= state.stored }
                    state.waiters.removeAll { $0.through <= state.stored }
                    let stored = state.files.indices.filter { index in
                        index != state.active && state.files[index].last.map { $0 <= through } == true
                    }
                    return (ready.map(\.continuation), stored.map { ($0, state.files[$0].descriptor) })
                }
                for continuation in ready { continuation.resume() }
                // A file whose entries are all stored is emptied outside the lock, which checks take
                // (a truncate has taken milliseconds), and only then marked empty: until it is, new
                // entries do not switch to it.
                for (index, descriptor) in stored where ftruncate(descriptor, 0) == 0 {
                    state.withLock { state in
                        state.files[index].size = 0
                        state.files[index].last = nil
                    }
                }
            } catch {
                let waiting = state.withLock { state in
                    state.pending = batch + state.pending
                    defer { state.waiters = [] }
                    return state.waiters.map(\.continuation)
                }
                for continuation in waiting { continuation.resume(throwing: error) }
                logger.error(
                    "Checks could not be stored in the check log; they stay in the journal and are tried again",
                    metadata: ["checks": "\(batch.count)", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The number of the last check in the table.
    private static func storedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT IFNULL(MAX(rowid), 0) FROM checks")) ?? 0
    }

    /// Stores each check the table does not yet hold: its row (rowid = its number), its audit entry
    /// and, for a match that is not `allow`, its feedback event.
    private static func store(_ checks: [LoggedCheck], in db: Database, log: EventLog, department: Department) throws {
        guard !checks.isEmpty else { return }
        let stored = try storedThrough(db)
        var chain = try AuditLog.Chain(db)
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO checks(rowid, id, at, subject_id, action, decision, listing_ids, measure_ids, replica_seq, stale, requester, reference)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for check in checks where check.number > stored {
            try insert.run([
                .int(check.number), .text(check.id), .text(check.at), .text(check.subject), .text(check.action), .text(check.decision),
                .text(check.listings.joined(separator: ",")), .text(check.measures.joined(separator: ",")), .int(check.replicaSeq),
                .int(check.stale ? 1 : 0), .optional(check.requester), .optional(check.reference),
            ])
            // Behind API tokens the actor is the calling system, which the department vouched for;
            // the requester it names is its own user, kept beside it.
            try chain.append(
                db, actor: BusServer.auditText(check.caller.map { "system:\($0)" } ?? check.requester ?? "anonymous"), action: "check",
                subject: check.subject, detailText: check.auditDetail, at: check.at)
            if check.decision != Decision.allow.rawValue, let listing = check.listings.first {
                let feedback = CheckFeedback(
                    checkID: check.id, department: department, subjectID: check.subject, action: check.action, decision: check.decision,
                    listingID: listing, measureID: check.measures.first, decidedAt: check.at, reference: check.reference)
                try log.append(db, type: "feedback.\(check.decision)", json: feedback.json, id: "feedback-\(check.id)")
            }
        }
    }

    /// Writes a whole line at the end of `file`, or nothing: a short or failed write is cut off again.
    private static func appendLine(_ line: [UInt8], to file: inout JournalFile) throws(Failure) {
        var written = 0
        while written < line.count {
            let result = line.withUnsafeBytes { write(file.descriptor, $0.baseAddress! + written, line.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                _ = ftruncate(file.descriptor, off_t(file.size))
                throw Failure(description: "check log: cannot write the journal \(file.path): \(reason)")
            }
            written += result
        }
        file.size += Int64(line.count)
    }

    /// The entries of one journal file. A last line without its newline is a write the process did
    /// not finish (its check was not answered) and is left out; any other line that cannot be read
    /// stops the start.
    private static func read(_ path: String) throws -> [LoggedCheck] {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return [] }
        var checks: [LoggedCheck] = []
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where !line.isEmpty && index < lines.count - 1 {
            guard let json = try? JSONReader.value(Array(line)), let check = LoggedCheck(json: json) else {
                throw Failure(
                    description:
                        "check log: line \(index + 1) of the journal \(path) cannot be read; it holds answered checks, so keep the file: move it aside to start without it and tell the credit office"
                )
            }
            checks.append(check)
        }
        return checks
    }
}
