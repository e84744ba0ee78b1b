import Crypto
import Foundation
import GRDB
import MeshProtocol

/// The audit table. Separate from `BusSchema` so that each service opts in by registering it among
/// its own migrations.
public enum AuditSchema {
    /// Registers migration "audit-v1", which creates `audit_log`.
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit-v1") { db in
            try db.create(table: "audit_log") { t in
                t.primaryKey("seq", .integer)
                t.column("at", .text).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("subject", .text)
                t.column("detail", .text).notNull()  // canonical JSON (sorted keys)
                t.column("previous_hash", .text).notNull()
                t.column("hash", .text).notNull()
            }
        }
    }
}

/// One audit record: who did what to which subject, when, with its place in the hash chain.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// Position in the chain, gap-free from 1.
    public var seq: Int64
    /// Wire time (`WireTime.format`) at which the entry was appended.
    public var at: String
    /// Who acted: a user, a service, an API key id.
    public var actor: String
    /// What was done, e.g. `command.register`, `check.answered`, `listing.changed`.
    public var action: String
    /// What it was done to, when there is one (a listing id, a subject id).
    public var subject: String?
    /// Anything else worth keeping; stored and hashed as canonical (sorted-key) JSON.
    public var detail: JSONValue
    /// The hash of the entry before this one, or `AuditLog.genesisHash` for seq 1.
    public var previousHash: String
    /// SHA-256 hex of this entry's canonical line (see `AuditLog.append`).
    public var hash: String

    public init(
        seq: Int64, at: String, actor: String, action: String, subject: String?, detail: JSONValue,
        previousHash: String, hash: String
    ) {
        self.seq = seq
        self.at = at
        self.actor = actor
        self.action = action
        self.subject = subject
        self.detail = detail
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Why an append or a read of the audit log failed.
public enum AuditLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `at`, `actor`, `action` and `subject` are lines of the hashed text, so they may not hold a newline.
    case fieldContainsNewline(String)
    /// A stored row has a NULL or non-text column where the schema requires text.
    case unreadableEntry(seq: Int64, column: String)

    public var description: String {
        switch self {
        case .fieldContainsNewline(let field): "audit \(field) must not contain a line break"
        case .unreadableEntry(let seq, let column): "audit entry \(seq) has an unreadable \(column)"
        }
    }
}

/// The outcome of walking an audit chain.
public enum AuditVerification: Sendable, Equatable, CustomStringConvertible {
    /// Every entry matches its hash and links to its predecessor; `head` is the last entry's hash
    /// (`AuditLog.genesisHash` when empty). Keep `head` and `count` elsewhere to detect truncation.
    case intact(count: Int64, head: String)
    /// The first problem found, at entry `seq`.
    case broken(seq: Int64, reason: String)

    public var description: String {
        switch self {
        case .intact(let count, let head): "audit chain intact: \(count) entries, head \(head)"
        case .broken(_, let reason): "audit chain broken: \(reason)"
        }
    }
}

/// A tamper-evident, append-only log in a service's own database.
///
/// Each entry's hash covers its content and the previous entry's hash, so altering or removing any
/// entry (other than the newest ones — compare `verify`'s head against a copy kept elsewhere) breaks
/// the chain at that point.
public enum AuditLog {
    /// The `previousHash` of entry 1: 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Appends an entry inside the caller's write transaction, so it commits or rolls back with the
    /// change it records.
    ///
    /// `hash` is the SHA-256 hex of the canonical line
    /// `"seq\nat\nactor\naction\nsubject\ndetail-json\npreviousHash"`, where a nil subject is the
    /// empty string and detail-json is `detail` encoded with sorted keys (the text stored in
    /// `detail`). An empty `subject` is stored as nil so the two can never be confused.
    ///
    /// - Throws: `AuditLogError.fieldContainsNewline` if `at`, `actor`, `action` or `subject` has a line break.
    @discardableResult
    public static func append(
        _ db: Database, actor: String, action: String, subject: String?, detail: JSONValue,
        at: String = WireTime.format(Date())
    ) throws -> AuditEntry {
        var chain = try Chain(db)
        let detailText = JSONText.text(detail)  // the text `WireCoding` writes, without its encoder
        let (seq, previousHash, hash) = try chain.append(db, actor: actor, action: action, subject: subject, detailText: detailText, at: at)
        return AuditEntry(
            seq: seq, at: at, actor: actor, action: action, subject: subject?.isEmpty == true ? nil : subject, detail: detail,
            previousHash: previousHash, hash: hash)
    }

