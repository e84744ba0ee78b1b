import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import DispatchCore

@Suite struct DispatchTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "dispatch")
    let handler: DispatchHandler

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        handler = DispatchHandler(
            writer: database, log: log, policy: DispatchPolicy(objectionWorkingDays: 0), clock: TestClock(day: "2026-11-23").service)
    }

    func initiate(list: String = "black", subject: String = "91330500MA2D7E8F2D", until: String = "2028-01-01") async throws -> Listing {
        try await handler.initiate(
            InitiateRequest(list: list, subject: subject, basis: "《某条例》第十条", document: "某罚〔2026〕1号", until: until), by: "market")
    }

    @Test func initiateBroadcastsTheListingWithItsInitiator() async throws {
        let listing = try await initiate()
        #expect(listing.id == "L-000001" && listing.initiator == .market && listing.start == "2026-11-23")
        let events = try await database.read { try log.events($0, after: 0, limit: 10) }
        #expect(events.map(\.type) == ["list.added"])
        #expect(try events[0].decodeData(Listing.self) == listing)
    }

    @Test(arguments: [
        ("grey", "91330500MA2D7E8F2D", "2028-01-01", "not one of black"),
        ("black", "91330500MA2D7E8F2X", "2028-01-01", "subject"),
        ("black", "91330500MA2D7E8F2D", "2026-01-01", "must be after today"),
        ("black", "91330500MA2D7E8F2D", "2026-02-30", "until"),
    ])
    func initiateRefusesBadInputNamingIt(list: String, subject: String, until: String, expected: String) async throws {
        await #expect {
            _ = try await initiate(list: list, subject: subject, until: until)
        } throws: { error in
            guard let reply = error as? ReplyError else { return false }
            return reply.code == .invalid && reply.message.contains(expected)
        }
    }

    @Test func aSecondListingOfTheSameSubjectOnTheSameListConflicts() async throws {
        _ = try await initiate()
        await #expect { _ = try await initiate() } throws: { ($0 as? ReplyError)?.code == .conflict }
    }

    @Test func onlyTheInitiatorRemovesAListing() async throws {
        let listing = try await initiate()
        await #expect { _ = try await handler.remove(listing.id, reason: "x", by: "finance") } throws: {
            ($0 as? ReplyError)?.code == .forbidden
        }
        let removed = try await handler.remove(listing.id, reason: "revoked", by: "market")
        #expect(removed.status == .removed && removed.removalReason == "revoked")
    }

    static func courtRecordEvent(recordID: String = "R-00000001") throws -> Event {
        let record = CreditRecord(
            kind: .courtDishonestDebtor, subjectID: "91330500MA2D7E8F2D", subjectScheme: .unifiedSocialCreditCode,
            subjectKind: .enterprise, subjectName: "湖州示例建设工程有限公司", documentNumber: "(2026)浙0502执1号",
            authority: "吴兴区人民法院", summary: "支付工程款", decisionDate: "2026-03-02", severity: .severe)
        let data = try JSONValue(encoding: ["id": recordID, "source": "court", "storedAt": "2026-11-23T00:00:00.000Z"])
        var object = data.objectValue!
        object["record"] = try JSONValue(encoding: record)
        return Event(stream: "registry", seq: 1, id: "registry-\(recordID)", type: "record.stored", at: "", data: .object(object))
    }

    @Test func courtRecordListsItsSubjectOnceWithTheCourtAsInitiator() async throws {
        let applier = RegistryApplier(store: ListingStore(log: log), courtListingYears: 2, today: { "2026-11-23" })
        let event = try Self.courtRecordEvent()
        try await database.write { db in
            try applier.apply(event, in: db)
            try applier.apply(event, in: db)  // redelivered: nothing more
        }
        let listings = try await database.read { try ListingStore(log: log).active(subject: "91330500MA2D7E8F2D", in: $0) }
        #expect(listings.count == 1)
        #expect(listings.first?.initiator == .court && listings.first?.until == "2028-11-23" && listings.first?.list == .black)
    }

    @Test func relatedPersonsLearnedAfterAListingArePushedWithIt() async throws {
        let listing = try await initiate()
        #expect(listing.relatedPersons == nil)
        let applier = RegistryApplier(store: ListingStore(log: log), courtListingYears: 2, today: { "2026-11-23" })
        let record = CreditRecord(
            kind: .penalty, subjectID: listing.subjectID, subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
            subjectName: "湖州示例建设工程有限公司",
            relatedPersons: [RelatedPerson(role: .legalRepresentative, name: "张建国", personID: "330502198505051237")],
            documentNumber: "罚1", authority: "市场监管局", summary: "罚款", decisionDate: "2026-08-01")
        var object = try JSONValue(encoding: ["id": "R-00000009", "source": "market", "storedAt": ""]).objectValue!
        object["record"] = try JSONValue(encoding: record)
        let event = Event(stream: "registry", seq: 9, id: "registry-R-00000009", type: "record.stored", at: "", data: .object(object))
        try await database.write { db in
            try applier.apply(event, in: db)
            try applier.apply(event, in: db)  // redelivered: nothing new learned, nothing pushed again
        }
        let events = try await database.read { try log.events($0, after: 0, limit: 10) }
        #expect(events.map(\.type) == ["list.added", "list.updated"])
        #expect(try events[1].decodeData(Listing.self).relatedPersons?.first?.personID == "330502198505051237")
    }

    @Test func explicitlyRegisteredRelationsReachCurrentListings() async throws {
        let listing = try await initiate()
        let applier = RegistryApplier(store: ListingStore(log: log), courtListingYears: 2, today: { "2026-11-23" })
        let data: JSONValue = .object([
            "subject": .string(listing.subjectID), "source": "market", "registeredAt": "",
            "person": .object(["role": "actual-controller", "name": "王五", "personID": "330502198001011231"]),
        ])
        let event = Event(stream: "registry", seq: 3, id: "registry-3", type: "relations.registered", at: "", data: data)
        try await database.write { try applier.apply(event, in: $0) }
        let events = try await database.read { try log.events($0, after: 0, limit: 10) }
        #expect(events.map(\.type) == ["list.added", "list.updated"])
        #expect(try events[1].decodeData(Listing.self).relatedPersons?.first?.role == .actualController)
    }

    @Test func approvedRepairRemovesTheListingOnlyWhenTheInitiatorDecided() async throws {
        let listing = try await initiate()
        let applier = RepairApplier(store: ListingStore(log: log), logger: Logger(label: "test"))
        @Sendable func approval(by department: Department) throws -> Event {
            let application = RepairApplication(
                id: "A-000001", listingID: listing.id, subjectID: listing.subjectID, initiator: .market, applicant: nil,
                commitment: "c", reason: "r", status: .approved, appliedAt: "", decidedBy: department)
            return Event(
                stream: "repair", seq: 1, id: "repair-1", type: "repair.approved", at: "", data: try JSONValue(encoding: application))
        }
        let byFinance = try approval(by: .finance)
        let byMarket = try approval(by: .market)
        try await database.write { try applier.apply(byFinance, in: $0) }
        #expect(try await database.read { try ListingStore(log: log).get(listing.id, in: $0) }?.status == .active)
        try await database.write { try applier.apply(byMarket, in: $0) }
        #expect(try await database.read { try ListingStore(log: log).get(listing.id, in: $0) }?.status == .removed)
    }

    @Test func feedbackIsCountedOncePerEventID() async throws {
        let feedback = CheckFeedback(
            checkID: "finance-C-1", department: .finance, subjectID: "91330500MA2D7E8F2D", action: "government-procurement",
            decision: "block", listingID: "L-000001", measureID: "finance.procurement-ban", decidedAt: "", reference: nil)
        let event = Event(
            stream: "interceptor.finance", seq: 1, id: "feedback-finance-C-1", type: "feedback.block", at: "",
            data: try JSONValue(encoding: feedback))
        let first = try await handler.recordFeedback(event, from: "finance")
        let second = try await handler.recordFeedback(event, from: "finance")
        #expect(first["recorded"] == .bool(true) && second["recorded"] == .bool(false))
        #expect(try await handler.feedbackStats()["total"] == .int(1))
        await #expect { _ = try await handler.recordFeedback(event, from: "commerce") } throws: { ($0 as? ReplyError)?.code == .forbidden }
    }

    @Test func snapshotChunksCarryCatalogueThenActiveListingsAndTheSeqTheyReflect() async throws {
        let catalogue = MeasureCatalogue(version: "t", measures: [])
        _ = try await database.write { try CatalogueStore.install(catalogue, in: $0, log: log) }
        for index in 0..<3 {
            _ = try await handler.initiate(
                InitiateRequest(
                    list: "black", subject: ["91330500MA2D7E8F2D", "91330502MA28K6XY14", "330502198001011231"][index], basis: "b",
                    document: "d", until: "2028-01-01"),
                by: "market")
        }
        let first = try #require(try await handler.snapshot(cursor: nil, limit: 2))
        #expect(first.seq == 4 && first.items.map(\.type) == ["catalogue.loaded", "list.added", "list.added"] && first.next == "2")
        let second = try #require(try await handler.snapshot(cursor: first.next, limit: 2))
        #expect(second.items.count == 1 && second.next == nil)
    }

    @Test func snapshotChunksBySpanCoverListingNumbersAndPassStoredTextThrough() async throws {
        _ = try await database.write { try CatalogueStore.install(MeasureCatalogue(version: "t", measures: []), in: $0, log: log) }
        var ids: [String] = []
        for subject in ["91330500MA2D7E8F2D", "91330502MA28K6XY14", "330502198001011231"] {
            let listing = try await handler.initiate(
                InitiateRequest(list: "black", subject: subject, basis: "b", document: "d", until: "2028-01-01"), by: "market")
            ids.append(listing.id)
        }
        _ = try await handler.handle(
            op: "list.remove", body: .object(["listing": .string(ids[1]), "reason": "r"]),
            context: .init(department: "market", authenticated: false))
        // Numbers 1…3, number 2 removed: spans of 2 give (0, 2] with the catalogue and listing 1, then (2, 4].
        let firstText = try #require(try await handler.encodedSnapshot(cursor: nil, limit: 1, span: 2)).bytes
        // Each item's type comes before its data (protocol 1.6): a follower knows what it reads.
        #expect(String(decoding: firstText, as: UTF8.self).hasPrefix(#"{"items":[{"type":"catalogue.loaded","data":{"#))
        var offered: [String] = []
        let first = try EncodedSnapshotChunk(result: firstText) { type, _ in
            offered.append(type)
            return nil
        }
        #expect(offered == ["catalogue.loaded", "list.added"])
        #expect(first.items.map(\.type) == ["catalogue.loaded", "list.added"] && first.next == "2" && first.span == 2)
        // The first chunk says how many items the whole snapshot holds: the catalogue and two listings.
        #expect(first.total == 3)
        let firstID = ids[0]
        let stored = try await database.read {
            try String.fetchOne($0, sql: "SELECT data FROM listings WHERE id = ?", arguments: [firstID])
        }
        #expect(String(decoding: first.items[1].data, as: UTF8.self) == stored)
        let second = try EncodedSnapshotChunk(result: try #require(try await handler.encodedSnapshot(cursor: "2", limit: 1, span: 2)).bytes)
        #expect(second.items.count == 1 && second.next == nil && second.seq == first.seq && second.total == nil)
        await #expect(throws: ReplyError.self) { _ = try await handler.encodedSnapshot(cursor: "-1", limit: 1, span: 2) }
    }
}

