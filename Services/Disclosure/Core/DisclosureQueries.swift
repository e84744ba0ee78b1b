import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// A search the portal refuses, with what is wrong and what to do (answered 400).
public struct SearchRefusal: Error, Sendable, Equatable {
    public var message: String
}

/// Queries for the portal: current entries only, with their dispute and repair marks.
public struct DisclosureQueries: Sendable {
    let reader: any DatabaseReader
    let keys: SubjectKeys
    let policy: DisclosurePolicy
    let today: @Sendable () -> String
    /// The records each department delivered, by kind, as the registry counts them (`records.count`);
    /// nil when the registry cannot be asked.
    var delivered: @Sendable (_ kinds: [String]) async -> [String: [String: Int]]? = { _ in nil }

    // MARK: - Lists

    /// Public records of a kind, newest first, optionally for a name prefix or a code.
    public func records(kind: RecordKind, matching query: String?, limit: Int) async throws -> [PublicRecord] {
        let (clause, arguments) = try filter(query)
        return try await reader.read { [today] db in
            try Self.records(
                db, where: "p.kind = ? AND (p.publicity_end IS NULL OR p.publicity_end >= ?) \(clause)",
                arguments: StatementArguments([kind.rawValue, today()]) + arguments, limit: limit)
        }
    }

    public func listings(list: String, matching query: String?, limit: Int) async throws -> [PublicListing] {
        let (clause, arguments) = try filter(query)
        return try await reader.read { [today] db in
            try Self.listings(
                db, where: "p.list = ? AND p.until >= ? \(clause)", arguments: StatementArguments([list, today()]) + arguments, limit: limit
            )
        }
    }

    // MARK: - Subjects

    /// Subjects for a query: by code (unified social credit code, resident ID, registration number,
    /// organisation code) or by name (exact first, then by prefix), after folding full-width forms and
    /// spaces. Refuses queries too short or too long, and codes that fail their check.
    public func subjects(matching query: String, limit: Int = 50) async throws -> [PublicSubject] {
        let search = try Self.search(query, keys: keys)
        return try await reader.read { db in try Self.subjectKeys(search, limit: limit, in: db).compactMap { try Self.subject($0, in: db) }
        }
    }

    /// The search's result rows as the page shows them: each subject's stored row (`StoredPages`), or
    /// one rendered now while its page is being rebuilt.
    func searchRows(matching query: String, limit: Int = 50, pages: PortalPage) async throws -> [String] {
        let search = try Self.search(query, keys: keys)
        return try await reader.read { db in
            try Self.subjectKeys(search, limit: limit, in: db).compactMap { key in
                if let row = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT row_html FROM subject_pages WHERE key = ?"), arguments: [key])
                {
                    return row
                }
                return try Self.subject(key, in: db).map(pages.searchRow)
            }
        }
    }

    /// A query checked and folded: a code's page key, or a name.
    enum Search {
        case key(String)
        case name(String)
    }

    static func search(_ query: String, keys: SubjectKeys) throws -> Search {
        let text = SearchText.normalised(query)
        guard text.count >= 2 else {
            throw SearchRefusal(message: "查询内容至少 2 个字 · Give at least 2 characters: a name, or a code")
        }
        guard text.count <= 100 else { throw SearchRefusal(message: "查询内容最多 100 个字 · Give at most 100 characters") }
        return try codeKey(text, keys: keys).map(Search.key) ?? .name(text)
    }

