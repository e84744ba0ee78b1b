import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import RegistryProtocol
import ServiceKit
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import RegistryCore

/// The registry as a credit archive: bulk CSV batches, every format, authority per row, versions,
/// aliases, related persons both ways, search.
///
/// A class, so that each test's import writer runs from `init` to `deinit` (as in the registry's
/// service group); tests that make handlers of their own run theirs with `whileRunning`.
@Suite final class RegistryArchiveTests: Sendable {
    let database: DatabaseQueue
    let log = EventLog(stream: "registry")
    let handler: RegistryHandler
    let context = RequestContext(department: nil, authenticated: false)
    private let writer: Task<Void, Never>

    init() throws {
        database = try ServiceDatabase.inMemory { RegistrySchema.register(in: &$0) }
        let handler = RegistryHandler(writer: database, log: log, today: { "2026-06-01" })
        self.handler = handler
        writer = Task { await handler.importWriter.run() }
    }

    deinit { writer.cancel() }

    static let header = [
        "CF_WSH", "CF_XDR_MC", "CF_XDR_SHXYM", "CF_XDR_ZZJG", "CF_FRDB", "CF_FR_ZJHM", "CF_CFLB", "CF_NR_FK", "CF_JDRQ", "CF_CFJG", "CF_NR",
    ]
    static let code = "91330100799655058B"

    static func line(_ document: String, code: String = code, fine: String = "2.5", content: String = "销售过期食品") -> String {
        "\(document),\"杭州某某贸易有限公司\",\(code),79965505-8,张三,11010519491231002X,罚款,\(fine),2026-03-01,杭州市市场监督管理局,\(content)"
    }

    func bulk(
        _ lines: [String], format: RecordFormat = .xzcf, columns: [String] = header, as department: String = "market"
    ) async throws -> ImportResult {
        let request = ImportRequest(format: format, columns: columns, csv: lines.joined(separator: "\n"), firstRow: 2)
        return try await handler.importBody(request.body, from: department)
    }

    func events() async throws -> [Event] {
        try await database.read { [log] in try log.events($0, after: 0, limit: 1_000) }
    }

    // MARK: - Bulk CSV