/// `list.find`: an operator pages through listings by list, initiator, status, subject and date.
@Suite struct ListingFindTests {
    let database: DatabaseQueue
    let handler: DispatchHandler
    static let subjects = ["91330500MA2D7E8F2D", "91330500MA2B1C3D43", "91330500MA2C4K5L1Q", "91330500MA2E6H7J2B"]

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        handler = DispatchHandler(
            writer: database, log: EventLog(stream: "dispatch"), policy: DispatchPolicy(objectionWorkingDays: 0),
            clock: TestClock(day: "2026-11-23").service)
    }

    /// Four listings: three black (two by market, one by court), one red by market; the first removed.
    func populate() async throws -> [Listing] {
        var made: [Listing] = []
        for (index, (list, initiator)) in [("black", "market"), ("black", "market"), ("black", "court"), ("red", "market")].enumerated() {
            made.append(
                try await handler.initiate(
                    InitiateRequest(
                        list: list, subject: Self.subjects[index], basis: "《某条例》第十条", document: "某〔2026〕\(index)号",
                        until: "2028-01-01"), by: initiator))
        }
        _ = try await handler.remove(made[0].id, reason: "revoked", by: "market")
        return made
    }

    @Test func filtersByListInitiatorStatusAndSubject() async throws {
        let made = try await populate()
        #expect(try await handler.find(ListingFilter(list: "black")).listings.map(\.id) == [made[1].id, made[2].id])
        #expect(try await handler.find(ListingFilter(list: "black", status: "any")).listings.count == 3)
        #expect(try await handler.find(ListingFilter(status: "removed")).listings.map(\.id) == [made[0].id])
        #expect(try await handler.find(ListingFilter(initiator: "market")).listings.map(\.id) == [made[1].id, made[3].id])
        #expect(try await handler.find(ListingFilter(subject: Self.subjects[2].lowercased())).listings.map(\.id) == [made[2].id])
        #expect(try await handler.find(ListingFilter(from: "2026-11-23", to: "2026-11-23")).listings.count == 3)
        #expect(try await handler.find(ListingFilter(from: "2026-11-24")).listings.isEmpty)
    }

    @Test func pagesFollowOneAnotherToTheEnd() async throws {
        let made = try await populate()
        let first = try await handler.find(ListingFilter(status: "any", limit: 3))
        #expect(first.listings.map(\.id) == made.prefix(3).map(\.id))
        #expect(first.next == made[2].id)
        let second = try await handler.find(ListingFilter(status: "any", after: first.next, limit: 3))
        #expect(second.listings.map(\.id) == [made[3].id])
        #expect(second.next == nil)
        // A page that ends exactly at the last listing says there is no next one.
        #expect(try await handler.find(ListingFilter(status: "any", limit: 4)).next == nil)
    }

    @Test(arguments: [
        (ListingFilter(list: "grey"), "list \"grey\" is not one of black"),
        (ListingFilter(status: "live"), "status \"live\" is not one of pending, active, removed, any"),
        (ListingFilter(from: "2026-13-01"), "from"),
        (ListingFilter(after: "L-999999"), "after \"L-999999\" is no listing"),
        (ListingFilter(limit: 0), "limit must be 1–1000, got 0"),
        (ListingFilter(limit: 5_000), "limit must be 1–1000, got 5000"),
    ])
    func refusesBadFiltersNamingThem(filter: ListingFilter, expected: String) async throws {
        await #expect {
            _ = try await handler.find(filter)
        } throws: { error in
            guard let reply = error as? ReplyError else { return false }
            return reply.code == .invalid && reply.message.contains(expected)
        }
    }
}

