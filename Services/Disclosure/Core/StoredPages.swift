import Crypto
import Foundation
import GRDB
import HTTPSupport
import Logging
import MeshProtocol
import ServiceLifecycle

/// The subjects' pages as the public reads them, rendered when what they show changes instead of on
/// every request. A page is read many times for each change to it: the appliers only mark a changed
/// subject's page dirty (and drop it, so nobody reads it stale), and `PageRefresher` renders dirty
/// pages in batches moments later. Until then a request builds the page from the tables, as it always
/// could, so the portal never shows less than what is current.
///
/// A stored page keeps the page's HTML body (the layout is added when it is served, with the title
/// stored escaped) and its JSON answer, each split where the moment of reading goes, the subject's
/// search-result row, and `fresh_until`: the last day on which every entry on it is
/// still in its window. After that day the page is not served (the next entry's window ended) and is
/// rendered again; a change of how pages render or of what is public (`fingerprint`) renders every
/// page again.
public struct StoredPages: Sendable {
    let writer: any DatabaseWriter
    let policy: DisclosurePolicy
    let pages: PortalPage
    let today: @Sendable () -> String
    let logger: Logger

    /// Stands where the page's moment (`asOf`) goes while it is rendered for storing; random, so no
    /// published text can contain it.
    static let moment = "\u{E000}" + UUID().uuidString + "\u{E000}"

    init(
        writer: any DatabaseWriter, policy: DisclosurePolicy, pages: PortalPage, today: @escaping @Sendable () -> String,
        logger: Logger = Logger(label: "disclosure.pages")
    ) {
        self.writer = writer
        self.policy = policy
        self.pages = pages
        self.today = today
        self.logger = logger
    }

    // MARK: - Marking (in the appliers' transactions)

    /// The subject's page changes: dropped now, rendered again by the refresher.
    static func touch(_ key: String, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM subject_pages WHERE key = ?").execute(arguments: [key])
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO pages_dirty(key) VALUES (?)").execute(arguments: [key])
    }

