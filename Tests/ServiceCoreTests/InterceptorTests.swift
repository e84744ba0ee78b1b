import Bus
import CreditDomain
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MeshProtocol
import ServiceKit
import Testing

@testable import InterceptorCore

@Suite struct InterceptorTests {
    let database: DatabaseQueue
    let index = ReplicaIndex()
    let log = EventLog(stream: "interceptor.finance")
    let checker: Checker
    let checkLog: CheckLog

    static let listing = Listing(
        id: "L-000001", list: .black, subjectID: "91330500MA2D7E8F2D", subjectName: "湖州示例建设工程有限公司", subjectKind: .enterprise,
        initiator: .court, basis: "court list", document: "(2026)浙0502执1号", start: "2026-01-01", until: "2028-01-01")

    init() throws {
        database = try ServiceDatabase.inMemory { InterceptorSchema.register(in: &$0) }
        let state = ReplicaState(seq: 2, activeListings: 1, stale: false, state: "live")
        checkLog = try CheckLog(path: Self.journal(), department: .finance, writer: database, log: log)
        checker = Checker(checkLog: checkLog, writer: database, index: index, replicaState: { state }, today: { "2026-11-23" })
    }

    /// A fresh journal path for a check log.
    static func journal() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("checks-\(UUID().uuidString.prefix(8))").path
    }

    func apply(_ type: String, _ data: some Encodable) throws {
        let applier = DispatchReplicaApplier(index: index)
        let event = Event(stream: "dispatch", seq: 1, id: UUID().uuidString, type: type, at: "", data: try JSONValue(encoding: data))
        try database.write { try applier.apply(event, in: $0) }
    }

    func loadCatalogue() throws {
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/catalogue.yaml")
        try apply("catalogue.loaded", try CatalogueLoader.load(contentsOf: url))
    }

    @Test func blocksAListedSubjectLogsTheCheckAndWritesFeedback() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        let answer = try await checker.check(
            CheckRequest(subject: "91330500ma2d7e8f2d", action: "government-procurement", reference: "PO-1"))
        #expect(answer.decision == .block && answer.listing == "L-000001" && answer.initiator == "court")
        #expect(answer.measure == "finance.procurement-ban")
        try await checkLog.flush()
        let feedback = try await database.read { try log.events($0, after: 0, limit: 10) }
        #expect(feedback.map(\.type) == ["feedback.block"])
        #expect(try feedback[0].decodeData(CheckFeedback.self).reference == "PO-1")
        #expect(try await checker.recentChecks(limit: 5).first?["decision"] == .string("block"))
    }

    @Test func removalLiftsTheBlockAndSurvivesAReload() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        var removed = Self.listing
        removed.status = .removed
        try apply("list.removed", removed)
        #expect(try await checker.check(CheckRequest(subject: Self.listing.subjectID, action: "government-procurement")).decision == .allow)
        let reloaded = ReplicaIndex()
        try reloaded.load(from: database)
        #expect(reloaded.activeCount == 0 && reloaded.catalogue != nil)
    }

    @Test func httpAnswersChecksAndRefusesBadBodiesNamingTheField() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        let health = Health(
            department: "finance", replica: ReplicaState(seq: 2, activeListings: 1, stale: false, state: "live"), pendingFeedback: 0)
        let app = Application(router: InterceptorRoutes.router(checker: checker, health: { health }))
        try await app.test(.router) { client in
            let body = #"{"subject":"91330500MA2D7E8F2D","action":"government-procurement"}"#
            try await client.execute(uri: "/v1/checks", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""decision":"block""#))
            }
            try await client.execute(uri: "/v1/checks", method: .post, body: ByteBuffer(string: #"{"subject":"x"}"#)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("body.action is missing"))
            }
            try await client.execute(uri: "/v1/checks", method: .post, body: ByteBuffer(string: "{nope")) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("not valid JSON"))
            }
            let unknown = #"{"subject":"91330500MA2D7E8F2D","action":"goverment-procurement"}"#
            try await client.execute(uri: "/v1/checks", method: .post, body: ByteBuffer(string: unknown)) { response in
                #expect(response.status == .badRequest)
                let body = String(buffer: response.body)
                #expect(body.contains(#""code":"invalid""#) && body.contains("is unknown to finance"), "\(body)")
            }
            let bad = #"{"subject":"91330500MA2D7E8F2X","action":"government-procurement"}"#
            try await client.execute(uri: "/v1/checks", method: .post, body: ByteBuffer(string: bad)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("check character"))
            }
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""seq":2"#))
            }
        }
    }

    @Test func withoutACatalogueChecksSayTheReplicaIsNotReady() async throws {
        await #expect {
            _ = try await checker.check(CheckRequest(subject: Self.listing.subjectID, action: "government-procurement"))
        } throws: { ($0 as? ReplyError)?.code == .unavailable }
    }

    @Test func refusesAnActionNoMeasureAndNoDeclarationKnows() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        await #expect {
            _ = try await checker.check(CheckRequest(subject: Self.listing.subjectID, action: "goverment-procurement"))
        } throws: { error in
            guard let reply = error as? ReplyError else { return false }
            return reply.code == .invalid && reply.message.hasPrefix(#"check: action "goverment-procurement" is unknown to finance"#)
                && reply.message.contains("did you mean government-procurement?")
        }
        #expect(try await checker.recentChecks(limit: 5).isEmpty, "a refused check is not logged")
        // The batch answers the known action and refuses only the unknown one.
        let batch = try await checker.checkBatch([
            CheckRequest(subject: Self.listing.subjectID, action: "government-procurement"),
            CheckRequest(subject: Self.listing.subjectID, action: "issue-invoice"),
        ])
        let answers = try #require(try batch.value()["answers"]?.arrayValue)
        #expect(answers[0]["decision"] == "block")
        #expect(answers[1]["error"]?["code"] == "invalid")
        #expect(answers[1]["error"]?["message"]?.stringValue?.contains(#"action "issue-invoice" is unknown"#) == true)
    }

    @Test func allowsAnActionTheDepartmentDeclaresUnrestricted() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        let state = ReplicaState(seq: 2, activeListings: 1, stale: false, state: "live")
        let declaring = Checker(
            checkLog: checkLog, writer: database, index: index, replicaState: { state },
            declaredActions: ["issue-invoice"], today: { "2026-11-23" })
        let answer = try await declaring.check(CheckRequest(subject: Self.listing.subjectID, action: "issue-invoice"))
        #expect(answer.decision == .allow && answer.matched.isEmpty)
        #expect(
            try await declaring.check(CheckRequest(subject: Self.listing.subjectID, action: "government-procurement")).decision == .block)
    }

    @Test func declaredActionsAreReadFromTheConfigAndABadOneStopsStartUp() throws {
        let config = SuiteConfig(values: ["interceptors.finance.actions": "issue-invoice, fiscal-receipt"])
        #expect(try InterceptorService.declaredActions(of: .finance, config: config) == ["issue-invoice", "fiscal-receipt"])
        #expect(try InterceptorService.declaredActions(of: .commerce, config: config).isEmpty)
        let bad = SuiteConfig(values: ["interceptors.finance.actions": "issue-invoice,,"])
        #expect {
            _ = try InterceptorService.declaredActions(of: .finance, config: bad)
        } throws: { ($0 as? ConfigError)?.key == "interceptors.finance.actions" }
        let environment = SuiteConfig(values: [:], environment: ["CREDIT_INTERCEPTORS_FINANCE_ACTIONS": "issue-invoice"])
        #expect(try InterceptorService.declaredActions(of: .finance, config: environment) == ["issue-invoice"])
    }

    @Test(arguments: [(StalePolicy.answer, Decision.allow), (.review, .review), (.block, .block)])
    func aStaleReplicaFollowsTheDepartmentsPolicy(policy: StalePolicy, expected: Decision) async throws {
        try loadCatalogue()
        let stale = ReplicaState(seq: 2, activeListings: 0, ageSeconds: 90, stale: true, state: "silent")
        let checker = Checker(
            checkLog: checkLog, writer: database, index: index, replicaState: { stale }, stalePolicy: policy,
            today: { "2026-11-23" })
        let answer = try await checker.check(CheckRequest(subject: "91330502MA28K6XY14", action: "government-procurement"))
        #expect(answer.decision == expected)
        #expect(answer.replica.stale)
        if policy != .answer { #expect(answer.reason.contains("replica stale (90 s since dispatch was heard)")) }
    }

    @Test func appliedAndLiftedListingsAreAcknowledgedOnTheInterceptorsStream() throws {
        let applier = DispatchReplicaApplier(index: index, log: log, department: "finance")
        var removed = Self.listing
        removed.status = .removed
        try database.write { db in
            try applier.apply(
                Event(stream: "dispatch", seq: 7, id: "d-7", type: "list.added", at: "", data: try JSONValue(encoding: Self.listing)),
                in: db)
            try applier.apply(
                Event(stream: "dispatch", seq: 8, id: "d-8", type: "list.removed", at: "", data: try JSONValue(encoding: removed)), in: db)
        }
        let acks = try database.read { try log.events($0, after: 0, limit: 10) }
        #expect(acks.map(\.type) == ["listing.applied", "listing.lifted"])
        #expect(try acks[1].decodeData(ListingAcknowledgement.self).dispatchSeq == 8)
    }

    @Test func aSnapshotsListingsAreStoredAsTheyCameAndIndexedOnceWhenItIsComplete() async throws {
        let sink = DatabaseStreamSink(
            stream: "dispatch", writer: database, applier: DispatchReplicaApplier(index: index, log: log, department: "finance"),
            logger: .init(label: "test"))
        var second = Self.listing
        second.id = "L-000002"
        second.subjectID = "91330502MA28K6XY14"
        var pending = Self.listing
        pending.id = "L-000003"
        pending.status = .pending
        // Written as dispatch stores it, with a byte JSONEncoder would not write (a space).
        let text = { (listing: Listing) throws -> [UInt8] in
            try WireCoding.encode(listing).flatMap { (byte: UInt8) -> [UInt8] in byte == UInt8(ascii: ",") ? [byte, 0x20] : [byte] }
        }
        // The first chunk said how large the snapshot is: its table is made that large at once.
        sink.expectSnapshot(items: 5_000)
        try await sink.applyEncodedSnapshotChunk(
            [.init(type: "list.added", data: try text(Self.listing)), .init(type: "list.added", data: try text(pending))], first: true)
        #expect(index.loadingCapacity >= 5_000)
        // A size beyond any list is not believed (it would reserve gigabytes up front).
        #expect(ReplicaIndex.snapshotReservation(forItems: 1 << 40) == 1 << 24)
        #expect(ReplicaIndex.snapshotReservation(forItems: -1) == 0 && ReplicaIndex.snapshotReservation(forItems: 9) == 9)
        // Read as its chunk arrives, beside the writer (`prepareSnapshotItem`), as a follower does.
        let arrived = { (listings: [[UInt8]]) throws -> [EncodedSnapshotChunk.Item] in
            let items = listings.map { #"{"type":"list.added","data":"# + String(decoding: $0, as: UTF8.self) + "}" }
            let result = #"{"items":["# + items.joined(separator: ",") + #"],"seq":1,"stream":"dispatch"}"#
            return try EncodedSnapshotChunk(result: Array(result.utf8), prepare: sink.prepareSnapshotItem).items
        }
        let prepared = try arrived([try text(second)])
        #expect(prepared[0].data == (try text(second)), "the text is kept as it came")
        // What the index keeps of it is made there too: its facts and its name, normalised.
        let entry = try #require(prepared[0].prepared as? ListingTable.Entry)
        #expect(entry.facts == ListingFacts(second) && entry.name == CheckDecider.normalisedName(second.subjectName))
        try await sink.applyEncodedSnapshotChunk(prepared, first: false)
        #expect(index.activeCount == 0, "the index waits for the whole snapshot")
        try await sink.finishSnapshot(seq: 9)
        #expect(index.activeCount == 2 && index.listings(of: second.subjectID) == [ListingFacts(second)])
        #expect(index.loadingCapacity == 0, "the loaded table went into force")
        let stored = try await database.read { try String.fetchAll($0, sql: "SELECT data FROM replica_listings ORDER BY id") }
        #expect(stored == [String(decoding: try text(Self.listing), as: UTF8.self), String(decoding: try text(second), as: UTF8.self)])
        #expect(try await database.read { try Checkpoints.applied($0, stream: "dispatch") } == 9)
        // A reload reads the stored text back into the same index.
        let reloaded = ReplicaIndex()
        try reloaded.load(from: database)
        #expect(reloaded.activeCount == 2 && reloaded.listings(of: Self.listing.subjectID) == [ListingFacts(Self.listing)])
        // A listing that cannot be read is refused, naming why, and changes nothing.
        await #expect(throws: (any Error).self) {
            try await sink.applyEncodedSnapshotChunk([.init(type: "list.added", data: Array(#"{"id":"L-9"}"#.utf8))], first: true)
        }
        // Read as it arrives, it is left to the transaction, which refuses it naming why.
        let unreadable = try arrived([Array(#"{"id":"L-9"}"#.utf8)])
        #expect(unreadable[0].prepared == nil)
        let refusal = await #expect(throws: (any Error).self) { try await sink.applyEncodedSnapshotChunk(unreadable, first: false) }
        #expect("\(refusal!)".hasPrefix("a snapshot listing could not be read"))
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM replica_listings") } == 2)
        // A snapshot that breaks off starts again from its first chunk: what the first attempt
        // loaded is dropped.
        sink.expectSnapshot(items: 5_000)
        try await sink.applyEncodedSnapshotChunk(try arrived([try text(second)]), first: true)
        // The second attempt's first chunk says no size (a publisher before 1.6): the first
        // attempt's is not kept.
        sink.expectSnapshot(items: 0)
        try await sink.applyEncodedSnapshotChunk(try arrived([try text(Self.listing)]), first: true)
        #expect(index.loadingCapacity < 5_000)
        #expect(index.activeCount == 0, "a reset empties the index in force too")
        try await sink.finishSnapshot(seq: 10)
        #expect(index.activeCount == 1 && index.listings(of: Self.listing.subjectID) == [ListingFacts(Self.listing)])
        #expect(index.listings(of: second.subjectID).isEmpty)
    }

    /// The check path writes its JSON by hand: the same text `WireCoding` writes for the `Codable`
    /// types, with every optional member present and absent; and reads a body as `JSONDecoder` does.
    @Test func theCheckPathsHandWrittenJSONIsTheCodableText() async throws {
        try loadCatalogue()
        var suspended = Self.listing
        suspended.id = "L-000002"
        suspended.suspension = .init(objection: "O-1", policy: .review, since: "2026-11-01T00:00:00.000Z")
        try apply("list.added", Self.listing)
        try apply("list.added", suspended)
        let blocked = try await checker.check(
            CheckRequest(subject: Self.listing.subjectID, action: "government-procurement", reference: "PO-1"))
        let allowed = try await checker.check(CheckRequest(subject: nil, name: "无名公司", action: "government-procurement"))
        var full = blocked
        full.replica = ReplicaState(
            seq: 7, publisherHead: 9, activeListings: 2, catalogueVersion: "v1", lastHeard: "2026-11-23T00:00:00.000Z", ageSeconds: 1.25,
            stale: true, state: "unreachable", lastError: "timed out \"x\"\n", rebuilt: "2026-11-22")
        full.matched[0].grade = .D
        #expect(blocked.matched.count == 2 && blocked.matched.contains { $0.suspendedBy == "O-1" })
        for answer in [blocked, allowed, full] {
            #expect(answer.jsonBytes == (try WireCoding.encode(answer)))
        }
        for feedback in [
            CheckFeedback(
                checkID: "c", department: .finance, subjectID: "s", action: "a", decision: "block", listingID: "L", measureID: "m",
                decidedAt: "t", reference: "r"),
            CheckFeedback(
                checkID: "c", department: .finance, subjectID: "s", action: "a", decision: "review", listingID: "L", measureID: nil,
                decidedAt: "t", reference: nil),
        ] {
            #expect(feedback.json == (try JSONValue(encoding: feedback)))
        }
        let body = #"{"subject":"91330500MA2D7E8F2D","name":"x","action":"a","requester":null,"reference":"r","other":[1]}"#
        let read = try CheckRequest(body: Array(body.utf8))
        let decoded = try WireCoding.decode(CheckRequest.self, from: Array(body.utf8))
        #expect(
            (read.subject, read.name, read.action, read.requester, read.reference)
                == (decoded.subject, decoded.name, decoded.action, decoded.requester, decoded.reference))
        for (bad, message) in [
            (#"{"subject":"x"}"#, "body.action is missing"), (#"{"action":null}"#, "body.action is null (expected String)"),
            (#"{"action":"a","subject":5}"#, "body.subject has the wrong type (expected String)"), ("[1]", "body has the wrong type"),
            ("{nope", "request body is not valid JSON"), ("{\"action\":\"a\u{FFFD}\"", "request body is not valid JSON"),
        ] {
            #expect(throws: ReplyError.self) { try CheckRequest(body: Array(bad.utf8)) }
            do {
                _ = try CheckRequest(body: Array(bad.utf8))
            } catch {
                #expect(error.message.contains(message), "\(bad): \(error.message)")
            }
        }
        // Its UTF-8 is checked once, by the reader; a refusal says which it was.
        #expect(throws: ReplyError(.badRequest, "request body is not valid UTF-8")) {
            try CheckRequest(body: Array(#"{"action":""#.utf8) + [0xFF, 0x22, 0x7D])
        }
    }

    /// A listing is one row by id: when an update names another subject, the listing leaves the old
    /// subject's checks, and its removal lifts it wherever the replica held it.
    @Test func aListingMovedToAnotherSubjectLeavesTheOldOne() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        var moved = Self.listing
        moved.subjectID = "91330500MA2D7E8F4N"
        try apply("list.updated", moved)
        #expect(index.listings(of: Self.listing.subjectID).isEmpty && index.listings(of: moved.subjectID).map(\.id) == ["L-000001"])
        #expect(index.activeCount == 1)
        var removed = Self.listing  // a removal naming the old subject still lifts the row it names by id
        removed.status = .removed
        try apply("list.removed", removed)
        #expect(index.activeCount == 0 && index.listings(of: moved.subjectID).isEmpty)
    }

    /// The compact table's chains, after thousands of random adds, replacements and removals over
    /// few subjects, names and persons (so chains are long and slots and links reused), answer as a
    /// plain dictionary of the same listings does.
    @Test func theCompactTableAnswersAsAPlainMapUnderRandomChanges() {
        var generator = SystemRandomNumberGenerator()
        var table = ListingTable()
        var model: [String: Listing] = [:]  // by "id subject"
        let subjects = (0..<6).map { "9133050\($0)MA2D7E8F2D" }
        let persons = (0..<9).map { "33010219900101\($0)00X" }
        for step in 0..<5_000 {
            var listing = Self.listing
            listing.id = "L-\(Int.random(in: 0..<40, using: &generator))"
            listing.subjectID = subjects.randomElement(using: &generator)!
            listing.subjectName = ["甲公司", "乙公司", "丙 公司", "丁公司"].randomElement(using: &generator)!
            listing.until = "2030-01-\(10 + step % 10)"
            listing.relatedPersons = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                RelatedPerson(
                    role: RelatedPerson.Role.allCases.randomElement(using: &generator)!, name: "张三",
                    personID: persons.randomElement(using: &generator)!)
            }
            let key = "\(listing.id) \(listing.subjectID)"
            if Bool.random(using: &generator) {
                table.upsert(listing)
                model[key] = listing
            } else {
                table.remove(listing)
                model[key] = nil
            }
        }
        #expect(table.count == model.count)
        for subject in subjects {
            let expected = model.values.filter { $0.subjectID == subject }.map(ListingFacts.init)
            #expect(table.listings(of: subject).sorted { $0.id < $1.id } == expected.sorted { $0.id < $1.id })
        }
        for name in ["甲公司", "乙公司", "丙 公司", "丁公司"] {
            let key = CheckDecider.normalisedName(name)
            let expected = model.values.filter { CheckDecider.normalisedName($0.subjectName) == key }.map { "\($0.id) \($0.subjectID)" }
            #expect(table.listings(named: key).map { "\($0.id) \($0.subjectID)" }.sorted() == expected.sorted())
        }
        for person in persons {
            let expected = model.values.flatMap { listing in
                (listing.relatedPersons ?? []).filter { $0.personID == person }.map {
                    "\($0.role) \(listing.id) \(listing.subjectID) \(listing.until)"
                }
            }
            let found = table.relatedListings(of: person).map { "\($0.role) \($0.listing.id) \($0.listing.subjectID) \($0.listing.until)" }
            #expect(found.sorted() == expected.sorted())
        }
    }

    @Test func concurrentChecksAreEachLoggedOnceAndAnsweredWithTheirOwnIDs() async throws {
        try loadCatalogue()
        try apply("list.added", Self.listing)
        let answers = try await withThrowingTaskGroup(of: CheckAnswer.self) { group in
            for n in 0..<64 {
                group.addTask {
                    try await checker.check(
                        CheckRequest(subject: Self.listing.subjectID, action: "government-procurement", reference: "PO-\(n)"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(answers.map(\.checkID)).count == 64 && answers.allSatisfy { $0.decision == .block })
        try await checkLog.flush()
        let (logged, feedback, audited) = try await database.read { db in
            (
                try String.fetchAll(db, sql: "SELECT id FROM checks"),
                try log.events(db, after: 0, limit: 1_000).map(\.id),
                try AuditLog.verify(db)
            )
        }
        #expect(Set(logged) == Set(answers.map(\.checkID)))
        #expect(Set(feedback) == Set(answers.map { "feedback-\($0.checkID)" }))
        guard case .intact(let count, _) = audited else {
            Issue.record("the audit chain broke: \(audited)")
            return
        }
        #expect(count == 64)
    }
}