/// Objections reach the listings they dispute: suspended while verified, resumed or ended after.
@Suite struct ObjectionSuspensionTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "dispatch")
    let handler: DispatchHandler
    let clock = TestClock(day: "2026-11-23")

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        handler = DispatchHandler(writer: database, log: log, policy: DispatchPolicy(objectionWorkingDays: 0), clock: clock.service)
    }

    func objection(
        on listing: Listing, suspension: Objection.Suspension = .review, outcome: Objection.Outcome? = nil,
        by decider: Department = "market"
    ) -> Objection {
        var objection = Objection(
            id: "O-000001", targetKind: .listing, targetID: listing.id, recordVersion: nil, subjectID: listing.subjectID,
            decider: listing.initiator, reason: "有误", evidence: [], filedBy: "operator", applicant: nil,
            filedAt: "2026-11-23T08:00:00Z", suspension: suspension, acknowledgeBy: "2026-11-25", decideBy: "2026-11-30")
        if let outcome {
            objection.status = .decided
            objection.outcome = outcome
            objection.decidedBy = decider
            objection.decisionNote = "核实"
        }
        return objection
    }

    func apply(_ type: String, _ objection: Objection) async throws {
        let applier = RepairApplier(store: handler.store, logger: Logger(label: "test"))
        let event = Event(
            stream: "repair", seq: 1, id: "repair-1", type: type, at: "2026-11-23T08:00:00Z", data: try JSONValue(encoding: objection))
        try await database.write { try applier.apply(event, in: $0) }
    }

    func listing() async throws -> Listing {
        try await handler.initiate(
            InitiateRequest(list: "black", subject: "91330500MA2D7E8F2D", basis: "b", document: "d", until: "2028-01-01"), by: "market")
    }

    func state(_ id: String) async throws -> (Listing, [String]) {
        let listing = try #require(try await database.read { try handler.store.get(id, in: $0) })
        return (listing, try await database.read { try log.events($0, after: 0, limit: 100) }.map(\.type))
    }

    @Test func anUpheldObjectionSuspendsThenResumes() async throws {
        let made = try await listing()
        try await apply("objection.filed", objection(on: made))
        var (current, types) = try await state(made.id)
        #expect(current.suspension == Listing.Suspension(objection: "O-000001", policy: .review, since: "2026-11-23T08:00:00Z"))
        #expect(types == ["list.added", "list.suspended"])
        try await apply("objection.decided", objection(on: made, outcome: .upheld))
        (current, types) = try await state(made.id)
        #expect(current.suspension == nil && current.status == .active)
        #expect(types == ["list.added", "list.suspended", "list.resumed"])
    }

    @Test func aRevokedObjectionEndsTheListingWithTheDecisionAsReason() async throws {
        let made = try await listing()
        try await apply("objection.filed", objection(on: made))
        // A department without authority over the listing cannot end it through an objection.
        try await apply("objection.decided", objection(on: made, outcome: .revoked, by: "finance"))
        #expect(try await state(made.id).0.status == .active)
        try await apply("objection.decided", objection(on: made, outcome: .revoked))
        let (current, types) = try await state(made.id)
        #expect(current.status == .removed && current.removalReason == "revoked: objection O-000001 decided by market: 核实")
        #expect(types == ["list.added", "list.suspended", "list.removed"])
    }

    @Test func objectionsPastTheirDeadlinesAreFlaggedInComplianceByDecider() async throws {
        let made = try await listing()
        try await apply("objection.filed", objection(on: made))
        var report = try await handler.complianceReport()
        #expect(report.objections == DeadlineCompliance(open: 1, overdue: 0, overdueByDecider: [:]))
        clock.advance(toDay: "2026-11-26")  // past the acknowledgement deadline of 25 November
        report = try await handler.complianceReport()
        #expect(report.objections == DeadlineCompliance(open: 1, overdue: 1, overdueByDecider: ["market": 1]))
        #expect(CompliancePage.render(report).contains("past a deadline: 1 — market 1"))
        try await apply("objection.decided", objection(on: made, outcome: .upheld))
        #expect(try await handler.complianceReport().objections == DeadlineCompliance(open: 0, overdue: 0, overdueByDecider: [:]))
    }

    @Test func repairApplicationsPastTheirDeadlinesAreFlaggedInComplianceByDecider() async throws {
        var application = RepairApplication(
            id: "A-000001", recordID: "R-00000001", subjectID: "91330500MA2D7E8F2D", initiator: .market, applicant: nil,
            commitment: "承诺依法诚信经营，按期整改", reason: "整改完毕", appliedAt: "2026-11-23T08:00:00Z", acceptBy: "2026-11-26",
            decideBy: "2026-12-04")
        func send(_ type: String) async throws {
            let applier = RepairApplier(store: handler.store, logger: Logger(label: "test"))
            let event = Event(
                stream: "repair", seq: 1, id: "repair-\(type)", type: type, at: "", data: try JSONValue(encoding: application))
            try await database.write { try applier.apply(event, in: $0) }
        }
        try await send("repair.applied")
        #expect(try await handler.complianceReport().repairs == DeadlineCompliance(open: 1, overdue: 0, overdueByDecider: [:]))
        clock.advance(toDay: "2026-11-27")  // not accepted by 26 November
        var report = try await handler.complianceReport()
        #expect(report.repairs == DeadlineCompliance(open: 1, overdue: 1, overdueByDecider: ["market": 1]))
        #expect(CompliancePage.render(report).contains("Being decided: 1;\npast a deadline: 1 — market 1"))
        application.status = .accepted
        try await send("repair.accepted")
        #expect(try await handler.complianceReport().repairs.overdue == 0, "accepted, with the decision still in time")
        application.status = .approved
        try await send("repair.approved")
        report = try await handler.complianceReport()
        #expect(report.repairs == DeadlineCompliance(open: 0, overdue: 0, overdueByDecider: [:]))
    }

    @Test func measuresTheLawKeepsInForceAreNotSuspended() async throws {
        let made = try await listing()
        try await apply("objection.filed", objection(on: made, suspension: .none))
        #expect(try await state(made.id).1 == ["list.added"])
    }
}