    /// The chain's head, read once for many entries appended in one transaction (the check log
    /// stores a batch of checks at a time): `append` as `AuditLog.append` does, from the entry
    /// before. Valid only within the transaction that read it.
    public struct Chain {
        private var seq: Int64
        private var hash: String

        public init(_ db: Database) throws {
            let last = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"))
            seq = last.map { $0["seq"] } ?? 0
            hash = last.map { $0["hash"] } ?? AuditLog.genesisHash
        }

        /// Appends one entry whose detail is already canonical JSON text (sorted keys, as
        /// `JSONText` writes): its seq, the hash before it, and its hash.
        @discardableResult
        public mutating func append(
            _ db: Database, actor: String, action: String, subject: String?, detailText: String, at: String
        ) throws -> (seq: Int64, previousHash: String, hash: String) {
            let subject = subject?.isEmpty == true ? nil : subject
            if AuditLog.hasLineBreak(at) { throw AuditLogError.fieldContainsNewline("at") }
            if AuditLog.hasLineBreak(actor) { throw AuditLogError.fieldContainsNewline("actor") }
            if AuditLog.hasLineBreak(action) { throw AuditLogError.fieldContainsNewline("action") }
            if let subject, AuditLog.hasLineBreak(subject) { throw AuditLogError.fieldContainsNewline("subject") }
            let previousHash = hash
            let next = seq + 1
            let hash = AuditLog.hashOf(
                seq: next, at: at, actor: actor, action: action, subject: subject, detailText: detailText, previousHash: previousHash)
            try db.cachedStatement(
                sql: """
                    INSERT INTO audit_log(seq, at, actor, action, subject, detail, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).run([
                .int(next), .text(at), .text(actor), .text(action), .optional(subject), .text(detailText), .text(previousHash), .text(hash),
            ])
            seq = next
            self.hash = hash
            return (next, previousHash, hash)
        }
    }

    /// Whether `text` holds a line break as `Character.isNewline` has it; ASCII text is checked
    /// byte by byte, without walking its characters.
    static func hasLineBreak(_ text: String) -> Bool {
        var ascii = true
        for byte in text.utf8 {
            if (0x0A...0x0D).contains(byte) { return true }
            if byte >= 0x80 { ascii = false }
        }
        return !ascii && text.contains(where: \.isNewline)
    }

    /// Entries with seq > `after`, at most `limit`, in seq order.
    public static func entries(_ db: Database, after: Int64, limit: Int) throws -> [AuditEntry] {
        try StoredEntry.fetch(db, after: after, limit: limit).map { stored in
            AuditEntry(
                seq: stored.seq, at: stored.at, actor: stored.actor, action: stored.action, subject: stored.subject,
                detail: try WireCoding.decoder.decode(JSONValue.self, from: Data(stored.detail.utf8)),
                previousHash: stored.previousHash, hash: stored.hash)
        }
    }

    /// Walks the whole chain in seq order and returns the first problem found:
    /// - a gap in seq: "entry 40 is missing (39 is followed by 41)";
    /// - an entry whose stored hash does not match its stored content: "entry 17 was altered: …";
    /// - a link whose `previous_hash` differs from the prior entry's hash (an entry altered and
    ///   re-hashed is reported at the entry after it).
    ///
    /// Otherwise returns the count and the head hash. Hashes are recomputed from the stored text, so
    /// even a whitespace change to `detail` counts as an alteration.
    public static func verify(_ db: Database) throws -> AuditVerification {
        var expectedSeq: Int64 = 1
        var previousHash = genesisHash
        let pageSize = 1000
        while true {
            let page = try StoredEntry.fetch(db, after: expectedSeq - 1, limit: pageSize, strict: false)
            for stored in page {
                if let problem = check(stored, expectedSeq: expectedSeq, previousHash: previousHash) {
                    return .broken(seq: problem.seq, reason: problem.reason)
                }
                previousHash = stored.hash
                expectedSeq += 1
            }
            if page.count < pageSize { return .intact(count: expectedSeq - 1, head: previousHash) }
        }
    }

    /// The first problem with one stored entry, given the seq and previous hash the chain expects.
    private static func check(
        _ stored: StoredEntry, expectedSeq: Int64, previousHash: String
    ) -> (seq: Int64, reason: String)? {
        let seq = stored.seq
        if seq != expectedSeq {
            let context = expectedSeq == 1 ? "the chain starts at \(seq)" : "\(expectedSeq - 1) is followed by \(seq)"
            return (expectedSeq, "entry \(expectedSeq) is missing (\(context))")
        }
        if let column = stored.unreadableColumn {
            return (seq, "entry \(seq) was altered: its \(column) is NULL or not text")
        }
        if stored.subject == "" {
            return (seq, "entry \(seq) was altered: its subject is empty, which append never writes")
        }
        let recomputed = hashOf(
            seq: seq, at: stored.at, actor: stored.actor, action: stored.action, subject: stored.subject,
            detailText: stored.detail, previousHash: stored.previousHash)
        if recomputed != stored.hash {
            let hashes = "its content hashes to \(recomputed.prefix(12))… but its stored hash is \(stored.hash.prefix(12))…"
            return (seq, "entry \(seq) was altered: \(hashes)")
        }
        if stored.previousHash != previousHash {
            let prior = seq == 1 ? "the genesis hash" : "entry \(seq - 1)'s hash"
            let link = "its previous_hash \(stored.previousHash.prefix(12))… differs from \(prior) \(previousHash.prefix(12))…"
            return (seq, "entry \(seq) does not follow on: \(link) (entry \(seq - 1) or \(seq) was rewritten)")
        }
        return nil
    }

    /// SHA-256 hex of the canonical line for an entry's content.
    static func hashOf(
        seq: Int64, at: String, actor: String, action: String, subject: String?, detailText: String,
        previousHash: String
    ) -> String {
        // The parts joined by "\n", hashed in place rather than joined into one copy first.
        var hasher = SHA256()
        func line(_ part: String, last: Bool = false) {
            var part = part
            part.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            if !last { withUnsafeBytes(of: UInt8(ascii: "\n")) { hasher.update(bufferPointer: $0) } }
        }
        line(String(seq))
        line(at)
        line(actor)
        line(action)
        line(subject ?? "")
        line(detailText)
        line(previousHash, last: true)
        return hex(hasher.finalize())
    }

    /// The SHA-256 digest (swift-crypto) of the UTF-8 bytes of `text` as 64 lowercase hex digits:
    /// the chain's format since its first entry.
    static func sha256Hex(_ text: String) -> String {
        sha256Hex(Array(text.utf8))
    }

    static func sha256Hex(_ bytes: some Collection<UInt8>) -> String {
        hex(SHA256.hash(data: Array(bytes)))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in digest {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}

/// An `audit_log` row as stored, read without trusting it: unreadable text columns are recorded
/// rather than crashing the reader.
private struct StoredEntry {
    var seq: Int64
    var at = "", actor = "", action = "", detail = "", previousHash = "", hash = ""
    var subject: String?
    /// The first required column that was NULL or not text, if any.
    var unreadableColumn: String?

    /// Rows with seq > `after`; with `strict`, an unreadable row throws `AuditLogError.unreadableEntry`.
    static func fetch(_ db: Database, after: Int64, limit: Int, strict: Bool = true) throws -> [StoredEntry] {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, at, actor, action, subject, detail, previous_hash, hash
                FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?
                """,
            arguments: [after, limit])
        var result: [StoredEntry] = []
        while let row = try rows.next() {
            let entry = StoredEntry(row)
            if strict, let column = entry.unreadableColumn {
                throw AuditLogError.unreadableEntry(seq: entry.seq, column: column)
            }
            result.append(entry)
        }
        return result
    }

    init(_ row: Row) {
        seq = row["seq"]
        func text(_ column: String) -> String? {
            let value: DatabaseValue = row[column]
            guard case .string(let string) = value.storage else { return nil }
            return string
        }
        var unreadable: String?
        func required(_ column: String) -> String {
            if let value = text(column) { return value }
            if unreadable == nil { unreadable = column }
            return ""
        }
        at = required("at")
        actor = required("actor")
        action = required("action")
        detail = required("detail")
        previousHash = required("previous_hash")
        hash = required("hash")
        let subjectValue: DatabaseValue = row["subject"]
        if subjectValue.isNull {
            subject = nil
        } else if let value = text("subject") {
            subject = value
        } else {
            subject = nil
            unreadable = unreadable ?? "subject"
        }
        unreadableColumn = unreadable
    }
}