    /// The page keys a search finds: a code's subject and the subject it is a legacy code of; a name's
    /// exact matches, then its prefix matches.
    static func subjectKeys(_ search: Search, limit: Int, in db: Database) throws -> [String] {
        switch search {
        case .key(let key):
            let alias = try String.fetchOne(db.cachedStatement(sql: "SELECT key FROM public_aliases WHERE alias = ?"), arguments: [key])
            return [key, alias].compactMap { $0 }
        case .name(let text):
            return try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT key FROM public_subjects WHERE name_norm = ?1
                        UNION ALL
                        SELECT key FROM (SELECT key FROM public_subjects WHERE name_norm > ?1 AND name_norm < ?2
                                         ORDER BY name_norm LIMIT ?3)
                        LIMIT ?3
                        """),
                arguments: [text, prefixEnd(text), limit])
        }
    }

    /// Everything disclosable about a subject now, or nil for an unknown key.
    public func page(_ key: String) async throws -> SubjectPage? {
        let day = today()
        return try await reader.read { [policy] db in try Self.page(key, day: day, policy: policy, in: db) }
    }

    /// Everything disclosable about a subject on `day`, or nil for an unknown key.
    static func page(_ key: String, day: String, policy: DisclosurePolicy, in db: Database) throws -> SubjectPage? {
        guard let subject = try subject(key, in: db) else { return nil }
        let current = "p.subject_key = ? AND (p.publicity_end IS NULL OR p.publicity_end >= ?) AND p.kind = ?"
        func records(_ kind: RecordKind) throws -> [PublicRecord] {
            try Self.records(db, where: current, arguments: [key, day, kind.rawValue], limit: 500)
        }
        let lists = policy.lists.map(\.rawValue).sorted()
        let listings = try Self.listings(
            db, where: "p.subject_key = ? AND p.until >= ? AND p.list IN (\(lists.map { _ in "?" }.joined(separator: ",")))",
            arguments: StatementArguments([key, day]) + StatementArguments(lists), limit: 100)
        return SubjectPage(
            subject: subject, licences: try records(.licence), penalties: try records(.penalty), commitments: try records(.commitment),
            listings: listings, asOf: WireTime.now)
    }

    /// A public record or listing as a form names it, and its subject's page key; nil when it is not public.
    public func target(_ id: String) async throws -> (label: String, subjectKey: String)? {
        let day = today()
        return try await reader.read { db in
            if let record = try Self.records(
                db, where: "p.record_id = ? AND (p.publicity_end IS NULL OR p.publicity_end >= ?)", arguments: [id, day], limit: 1
            ).first {
                return ("\(record.subjectName) · \(record.document) · \(record.authority) · \(record.content)", record.subjectKey)
            }
            if let listing = try Self.listings(db, where: "p.listing_id = ? AND p.until >= ?", arguments: [id, day], limit: 1).first {
                return ("\(listing.subjectName) · \(listing.document) · \(listing.initiatorName) · \(listing.basis)", listing.subjectKey)
            }
            return nil
        }
    }

    // MARK: - Statistics

    /// 双公示 timeliness per department, and what is public now.
    /// Each department's licences, penalties and commitments decided in `period` that are public, and
    /// how many of them were public within their deadline, for the credit office's assessment.
    public func publicationWork(in period: AssessmentPeriod) async throws -> [PublicationWork] {
        try await reader.read { [policy] db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT department, COUNT(*) AS n,
                           SUM(CASE WHEN working_days <= (CASE kind WHEN 'commitment' THEN ?4 ELSE ?3 END) THEN 1 ELSE 0 END) AS on_time
                    FROM public_records WHERE decision_date >= ?1 AND decision_date <= ?2 GROUP BY department ORDER BY department
                    """, arguments: [period.from, period.through, policy.deadlineWorkingDays, policy.commitmentDeadlineWorkingDays]
            ).map { PublicationWork(department: $0["department"], published: $0["n"], onTime: $0["on_time"]) }
        }
    }

    public func statistics() async throws -> PortalStatistics {
        let day = today()
        let kinds = [RecordKind.licence, .penalty, .commitment].filter(policy.recordKinds.contains).map(\.rawValue)
        let delivered = await delivered(kinds)
        return try await reader.read { [policy] db in
            var departments: [String: PublicationTimeliness] = [:]
            func entry(_ department: String) -> PublicationTimeliness {
                departments[department]
                    ?? PublicationTimeliness(
                        department: department, departmentName: policy.name(of: department), published: 0, onTime: 0, onTimeRate: 1,
                        late: [], notPublic: 0, missing: nil)
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT department, kind, COUNT(*) AS n,
                           SUM(CASE WHEN working_days <= (CASE kind WHEN 'commitment' THEN ?2 ELSE ?1 END) THEN 1 ELSE 0 END) AS on_time
                    FROM public_records GROUP BY department, kind
                    """, arguments: [policy.deadlineWorkingDays, policy.commitmentDeadlineWorkingDays])
            {
                var timeliness = entry(row["department"])
                timeliness.published += row["n"] as Int
                timeliness.onTime += row["on_time"] as Int
                departments[timeliness.department] = timeliness
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT record_id, kind, department, decision_date, received_on, working_days, data FROM public_records
                    WHERE working_days > (CASE kind WHEN 'commitment' THEN ?2 ELSE ?1 END)
                    ORDER BY working_days DESC LIMIT 1000
                    """, arguments: [policy.deadlineWorkingDays, policy.commitmentDeadlineWorkingDays])
            {
                let kind = RecordKind(rawValue: row["kind"]) ?? .penalty
                let record = try WireCoding.decode(PublicRecord.self, from: Array((row["data"] as String).utf8))
                var timeliness = entry(row["department"])
                timeliness.late.append(
                    .init(
                        recordID: row["record_id"], kind: kind.rawValue, document: record.document, decisionDate: row["decision_date"],
                        receivedOn: row["received_on"], workingDaysLate: (row["working_days"] as Int) - policy.deadline(of: kind)))
                departments[timeliness.department] = timeliness
            }
            for row in try Row.fetchAll(db, sql: "SELECT department, COUNT(*) AS n FROM not_public GROUP BY department") {
                var timeliness = entry(row["department"])
                timeliness.notPublic = row["n"]
                departments[timeliness.department] = timeliness
            }
            // Missing: delivered to the registry, not (yet) received here: the portal is behind, or an
            // event could not be applied (a dead letter).
            if let delivered {
                let known = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT department, COUNT(*) AS n FROM (
                            SELECT department FROM public_records
                            UNION ALL SELECT department FROM not_public WHERE reason <> 'expired')
                        GROUP BY department
                        """)
                var counted: [String: Int] = [:]
                for row in known { counted[row["department"]] = row["n"] }
                for (department, byKind) in delivered {
                    var timeliness = entry(department)
                    timeliness.missing = max(0, byKind.values.reduce(0, +) - (counted[department] ?? 0))
                    departments[department] = timeliness
                }
            }
            var publicRecords: [String: Int] = [:]
            for row in try Row.fetchAll(
                db,
                sql: "SELECT kind, COUNT(*) AS n FROM public_records WHERE publicity_end IS NULL OR publicity_end >= ? GROUP BY kind",
                arguments: [day])
            {
                publicRecords[row["kind"]] = row["n"]
            }
            var listings: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT list, COUNT(*) AS n FROM public_listings WHERE until >= ? GROUP BY list", arguments: [day])
            {
                listings[row["list"]] = row["n"]
            }
            let rows = departments.values.sorted { $0.department < $1.department }.map { entry in
                var entry = entry
                entry.onTimeRate = entry.published == 0 ? 1 : Double(entry.onTime) / Double(entry.published)
                return entry
            }
            return PortalStatistics(
                generatedAt: WireTime.now, deadlineWorkingDays: policy.deadlineWorkingDays,
                commitmentDeadlineWorkingDays: policy.commitmentDeadlineWorkingDays, departments: rows, publicRecords: publicRecords,
                listings: listings)
        }
    }

    // MARK: - Reading rows

    static func subject(_ key: String, in db: Database) throws -> PublicSubject? {
        // The page's queries are few and always the same: prepared once per connection.
        let subject = try db.cachedStatement(sql: "SELECT key, code, name, kind FROM public_subjects WHERE key = ?")
        guard let row = try Row.fetchOne(subject, arguments: [key]) else { return nil }
        let aliases = try String.fetchAll(
            db.cachedStatement(sql: "SELECT alias FROM public_aliases WHERE key = ? ORDER BY alias"), arguments: [key])
        return PublicSubject(key: row["key"], code: row["code"], name: row["name"], kind: row["kind"], aliases: aliases)
    }

    static func records(_ db: Database, where clause: String, arguments: StatementArguments, limit: Int) throws -> [PublicRecord] {
        try marked(
            db, table: "public_records", id: "record_id", where: clause, order: "p.decision_date DESC, p.record_id DESC",
            arguments: arguments, limit: limit)
    }

    static func listings(_ db: Database, where clause: String, arguments: StatementArguments, limit: Int) throws -> [PublicListing] {
        try marked(
            db, table: "public_listings", id: "listing_id", where: clause, order: "p.listing_id DESC", arguments: arguments, limit: limit)
    }

    /// Public entries of `table` (their stored JSON), each with its dispute and repair marks.
    private static func marked<Entry: MarkedEntry>(
        _ db: Database, table: String, id: String, where clause: String, order: String, arguments: StatementArguments, limit: Int
    ) throws -> [Entry] {
        try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT p.data, d.objection, d.since, m.application, m.since AS applied FROM \(table) p
                    LEFT JOIN disputes d ON d.target_id = p.\(id) LEFT JOIN repair_marks m ON m.target_id = p.\(id)
                    WHERE \(clause) ORDER BY \(order) LIMIT ?
                    """),
            arguments: arguments + [limit]
        ).map { row in
            var entry = try WireCoding.decode(Entry.self, from: Array((row["data"] as String).utf8))
            entry.disputed = dispute(row)
            entry.repair = repairMark(row)
            return entry
        }
    }

    private static func dispute(_ row: Row) -> Dispute? {
        guard let objection = row["objection"] as String?, let since = row["since"] as String? else { return nil }
        return Dispute(objection: objection, since: since)
    }

    private static func repairMark(_ row: Row) -> RepairMark? {
        guard let application = row["application"] as String?, let since = row["applied"] as String? else { return nil }
        return RepairMark(application: application, since: since)
    }

    // MARK: - Query text

    /// A list filter: a name prefix, or a code (its page key).
    private func filter(_ query: String?) throws -> (String, StatementArguments) {
        guard let query, !query.trimmingCharacters(in: .whitespaces).isEmpty else { return ("", []) }
        let text = SearchText.normalised(query)
        guard text.count <= 100 else { throw SearchRefusal(message: "查询内容最多 100 个字 · Give at most 100 characters") }
        if let key = try Self.codeKey(text, keys: keys) {
            return ("AND p.subject_key = IFNULL((SELECT key FROM public_aliases WHERE alias = ?), ?)", [key, key])
        }
        return ("AND p.name_norm >= ? AND p.name_norm < ?", [text, Self.prefixEnd(text)])
    }

    /// The page key of a query that is a code, nil for a name. A text of 15 or more letters and digits
    /// with at least one digit is taken for a code and must check: a unified social credit code or a
    /// resident ID (the key), or a legacy registration number or organisation code (looked up as an
    /// alias; its own text is returned). A page key is taken as it is.
    static func codeKey(_ query: String, keys: SubjectKeys) throws(SearchRefusal) -> String? {
        if SubjectKeys.isKey("P" + query.dropFirst().lowercased()), query.first == "P" { return "P" + query.dropFirst().lowercased() }
        // Organisation codes print as 12345678-9.
        let text = query.count == 10 && Array(query)[8] == "-" ? query.replacingOccurrences(of: "-", with: "") : query
        let isCodeLike = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } && text.contains(where: \.isNumber)
        guard isCodeLike else { return nil }
        // An organisation code (9) or a registration number (15 digits): looked up as an alias.
        if text.count == 9 || text.count == 15 { return text }
        guard text.count >= 16 else { return nil }
        do {
            return keys.key(for: try Identifiers.subjectID(text, field: "q").value)
        } catch {
            throw SearchRefusal(message: "这不是有效的代码 · Not a valid code: \(error.reason); check it, or search by name")
        }
    }

    /// The first text after every text that starts with `prefix` (names compare as UTF-8 bytes):
    /// `name >= prefix AND name < prefixEnd(prefix)` is a prefix match an index answers.
    static func prefixEnd(_ prefix: String) -> String { prefix + "\u{10FFFF}" }
}

/// A public entry that carries the dispute and repair marks.
protocol MarkedEntry: Decodable {
    var disputed: Dispute? { get set }
    var repair: RepairMark? { get set }
}

extension PublicRecord: MarkedEntry {}
extension PublicListing: MarkedEntry {}