/// The notice (告知书) of a listing, from the listing and the catalogue in force.
@Suite struct ListingNoticeTests {
    @Test func aPendingListingsNoticeNamesItsMeasuresAndTheObjectionDeadline() async throws {
        let database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        let log = EventLog(stream: "dispatch")
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/catalogue.yaml")
        let catalogue = try CatalogueLoader.load(contentsOf: url)
        _ = try await database.write { try CatalogueStore.install(catalogue, in: $0, log: log) }
        let handler = DispatchHandler(
            writer: database, log: log, policy: DispatchPolicy(objectionWorkingDays: 5), clock: TestClock(day: "2026-11-23").service)
        let listing = try await handler.initiate(
            InitiateRequest(
                list: "black", subject: "330502198001011231", subjectName: "李四", basis: "《食品安全法》第一百三十五条", document: "湖市监〔2026〕9号",
                until: "2028-12-31"), by: "market")
        let notice = try await handler.notice(for: listing.id)
        #expect(notice.catalogueVersion == catalogue.version)
        let expected = catalogue.measures.filter { $0.lists.contains(.black) }.map(\.id).sorted()
        #expect(notice.measures.map(\.measureID).sorted() == expected && !expected.isEmpty)
        #expect(notice.measures.contains { $0.measureID == "finance.procurement-ban" && $0.effect == .block })
        #expect(notice.objection.contains("至 2026-11-30 可提出异议") && notice.objection.contains("creditctl object --listing \(listing.id)"))
        #expect(notice.repair.contains("信用修复承诺书") && notice.repair.contains("market decides"))
        // The printed text masks a person's identifier and names every measure's department.
        #expect(notice.text.contains("330502********1231") && !notice.text.contains("330502198001011231"))
        #expect(notice.text.contains("finance: ") && notice.text.contains("湖市监〔2026〕9号"))
        await #expect(throws: ReplyError(.notFound, "notice.get: no listing L-999999")) { try await handler.notice(for: "L-999999") }
    }
}