    /// The record or listing `id` changes: the page of whichever subject shows it now, and the page of
    /// `subject` it will show on (when it moves, both), each touched once.
    static func touch(entry id: String, subject: String? = nil, in db: Database) throws {
        var keys = Set(
            try String.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT subject_key FROM public_records WHERE record_id = ?1 UNION SELECT subject_key FROM public_listings WHERE listing_id = ?1"
                ), arguments: [id]))
        if let subject { keys.insert(subject) }
        for key in keys { try touch(key, in: db) }
    }

    /// Every page is rendered again (the listings were rebuilt, the templates or the policy changed).
    static func touchAll(in db: Database) throws {
        try db.execute(sql: "INSERT OR IGNORE INTO pages_dirty(key) SELECT key FROM public_subjects")
        try db.execute(sql: "DELETE FROM subject_pages")
    }

    // MARK: - Reading

    /// A stored page, HTML or JSON, with the moment of reading in its place; nil when the subject's
    /// page is being rendered again or is past its `fresh_until` (the caller builds it from the tables).
    func page(_ key: String, json: Bool) async throws -> [UInt8]? {
        let day = today()
        let parts = try await writer.read { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: json
                        ? "SELECT json_head, json_tail, '' FROM subject_pages WHERE key = ? AND fresh_until >= ?"
                        : "SELECT html_head, html_tail, title_html FROM subject_pages WHERE key = ? AND fresh_until >= ?"),
                arguments: [key, day]
            ).map { (head: $0[0] as String, tail: $0[1] as String, title: $0[2] as String) }
        }
        guard let parts else { return nil }
        let now = WireTime.now
        guard !json else { return Array((parts.head + now + parts.tail).utf8) }
        return Array(pages.framed(escapedTitle: parts.title, body: parts.head + now + parts.tail).utf8)
    }

    /// Pages waiting to be rendered (`credit_portal_pages_dirty`).
    func dirtyCount() async throws -> Int {
        try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM pages_dirty") ?? 0 }
    }

    // MARK: - Rendering

    /// What a stored page depends on besides the tables: how a page is stored, and how a sample page
    /// with every kind of entry and mark renders (templates, labels, the JSON's shape), and the lists
    /// that are public (what records are public is decided when they arrive). A different value
    /// renders every page again.
    var fingerprint: String {
        let record = PublicRecord(
            recordID: "R-1", kind: "commitment", subject: "S", subjectKey: "K", subjectName: "N", subjectKind: "enterprise", document: "D",
            authority: "A", content: "C", category: "T", decisionDate: "2026-01-01", validFrom: "2026-01-01", publicityEnd: "2027-01-01",
            performance: "kept", disputed: Dispute(objection: "O-1", since: "2026-01-02"),
            repair: RepairMark(application: "A-1", since: "2026-01-03"))
        let listing = PublicListing(
            listingID: "L-1", list: "black", subject: "S", subjectKey: "K", subjectName: "N", initiator: "court", initiatorName: "I",
            basis: "B", document: "D", start: "2026-01-01", until: "2027-01-01", disputed: record.disputed, repair: record.repair)
        let sample = SubjectPage(
            subject: PublicSubject(key: "K", code: "C", name: "N", kind: "enterprise", aliases: ["X"]), licences: [record],
            penalties: [record], commitments: [record], listings: [listing, listing], asOf: "T")
        var text = "stored-pages-2\n" + pages.subjectBody(sample) + pages.searchRow(sample.subject)
        text += String(decoding: (try? WireCoding.encode(sample)) ?? [], as: UTF8.self)
        text += policy.lists.map(\.rawValue).sorted().joined(separator: ",")
        return SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// At start: when the templates or the policy changed since the pages were rendered, every page is
    /// rendered again (served from the tables meanwhile).
    func prepare() throws {
        let fingerprint = fingerprint
        try writer.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM portal_state WHERE name = 'page-fingerprint'")
            guard stored != fingerprint else { return }
            try Self.touchAll(in: db)
            try db.execute(
                sql: "INSERT OR REPLACE INTO portal_state(name, value) VALUES ('page-fingerprint', ?)", arguments: [fingerprint])
        }
    }

    /// Renders up to `limit` dirty pages in one transaction; how many were taken.
    @discardableResult
    func refresh(limit: Int) async throws -> Int {
        let day = today()
        return try await writer.write { db in try renderDirty(limit: limit, day: day, in: db) }
    }

    /// Renders up to `limit` dirty pages. A page that cannot be rendered is left unstored (its
    /// requests build it from the tables) and taken off the list, so it does not hold up the others;
    /// it is logged, and rendered again when its subject next changes.
    private func renderDirty(limit: Int, day: String, in db: Database) throws -> Int {
        let keys = try String.fetchAll(db.cachedStatement(sql: "SELECT key FROM pages_dirty LIMIT ?"), arguments: [limit])
        for key in keys {
            do {
                try db.inSavepoint {
                    try render(key, day: day, in: db)
                    return .commit
                }
            } catch {
                try db.cachedStatement(sql: "DELETE FROM pages_dirty WHERE key = ?").execute(arguments: [key])
                logger.error(
                    "A subject's page could not be rendered; it is built for each request",
                    metadata: [
                        "subject.key": "\(key)", "error": "\(error)",
                    ])
            }
        }
        return keys.count
    }

    /// Marks dirty the pages whose `fresh_until` is before `day` (an entry on them left its window).
    @discardableResult
    func markExpired(day: String) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO pages_dirty(key) SELECT key FROM subject_pages WHERE fresh_until < ?", arguments: [day])
            return db.changesCount
        }
    }

    /// Renders every dirty page (after a bulk load).
    func refreshAll(batch: Int = 1_000) throws {
        let day = today()
        while try writer.write({ db in try renderDirty(limit: batch, day: day, in: db) }) > 0 {}
    }

    private func render(_ key: String, day: String, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM pages_dirty WHERE key = ?").execute(arguments: [key])
        guard var page = try DisclosureQueries.page(key, day: day, policy: policy, in: db) else {
            try db.cachedStatement(sql: "DELETE FROM subject_pages WHERE key = ?").execute(arguments: [key])
            return
        }
        page.asOf = Self.moment
        let html = try Self.split(pages.subjectBody(page))
        let json = try Self.split(String(decoding: try WireCoding.encode(page), as: UTF8.self))
        let ends = (page.licences + page.penalties + page.commitments).compactMap(\.publicityEnd) + page.listings.map(\.until)
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO subject_pages(key, fresh_until, row_html, title_html, html_head, html_tail, json_head, json_tail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            key, ends.min() ?? "9999-12-31", pages.searchRow(page.subject), HTML.escape(page.subject.name), html.head, html.tail,
            json.head, json.tail,
        ])
    }

    /// The text before and after the one place the moment was rendered.
    static func split(_ text: String) throws -> (head: String, tail: String) {
        guard let range = text.range(of: moment) else { throw StoredPageError.noMoment }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }

    enum StoredPageError: Error { case noMoment }
}

/// Renders the dirty pages a moment after the appliers mark them, and marks the pages whose entries'
/// windows ended once a day (at start and after midnight). A failure is logged and retried; it never
/// stops the portal, which then builds pages from the tables.
struct PageRefresher: Service {
    let pages: StoredPages
    let logger: Logger
    var batch = 100
    var idle: Duration = .milliseconds(200)

    func run() async throws {
        var swept = ""
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let day = pages.today()
                if day != swept {
                    let expired = try await pages.markExpired(day: day)
                    if expired > 0 { logger.info("Pages past their window marked", metadata: ["pages.count": "\(expired)"]) }
                    swept = day
                }
                if try await pages.refresh(limit: batch) == 0 { try await Task.sleep(for: idle) }
            } catch is CancellationError {
                return
            } catch {
                logger.error("Stored pages could not be rendered; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
