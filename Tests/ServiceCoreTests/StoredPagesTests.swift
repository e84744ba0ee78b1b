import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Synchronization
import Testing

@testable import DisclosureCore

/// Subject pages stored when they change (`StoredPages`): what is served is what the tables say,
/// through every change an applier makes and past the end of an entry's window.
@Suite struct StoredPagesTests {
    let database: DatabaseQueue
    let keys: SubjectKeys
    let pages: PortalPage
    let day = Day("2026-10-01")
    let stored: StoredPages
    var seq: Int64 = 0

    static let acme = "91330500MA2D7E8F2D"
    static let other = "913305037100003716"

    final class Day: Sendable {
        let value: Mutex<String>
        init(_ day: String) { value = Mutex(day) }
        func set(_ day: String) { value.withLock { $0 = day } }
        var now: String { value.withLock { $0 } }
    }

    init() throws {
        database = try ServiceDatabase.inMemory { DisclosureSchema.register(in: &$0) }
        keys = try database.read { try SubjectKeys.load(from: $0) }
        pages = try PortalPage()
        stored = StoredPages(writer: database, policy: DisclosurePolicy(), pages: pages, today: { [day] in day.now })
        try stored.prepare()
    }

    func penalty(
        _ subject: String, name: String, document: String, publicityEnd: String? = nil, aliases: [SubjectAlias]? = nil
    ) -> CreditRecord {
        CreditRecord(
            kind: .penalty, subjectID: subject, subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise, subjectName: name,
            documentNumber: document, authority: "湖州市市场监督管理局", summary: "虚假宣传", decisionDate: "2026-09-01",
            publicityEnd: publicityEnd, severity: .general, category: "罚款", subjectAliases: aliases)
    }

    mutating func apply(_ type: String, _ data: JSONValue, applier: some StreamApplier) throws {
        seq += 1
        let event = Event(stream: "s", seq: seq, id: "s-\(seq)", type: type, at: "2026-09-03T08:00:00.000Z", data: data)
        try database.write { try applier.apply(event, in: $0) }
    }

    mutating func store(_ id: String, _ record: CreditRecord, corrected: Bool = false) throws {
        try apply(
            corrected ? "record.corrected" : "record.stored",
            .object(["id": .string(id), "source": "market", "record": try JSONValue(encoding: record)]),
            applier: RecordDisclosureApplier(keys: keys, policy: DisclosurePolicy()))
    }