    @Test func bulkBatchStoresGoodRowsAndNamesEveryBadOne() async throws {
        let result = try await bulk([
            Self.line("罚1"),
            "",  // a blank row keeps the numbering
            Self.line("罚2", code: "91330100799655058A"),
            "only,three,columns",
            Self.line("罚3", fine: "abc"),
            Self.line("罚4"),
            "\"unclosed,quote",  // an open quote takes the rest of the batch with it, so it can only be last
        ])
        #expect(result.read == 6 && result.stored == 2 && result.alreadyPresent == 0)
        #expect(
            result.refused == [
                RefusedRow(row: 4, field: "CF_XDR_SHXYM", value: "91330100799655058A", reason: "check character should be B, found A"),
                RefusedRow(row: 5, field: "row", value: nil, reason: "has 3 columns; the header has 11"),
                RefusedRow(row: 6, field: "CF_NR_FK", value: "abc", reason: "must be a fine in 万元, a decimal number ≥ 0"),
                RefusedRow(row: 8, field: "row", value: nil, reason: "has a quote that is never closed"),
            ])
        #expect(result.recordIDs.isEmpty)
        let types = try await events().map(\.type)
        #expect(types == ["record.stored", "record.stored"])
    }

    @Test func recordStoredEventsCarryTheRecordWithoutItsSourceFields() async throws {
        _ = try await bulk([Self.line("罚1")])
        let event = try #require(try await events().first)
        struct Stored: Decodable { var id: String; var source: String; var record: CreditRecord }
        let stored = try event.decodeData(Stored.self)
        #expect(stored.id == "R-00000001" && stored.source == "market")
        #expect(stored.record.subjectID == Self.code && stored.record.relatedPersons.first?.name == "张三")
        #expect(stored.record.sourceFields.isEmpty)
        let profile = try await handler.profile(Self.code)
        #expect(profile["records"]?[0]?["record"]?["sourceFields"]?["CF_NR"] == "销售过期食品")
    }

    @Test func replayedRecordEventsAreWhatWasPublishedThoughTheLogKeepsAReference() async throws {
        let published = Mutex<[CommittedEvent]>([])
        log.onCommit { events in published.withLock { $0 += events } }
        _ = try await bulk([Self.line("罚1"), Self.line("罚2")])
        // The correction moves R-00000001's first version into record_versions.
        _ = try await bulk([Self.line("罚1", fine: "80")], as: "finance")
        let live = try published.withLock { $0 }.map { try WireCoding.decoder.decode(Event.self, from: Data($0.payload)) }
        let replayed = try await events()
        #expect(replayed.map(\.type) == ["record.stored", "record.stored", "record.corrected"])
        #expect(replayed == live)
        #expect(replayed[0].data["record"]?["fineAmount"] == .double(2.5) && replayed[0].data["source"] == "market")
        let kept = try await database.read {
            try String.fetchAll($0, sql: "SELECT data FROM bus_events WHERE type = 'record.stored' ORDER BY seq")
        }
        #expect(kept == [#"{"ref":"R-00000001"}"#, #"{"ref":"R-00000002"}"#])
    }

    @Test func recordEventsStoredInFullAreReplayedAsStoredAndAMissingRecordIsNamed() async throws {
        let full = #"{"id":"R-00000009","record":{"kind":"penalty"},"source":"market","storedAt":"2026-01-02T03:04:05.000Z"}"#
        try await database.write { db in
            try db.execute(
                sql:
                    "INSERT INTO bus_events(seq, id, type, at, data) VALUES (1, 'registry-R-00000009', 'record.stored', '2026-01-02T03:04:05.000Z', ?)",
                arguments: [full])
        }
        let event = try #require(try await events().first)
        #expect(event.data == (try WireCoding.decoder.decode(JSONValue.self, from: Data(full.utf8))))

        try await database.write { db in
            try db.execute(
                sql:
                    #"INSERT INTO bus_events(seq, id, type, at, data) VALUES (2, 'registry-R-00000010', 'record.stored', '2026-01-02T03:04:05.000Z', '{"ref":"R-00000010"}')"#
            )
        }
        let error = await #expect(throws: DatabaseError.self) { try await events() }
        #expect(error?.message?.contains("R-00000010") == true)
    }

    @Test func operatorNoteColumnsAreIgnored() async throws {
        let result = try await bulk([Self.line("罚1") + ",2,CF_NR_FK,bad fine"], columns: Self.header + ["_row", "_field", "_reason"])
        #expect(result.stored == 1)
        let profile = try await handler.profile(Self.code)
        #expect(profile["records"]?[0]?["record"]?["sourceFields"]?["_reason"] == nil)
    }

    @Test func headerCodesAreReadWhateverTheirCaseAndSpaces() async throws {
        let columns = Self.header.map { " " + $0.lowercased() }
        let result = try await bulk([Self.line("罚1")], columns: columns)
        #expect(result.stored == 1 && result.refused.isEmpty)
        let profile = try await handler.profile(Self.code)
        #expect(profile["records"]?[0]?["record"]?["sourceFields"]?["CF_NR"] == "销售过期食品")
        #expect(profile["records"]?[0]?["record"]?["sourceFields"]?[" cf_nr"] == nil)
        // The same row through the JSON form, keys as sent: the same record, already present.
        let values = Array(Self.line("罚1").utf8).withUnsafeBufferPointer { CSVText.fields($0) } ?? []
        let fields = Dictionary(uniqueKeysWithValues: zip(columns, values))
        let again = try await handler.importRows(
            ImportRequest(format: .xzcf, rows: [ImportRow(row: 2, fields: fields.mapValues { .string($0) })]), from: "market")
        #expect(again.alreadyPresent == 1)
    }

    @Test func concurrentBatchesAreStoredWithoutLosingOrRenumberingAny() async throws {
        let code = Self.code
        let results = try await withThrowingTaskGroup(of: ImportResult.self) { group in
            for batch in 0..<12 {
                group.addTask { [self] in
                    try await bulk((0..<40).map { Self.line("罚\(batch)-\($0)", code: code) })
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.map(\.stored).reduce(0, +) == 480)
        let events = try await events()
        #expect(events.count == 480)
        #expect(events.map(\.seq) == Array(1...480))
        let ids = try await database.read { try String.fetchAll($0, sql: "SELECT id FROM records ORDER BY rowid") }
        #expect(ids == (1...480).map { RegistrySchema.recordID(Int64($0)) })
        let again = try await bulk((0..<40).map { Self.line("罚3-\($0)", code: code) })
        #expect(again.alreadyPresent == 40 && again.stored == 0)
    }

    // MARK: - Group commit

    /// Holds the registry's writer in a transaction until `release` is called, so that the batches
    /// submitted meanwhile have to wait for it.
    func holdWriter() async throws -> (release: @Sendable () -> Void, done: Task<Void, any Error>) {
        let gate = DispatchSemaphore(value: 0)
        let started = Atomic<Bool>(false)
        let done = Task { [database] in
            try await database.write { _ in
                started.store(true, ordering: .releasing)
                gate.wait()
            }
        }
        #expect(await eventually(every: .milliseconds(5)) { started.load(ordering: .acquiring) }, "the writer held")
        return ({ gate.signal() }, done)
    }

    @Test func aGracefulShutdownStoresEveryBatchAcceptedBeforeItAndRefusesLaterOnes() async throws {
        let own = RegistryHandler(writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(idleDelay: .seconds(3_600)))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let services = ServiceGroup(services: own.services, logger: logger)
        let (release, held) = try await holdWriter()
        let results = try await withThrowingTaskGroup(of: ImportResult?.self) { group in
            group.addTask {
                try await services.run()
                return nil
            }
            for batch in 0..<3 {
                group.addTask { try await own.bulk(Self.subjectLines((batch * 3)..<(batch * 3 + 3))) }
                if batch == 0 {
                    #expect(await eventually(every: .milliseconds(5)) { own.importWriter.transactionCount == 1 }, "the first batch taken")
                }
            }
            #expect(await eventually(every: .milliseconds(5)) { own.importWriter.waiting == 2 }, "2 batches waiting")
            await services.triggerGracefulShutdown()
            release()
            return try await group.reduce(into: []) { results, result in result.map { results.append($0) } }
        }
        try await held.value
        #expect(results.map(\.stored) == [3, 3, 3], "the writer stopped only once every accepted batch was stored")
        await #expect {
            _ = try await own.bulk(Self.subjectLines([9]))
        } throws: { ($0 as? ReplyError)?.code == .unavailable }
    }

    @Test func batchesWaitingForTheWriterCommitInOneTransaction() async throws {
        let committed = Mutex<[Int]>([])
        log.onCommit { events in committed.withLock { $0.append(events.count) } }
        let (release, held) = try await holdWriter()
        let results = try await withThrowingTaskGroup(of: ImportResult.self) { group in
            for batch in 0..<5 {
                group.addTask { [self] in try await bulk((0..<3).map { Self.line("组\(batch)-\($0)") }) }
                // The first batch is taken and waits inside the writer; the other four queue behind it.
                if batch == 0 {
                    #expect(
                        await eventually(every: .milliseconds(5)) { handler.importWriter.transactionCount == 1 }, "the first batch taken")
                }
            }
            #expect(await eventually(every: .milliseconds(5)) { handler.importWriter.waiting == 4 }, "4 batches waiting")
            release()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await held.value
        #expect(results.map(\.stored) == [3, 3, 3, 3, 3])
        #expect(committed.withLock { $0 } == [3, 12])
        #expect(handler.importWriter.transactionCount == 2 && handler.importWriter.batchCount == 5)
        #expect(try await events().map(\.seq) == Array(1...15))
        let status = await handler.status()
        #expect(status["importBatches"]?.intValue == 5 && status["importTransactions"]?.intValue == 2)
    }

    @Test func aBatchTheDatabaseRefusesFailsAloneAndItsGroupIsStored() async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    CREATE TRIGGER refuse_bad BEFORE INSERT ON records WHEN NEW.natural_key LIKE '%罚坏%'
                    BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END
                    """)
        }
        let (release, held) = try await holdWriter()
        let outcomes = await withTaskGroup(of: (String, Result<Int, any Error>).self) { group in
            for name in ["first", "good", "坏", "also good"] {
                group.addTask { [self] in
                    do {
                        return (name, .success(try await bulk([Self.line("罚\(name)")]).stored))
                    } catch {
                        return (name, .failure(error))
                    }
                }
                if name == "first" {
                    #expect(
                        await eventually(every: .milliseconds(5)) { handler.importWriter.transactionCount == 1 }, "the first batch taken")
                }
            }
            #expect(await eventually(every: .milliseconds(5)) { handler.importWriter.waiting == 3 }, "3 batches waiting")
            release()
            return await group.reduce(into: [String: Result<Int, any Error>]()) { $0[$1.0] = $1.1 }
        }
        try await held.value
        for name in ["first", "good", "also good"] {
            #expect((try? outcomes[name]?.get()) == 1, "\(name)")
        }
        guard case .failure(let error) = outcomes["坏"] else {
            Issue.record("the refused batch did not fail: \(String(describing: outcomes["坏"]))")
            return
        }
        #expect("\(error)".contains("refused by the test trigger"))
        // One alone, one group of three that failed, then each of the three again.
        #expect(handler.importWriter.transactionCount == 5 && handler.importWriter.batchCount == 4)
        #expect(try await events().count == 3)
        #expect(try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM records") } == 3)
    }

    // MARK: - Versions

    @Test func identicalReimportAddsNothingAndACorrectionIsVersionTwo() async throws {
        _ = try await bulk([Self.line("罚1")])
        let again = try await bulk([Self.line("罚1")])
        #expect(again.stored == 0 && again.alreadyPresent == 1 && again.corrected == 0)

        let corrected = try await bulk([Self.line("罚1", fine: "80", content: "销售过期食品（更正）")], as: "finance")
        #expect(corrected.corrected == 1 && corrected.stored == 0)
        let types = try await events().map(\.type)
        #expect(types == ["record.stored", "record.corrected"])
        let correction = try #require(try await events().last)
        #expect(correction.data["version"] == 2 && correction.data["previousVersion"] == 1)
        #expect(correction.data["changed"] == .array(["fineAmount", "severity", "summary", "sourceFields.CF_NR", "sourceFields.CF_NR_FK"]))

        let history = try await handler.history(of: "r-00000001")
        let versions = try #require(history["versions"]?.arrayValue)
        #expect(versions.count == 2)
        #expect(versions[0]["version"] == 1 && versions[0]["source"] == "market" && versions[0]["record"]?["fineAmount"] == .double(2.5))
        // Both versions' summaries are kept once, as CF_NR, and read back into the record.
        #expect(versions[0]["record"]?["summary"] == "销售过期食品" && versions[1]["record"]?["summary"] == "销售过期食品（更正）")
        #expect(versions.allSatisfy { $0["record"]?["fromSource"] == nil && $0["record"]?["authority"] == "杭州市市场监督管理局" })
        #expect(versions[1]["version"] == 2 && versions[1]["source"] == "finance" && versions[1]["record"]?["severity"] == "severe")
        #expect(versions[1]["changed"]?.arrayValue?.contains("fineAmount") == true)

        let same = try await bulk([Self.line("罚1", fine: "80", content: "销售过期食品（更正）")], as: "finance")
        #expect(same.alreadyPresent == 1 && same.corrected == 0)
        let profile = try await handler.profile(Self.code)
        #expect(profile["records"]?[0]?["version"] == 2)
        #expect(profile["records"]?[0]?["previousVersions"]?.arrayValue?.count == 1)
    }

    @Test func theArchiveKeepsRepeatedValuesOnceAndReadsRecordsStoredInFull() async throws {
        _ = try await bulk([Self.line("罚1"), Self.line("罚2")])
        let stored = try await database.read { try String.fetchAll($0, sql: "SELECT data FROM records ORDER BY rowid") }
        #expect(stored.allSatisfy { $0.contains(#""summary":"CF_NR""#) && $0.components(separatedBy: "杭州某某贸易有限公司").count == 2 })
        var profile = try await handler.profile(Self.code)
        let first = try #require(profile["records"]?[0]?["record"])
        #expect(first["summary"] == "销售过期食品" && first["subjectName"] == "杭州某某贸易有限公司" && first["documentNumber"] == "罚1")
        #expect(first["fromSource"] == nil && first["sourceFields"]?["CF_NR"] == "销售过期食品")

        // A record stored in full (as before the archive wrote values once) is read as it was, and
        // re-importing its row finds it present.
        let record = try RecordJSON.record(archived: Array(stored[0].utf8))
        try await database.write { db in
            try db.execute(sql: "UPDATE records SET data = ? WHERE rowid = 1", arguments: [RecordJSON.text(RecordJSON.value(record))])
        }
        profile = try await handler.profile(Self.code)
        #expect(profile["records"]?[0]?["record"] == first)
        let again = try await bulk([Self.line("罚1")])
        #expect(again.alreadyPresent == 1 && again.stored == 0 && again.corrected == 0)
    }

    // MARK: - Formats and authority

    @Test func importsLicencesAndEveryNativeKindWithinTheDepartmentsAuthority() async throws {
        let licence = try await bulk(
            ["杭上市监许〔2024〕88号,杭州某某贸易有限公司,\(Self.code),普通,2024-01-05,2029-01-04,杭州市上城区市场监督管理局"],
            format: .xzxk, columns: ["XK_WSH", "XK_XDR_MC", "XK_XDR_SHXYM", "XK_XKLB", "XK_JDRQ", "XK_YXQZI", "XK_XKJG"])
        #expect(licence.stored == 1 && licence.refused.isEmpty)

        let rows = [RecordKind.taxArrears, .commitment, .thirdPartyReport, .courtDishonestDebtor, .licence].enumerated().map {
            index, kind in
            ImportRow(
                row: index + 1,
                fields: [
                    "kind": .string(kind.rawValue), "subjectID": .string(Self.code), "subjectName": "杭州某某贸易有限公司",
                    "documentNumber": .string("N-\(index)"), "authority": "杭州市税务局", "decisionDate": "2026-01-02", "amount": "150000",
                ])
        }
        let result = try await handler.importRows(ImportRequest(format: .native, rows: rows), from: "tax")
        // tax may submit tax arrears, commitments and licences, not third-party reports nor the court list.
        #expect(result.stored == 3)
        #expect(result.refused.map(\.row) == [3, 4])
        #expect(result.refused.allSatisfy { $0.field == "kind" })
        #expect(
            result.refused[0].reason.hasPrefix("tax may not submit third-party-report records (authority.tax.records in built-in defaults"))
        let profile = try await handler.profile(Self.code)
        let kinds = profile["records"]?.arrayValue?.compactMap { $0["record"]?["kind"]?.stringValue }
        #expect(kinds == ["licence", "tax-arrears", "commitment", "licence"])
        #expect(profile["records"]?[1]?["record"]?["severity"] == "serious")
    }

    @Test func aSingleKindFormatOutsideTheAuthorityIsRefusedWhole() async throws {
        await #expect {
            _ = try await bulk([Self.line("罚1")], as: "court")
        } throws: { error in
            (error as? ReplyError)?.code == .forbidden && "\(error)".contains("authority.court.records")
        }
    }

    // MARK: - Aliases, related persons, search

    @Test func aLegacyCodeFindsItsSubject() async throws {
        _ = try await bulk([Self.line("罚1")])
        let profile = try await handler.profile("79965505-8")
        #expect(profile["id"] == .string(Self.code))
        #expect(profile["matchedAlias"] == .object(["scheme": "organisation-code", "value": "799655058"]))
        #expect(profile["aliases"]?.arrayValue?.count == 1)
        let search = try await handler.search(.object(["q": "799655058"]))
        #expect(search["subjects"]?.arrayValue?.first?["id"] == .string(Self.code))
    }

    @Test func relatedPersonsAreQueryableBothWaysWithPeriods() async throws {
        _ = try await bulk([Self.line("罚1"), Self.line("罚2")])
        let registered = try await handler.handle(
            op: "relations.register",
            body: .object([
                "subject": .string(Self.code), "role": "actual-controller", "name": "李四", "personID": "330102198507161235",
                "from": "2020-01-01", "until": "2025-12-31",
            ]),
            context: RequestContext(department: "market", authenticated: false))
        #expect(registered["person"]?["role"] == "actual-controller")

        let relations = try await handler.relations(of: Self.code)
        let persons = try #require(relations["relatedPersons"]?.arrayValue)
        #expect(persons.count == 2)
        #expect(persons[0]["role"] == "actual-controller" && persons[0]["until"] == "2025-12-31" && persons[0]["registrations"] == 1)
        #expect(persons[1]["role"] == "legal-representative" && persons[1]["name"] == "张三" && persons[1]["records"] == 2)
        #expect(persons[1]["from"] == "2026-03-01" && persons[1]["until"] == nil)

        let byID = try await handler.represented(by: "11010519491231002x")
        #expect(byID["by"] == "id" && byID["represents"]?.arrayValue?.first?["subjectID"] == .string(Self.code))
        let byName = try await handler.represented(by: "李四")
        #expect(byName["by"] == "name" && byName["represents"]?.arrayValue?.count == 1)
        #expect(try await events().map(\.type).last == "relations.registered")
    }

    @Test func registeringARelationNeedsAKnownSubjectOrItsName() async throws {
        await #expect {
            _ = try await handler.handle(
                op: "relations.register", body: .object(["subject": .string(Self.code), "role": "principal", "name": "王五"]),
                context: RequestContext(department: "market", authenticated: false))
        } throws: { "\($0)".contains("give subjectName") }
        await #expect {
            _ = try await handler.handle(
                op: "relations.register", body: .object(["subject": "91330100799655058A", "role": "principal", "name": "王五"]),
                context: RequestContext(department: "market", authenticated: false))
        } throws: { "\($0)".contains("check character should be B") }
        let types = try await events().map(\.type)
        #expect(types.isEmpty)
    }

    @Test func searchesByNamePrefixAndIdentifierPrefixInPages() async throws {
        let lines = (0..<5).map { number in
            let code = Identifiers.usccCompleting("91330100799650\(number)0")!
            return "罚\(number),湖州示例\(number)有限公司,\(code),,,,罚款,1,2026-03-01,湖州市市场监督管理局,警告"
        }
        let stored = try await bulk(lines)
        #expect(stored.stored == 5, "\(stored.refused)")
        let first = try await handler.search(.object(["q": "湖州示例", "limit": 2]))
        #expect(first["by"] == "name" && first["subjects"]?.arrayValue?.count == 2)
        let cursor = try #require(first["next"]?.stringValue)
        let second = try await handler.search(.object(["q": "湖州示例", "limit": 2, "after": .string(cursor)]))
        #expect(second["subjects"]?[0]?["name"] == "湖州示例2有限公司")
        let third = try await handler.search(.object(["q": "湖州示例", "limit": 2, "after": second["next"] ?? .null]))
        #expect(third["subjects"]?.arrayValue?.count == 1 && third["next"] == .null)
        let byID = try await handler.search(.object(["q": "9133010079965", "limit": 10]))
        #expect(byID["by"] == "id" && byID["subjects"]?.arrayValue?.count == 5)
        #expect(byID["subjects"]?[0]?["records"] == 1)
    }

    @Test func theProfileNamesCourtListingsInForce() async throws {
        let court = ImportRequest(
            format: .shixin,
            rows: [
                ImportRow(
                    row: 1,
                    fields: [
                        "iname": "杭州某某贸易有限公司", "caseCode": "(2026)浙0102执1号", "cardNum": .string(Self.code),
                        "courtName": "杭州市上城区人民法院", "regDate": "2026-01-05", "businessEntity": "张三",
                    ])
            ])
        _ = try await handler.importRows(court, from: "court")
        let profile = try await handler.profile(Self.code)
        #expect(profile["knownListings"]?[0]?["list"] == "black")
        #expect(profile["knownListings"]?[0]?["document"] == "(2026)浙0102执1号")
        #expect(profile["relatedPersons"]?[0]?["name"] == "张三")
    }

    // MARK: - Deferred indexes

    /// Rows n of distinct subjects 湖州示例n有限公司 (n < 10), each with 张三 as legal representative.
    static func subjectLines(_ numbers: some Sequence<Int>) -> [String] {
        numbers.map { number in
            let code = Identifiers.usccCompleting("91330100799650\(number)0")!
            return "罚\(number),湖州示例\(number)有限公司,\(code),,张三,11010519491231002X,罚款,1,2026-03-01,湖州市市场监督管理局,警告"
        }
    }

    func pendingRows(_ handler: RegistryHandler) async -> Int64? { await handler.status()["pendingIndexRows"]?.intValue }

    @Test func searchesAndRelationsFindIndexedAndPendingRowsAlike() async throws {
        let handler = RegistryHandler(writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(idleDelay: .seconds(3_600)))
        let stored = try await whileRunning(handler.services) { [database] in
            let even = try await handler.bulk(Self.subjectLines([0, 2, 4, 6])).stored
            _ = try await database.write { try RegistrySchema.indexPending($0) }
            return (even, try await handler.bulk(Self.subjectLines([1, 3, 5, 7])).stored)
        }
        #expect(stored == (4, 4))
        #expect(await pendingRows(handler) == 8, "4 subjects and their 4 related persons wait for a pass")

        // Pages of three, in name order, across the indexed (even) and the pending (odd) subjects.
        var names: [String] = []
        var after: JSONValue = .null
        repeat {
            let page = try await handler.search(.object(["q": "湖州示例", "limit": 3, "after": after]))
            names += (page["subjects"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            after = page["next"] ?? .null
        } while after != .null && names.count < 20
        #expect(names == (0..<8).map { "湖州示例\($0)有限公司" })

        for query in ["11010519491231002X", "张三"] {
            let represented = try await handler.represented(by: query)
            let subjects = (represented["represents"]?.arrayValue ?? []).compactMap { $0["subjectName"]?.stringValue }
            #expect(subjects.sorted() == (0..<8).map { "湖州示例\($0)有限公司" }, "\(query)")
        }
    }

    @Test func aPassIndexesPendingRowsEveryRowsPerPassAndWhenImportsStop() async throws {
        let handler = RegistryHandler(
            writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(rowsPerPass: 6, idleDelay: .seconds(3_600)))
        try await whileRunning(handler.services) {
            _ = try await handler.bulk(Self.subjectLines(0..<4))
            let pending = await pendingRows(handler)
            #expect(handler.importWriter.indexPassCount == 0 && pending == 8)
            _ = try await handler.bulk(Self.subjectLines(4..<8))
            #expect(await eventually { handler.importWriter.indexPassCount == 1 }, "8 rows stored: one pass")
            #expect(await pendingRows(handler) == 0)
        }
        let plan = try await database.read { db in
            try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN SELECT id FROM subjects WHERE pending IS NULL AND name >= '湖州' AND name < '湖州\u{10FFFF}'"
            )
            .map { $0["detail"] as String }
        }
        #expect(plan.joined().contains("subjects_name"), "\(plan)")

        let clock = TestClock()
        let idle = RegistryHandler(
            writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(idleDelay: .seconds(1)), clock: clock.service)
        try await whileRunning(idle.services) {
            _ = try await idle.bulk(Self.subjectLines([8]))
            await clock.waitForSleepers()  // the idle pass waits
            clock.advance(by: .milliseconds(600))
            // Another batch within the delay: the pass waits a whole delay after it.
            _ = try await idle.bulk(Self.subjectLines([9]))
            await clock.advance(by: .milliseconds(400), thenWaitForSleepers: 1)
            #expect(idle.importWriter.indexPassCount == 0, "a batch came 400 ms ago")
            await clock.advance(by: .milliseconds(599), thenWaitForSleepers: 1)
            #expect(idle.importWriter.indexPassCount == 0 && clock.sleeperCount == 1, "999 ms without a batch")
            #expect(await pendingRows(idle) == 4)
            clock.advance(by: .milliseconds(1))
            #expect(await eventually { idle.importWriter.indexPassCount == 1 }, "a pass when no batch came for the idle delay")
            #expect(await pendingRows(idle) == 0)
        }
    }

    @Test func aFailedPassIsReportedKeepsItsRowsFoundAndIsTriedAgainLater() async throws {
        try await database.write { db in
            try db.execute(
                sql:
                    "CREATE TRIGGER refuse_pass BEFORE UPDATE OF pending ON subjects BEGIN SELECT RAISE(ABORT, 'pass refused by the test trigger'); END"
            )
        }
        let handler = RegistryHandler(
            writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(rowsPerPass: 4, idleDelay: .seconds(3_600)))
        try await whileRunning(handler.services) { [database] in
            _ = try await handler.bulk(Self.subjectLines(0..<4))
            #expect(await eventually { handler.importWriter.indexPassFailures.count == 1 }, "4 records stored: a pass, refused")
            var status = await handler.status()
            #expect(status["indexPassFailures"] == 1 && status["indexPasses"] == 0 && status["pendingIndexRows"] == 8)
            #expect(status["lastIndexPassError"]?.stringValue?.contains("pass refused by the test trigger") == true, "\(status)")
            #expect(try await handler.search(.object(["q": "湖州示例"]))["subjects"]?.arrayValue?.count == 4)

            // Not tried again with the next batch, but once another rowsPerPass records are stored.
            _ = try await handler.bulk(Self.subjectLines([4]))
            // The writer takes batches in turn: once this one (already present, so it changes nothing
            // but the count) is stored, whatever pass was due after the one before has run.
            _ = try await handler.bulk(Self.subjectLines([4]))
            #expect(handler.importWriter.indexPassFailures.count == 1 && handler.importWriter.batchCount == 3)
            try await database.write { db in try db.execute(sql: "DROP TRIGGER refuse_pass") }
            _ = try await handler.bulk(Self.subjectLines(5..<8))
            #expect(await eventually { handler.importWriter.indexPassCount == 1 })
            status = await handler.status()
            #expect(status["pendingIndexRows"] == 0 && status["indexPassFailures"] == 1)
        }
    }

    /// A database whose pending rows were found through the `…_pending` indexes (before
    /// `registry-v5-pending-by-rowid`) keeps them pending and found: the migration records the
    /// rowid they start after, `VACUUM` (OPERATIONS.md) leaves them there, queries read them by
    /// rowid, and the next pass indexes them.
    @Test func rowsLeftPendingBeforeTheRowidMigrationStayFoundAndAreIndexed() async throws {
        let old = try DatabaseQueue()
        let migrator = ServiceDatabase.migrator { RegistrySchema.register(in: &$0) }
        try migrator.migrate(old, upTo: "registry-v4-deferred-indexes")
        try await old.write { db in
            for (number, pending) in [(0, nil), (1, nil), (2, 1), (3, 1)] as [(Int, Int?)] {
                try db.execute(
                    sql:
                        "INSERT INTO subjects(id, scheme, kind, name, updated_at, pending) VALUES (?, 'uscc', 'enterprise', ?, '2026-06-01', ?)",
                    arguments: ["S\(number)", "湖州示例\(number)有限公司", pending])
                try db.execute(
                    sql: """
                        INSERT INTO related_persons(subject_id, role, name, person_id, record_id, source, pending)
                        VALUES (?, 'legal-representative', '张三', '11010519491231002X', ?, 'market', ?)
                        """,
                    arguments: ["S\(number)", "R-\(number)", pending])
            }
        }
        try migrator.migrate(old)
        try await old.writeWithoutTransaction { try $0.execute(sql: "VACUUM") }
        let handler = RegistryHandler(
            writer: old, log: EventLog(stream: "registry"), today: { "2026-06-01" }, indexPasses: .init(idleDelay: .seconds(3_600)))
        #expect(await pendingRows(handler) == 4, "subjects 2 and 3 and their related persons")
        let everyone = (0..<4).map { "湖州示例\($0)有限公司" }
        func found() async throws -> ([String], [String]) {
            let names = try await handler.search(.object(["q": "湖州示例"]))["subjects"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
            let represented = try await handler.represented(by: "11010519491231002X")["represents"]?.arrayValue?.compactMap {
                $0["subjectName"]?.stringValue
            }
            return (names ?? [], (represented ?? []).sorted())
        }
        #expect(try await found() == (everyone, everyone))
        let plan = try await old.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT id FROM subjects WHERE \(RegistrySchema.pendingAfterPass("subjects"))")
                .map { $0["detail"] as String }
        }
        #expect(plan.joined().contains("rowid>?"), "the pending rows are a range of rowids: \(plan)")

        #expect(try await old.write { try RegistrySchema.indexPending($0) } == 4)
        #expect(await pendingRows(handler) == 0)
        #expect(try await found() == (everyone, everyone))
        #expect(try await old.read { try Int.fetchAll($0, sql: "SELECT indexed_through FROM index_passes ORDER BY table_name") } == [4, 4])
    }

    @Test func rowsAnEarlierRunLeftPendingAreIndexedAtStart() async throws {
        let first = RegistryHandler(writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(idleDelay: .seconds(3_600)))
        _ = try await whileRunning(first.services) { try await first.bulk(Self.subjectLines(0..<3)) }
        #expect(await pendingRows(first) == 6)
        let clock = TestClock()
        let next = RegistryHandler(
            writer: database, log: log, today: { "2026-06-01" }, indexPasses: .init(idleDelay: .milliseconds(100)), clock: clock.service)
        try await whileRunning(next.services) {
            await clock.waitForSleepers()
            await clock.advance(by: .milliseconds(99), thenWaitForSleepers: 1)
            #expect(next.importWriter.indexPassCount == 0, "not before the idle delay")
            clock.advance(by: .milliseconds(1))
            #expect(await eventually { next.importWriter.indexPassCount == 1 })
        }
        #expect(await pendingRows(next) == 0)
        #expect(try await next.search(.object(["q": "湖州示例"]))["subjects"]?.arrayValue?.count == 3)
    }

    @Test func unknownSubjectsAndRecordsAreNotFound() async throws {
        await #expect { _ = try await handler.profile(Self.code) } throws: { ($0 as? ReplyError)?.code == .notFound }
        await #expect { _ = try await handler.history(of: "R-1") } throws: { ($0 as? ReplyError)?.code == .notFound }
    }
}

extension RegistryHandler {
    /// Imports penalty lines of `RegistryArchiveTests.header` as market.
    fileprivate func bulk(_ lines: [String]) async throws -> ImportResult {
        let request = ImportRequest(format: .xzcf, columns: RegistryArchiveTests.header, csv: lines.joined(separator: "\n"), firstRow: 2)
        return try await importBody(request.body, from: "market")
    }
}

extension JSONValue {
    /// An element of an array value.
    fileprivate subscript(index: Int) -> JSONValue? {
        guard let array = arrayValue, array.indices.contains(index) else { return nil }
        return array[index]
    }
}