    func html(_ subject: String) async throws -> String? {
        try await stored.page(keys.key(for: subject), json: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The stored page, checked against the page built from the tables now (at the moment it names).
    func checked(_ subject: String) async throws -> String {
        let key = keys.key(for: subject)
        let html = try #require(try await html(subject))
        let json = try #require(try await stored.page(key, json: true))
        let today = day.now
        let built = try await database.read { db in try DisclosureQueries.page(key, day: today, policy: DisclosurePolicy(), in: db) }
        var live = try #require(built)
        let served = try WireCoding.decode(SubjectPage.self, from: json)
        #expect(served.subject == live.subject && served.penalties == live.penalties && served.licences == live.licences)
        #expect(served.commitments == live.commitments && served.listings == live.listings)
        let asOf = try #require(html.range(of: "截至 As of "))
        live.asOf = String(html[asOf.upperBound...].prefix { $0 != " " })
        #expect(html == pages.subject(live))
        return html
    }

    @Test mutating func aStoredPageIsTheLivePageThroughEveryChange() async throws {
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号"))
        // Marked, not yet rendered: the portal builds it from the tables meanwhile.
        #expect(try await html(Self.acme) == nil)
        #expect(try await stored.dirtyCount() == 1)
        #expect(try await stored.refresh(limit: 10) == 1)
        #expect(try await checked(Self.acme).contains("湖市监罚〔2026〕1号"))

        // A second record, then an objection to the first: each change drops the page until rendered again.
        try store("R-2", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕2号"))
        #expect(try await html(Self.acme) == nil)
        let objection = Objection(
            id: "O-000001", targetKind: .record, targetID: "R-1", recordVersion: nil, subjectID: Self.acme, decider: "market", reason: "有误",
            evidence: [], filedBy: "operator", applicant: nil, filedAt: "2026-10-01T08:00:00Z", suspension: .review,
            acknowledgeBy: "2026-10-09", decideBy: "2026-10-16")
        try apply("objection.filed", try JSONValue(encoding: objection), applier: MarkApplier())
        #expect(try await stored.refresh(limit: 10) == 1)
        var page = try await checked(Self.acme)
        #expect(page.contains("湖市监罚〔2026〕2号") && page.contains("异议核查中 Disputed since 2026-10-01"))

        // A correction that moves R-2 to another subject changes both pages.
        #expect(try await stored.refresh(limit: 10) == 0)
        try store("R-2", penalty(Self.other, name: "南浔示例有限公司", document: "湖市监罚〔2026〕2号"), corrected: true)
        #expect(try await html(Self.acme) == nil)
        #expect(try await html(Self.other) == nil)
        #expect(try await stored.refresh(limit: 10) == 2)
        page = try await checked(Self.acme)
        #expect(page.contains("湖市监罚〔2026〕1号") && !page.contains("湖市监罚〔2026〕2号"))
        #expect(try await checked(Self.other).contains("湖市监罚〔2026〕2号"))

        // The search's rows are the stored ones.
        let queries = DisclosureQueries(reader: database, keys: keys, policy: DisclosurePolicy(), today: { [day] in day.now })
        let rows = try await queries.searchRows(matching: "南浔示例", pages: pages)
        let subject = try #require(try await queries.subjects(matching: "南浔示例").first)
        #expect(rows == [pages.searchRow(subject)] && rows[0].contains("南浔示例有限公司"))
    }

    @Test mutating func aPageIsNotServedPastTheEndOfAnEntrysWindowAndIsRenderedWithoutIt() async throws {
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号", publicityEnd: "2026-12-31"))
        try store("R-2", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕2号", publicityEnd: "2029-08-31"))
        try await stored.refresh(limit: 10)
        #expect(try await checked(Self.acme).contains("湖市监罚〔2026〕1号"))
        day.set("2027-01-01")
        #expect(try await html(Self.acme) == nil)
        #expect(try await stored.markExpired(day: day.now) == 1)
        #expect(try await stored.refresh(limit: 10) == 1)
        let page = try await checked(Self.acme)
        #expect(!page.contains("湖市监罚〔2026〕1号") && page.contains("湖市监罚〔2026〕2号"))
        #expect(try await stored.markExpired(day: day.now) == 0)
    }

    @Test mutating func aRepairedRecordLeavesItsPage() async throws {
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号"))
        try await stored.refresh(limit: 10)
        try apply("record.repaired", .object(["id": "R-1"]), applier: RecordDisclosureApplier(keys: keys, policy: DisclosurePolicy()))
        #expect(try await html(Self.acme) == nil)
        try await stored.refresh(limit: 10)
        let page = try await checked(Self.acme)
        #expect(!page.contains("湖市监罚〔2026〕1号"))
    }

    @Test mutating func aLegacyCodeThatMovesToAnotherSubjectLeavesTheFirstsPage() async throws {
        let code = SubjectAlias(scheme: .businessRegistrationNumber, value: "330500000012345")
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号", aliases: [code]))
        try await stored.refresh(limit: 10)
        #expect(try await checked(Self.acme).contains("330500000012345"))
        try store("R-2", penalty(Self.other, name: "南浔示例有限公司", document: "湖市监罚〔2026〕2号", aliases: [code]))
        #expect(try await html(Self.acme) == nil)
        #expect(try await stored.refresh(limit: 10) == 2)
        #expect(try await !checked(Self.acme).contains("330500000012345"))
        #expect(try await checked(Self.other).contains("330500000012345"))
    }

    @Test mutating func aPageThatCannotBeRenderedDoesNotHoldUpTheOthers() async throws {
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号"))
        try store("R-2", penalty(Self.other, name: "南浔示例有限公司", document: "湖市监罚〔2026〕2号"))
        try await database.write { try $0.execute(sql: "UPDATE public_records SET data = 'not JSON' WHERE record_id = 'R-1'") }
        #expect(try await stored.refresh(limit: 10) == 2)
        #expect(try await stored.dirtyCount() == 0)
        #expect(try await html(Self.acme) == nil)
        #expect(try await checked(Self.other).contains("湖市监罚〔2026〕2号"))
    }

    @Test mutating func changedTemplatesOrPolicyRenderEveryPageAgain() async throws {
        try store("R-1", penalty(Self.acme, name: "湖州示例贸易有限公司", document: "湖市监罚〔2026〕1号"))
        try store("R-2", penalty(Self.other, name: "南浔示例有限公司", document: "湖市监罚〔2026〕2号"))
        try await stored.refresh(limit: 10)
        try stored.prepare()
        #expect(try await html(Self.acme) != nil)
        let blackOnly = StoredPages(writer: database, policy: DisclosurePolicy(lists: [.black]), pages: pages, today: { [day] in day.now })
        try blackOnly.prepare()
        #expect(try await html(Self.acme) == nil)
        #expect(try await html(Self.other) == nil)
        #expect(try await blackOnly.refresh(limit: 10) == 2)
    }

    @Test(arguments: [
        "湖州示例 贸易有限公司", "abc DEF\t12", "ｈｕｚｈｏｕ　示例", "（湖州）示例", "①号", "湖州示例5号贸易有限公司5", "ÅNGSTRÖM café", " \n",
    ])
    func searchTextFoldsAsNFKCDoes(text: String) {
        #expect(SearchText.normalised(text) == text.precomposedStringWithCompatibilityMapping.filter { !$0.isWhitespace }.uppercased())
    }
}
