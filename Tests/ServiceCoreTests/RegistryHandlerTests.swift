import Bus
import Foundation
import GRDB
import MeshProtocol
import RegistryProtocol
import ServiceKit
import TestSupport
import Testing

@testable import RegistryCore

@Suite struct RegistryHandlerTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "registry")
    let handler: RegistryHandler

    init() throws {
        database = try ServiceDatabase.inMemory { RegistrySchema.register(in: &$0) }
        handler = RegistryHandler(writer: database, log: log)
    }

    static func penalty(_ document: String, code: String) -> [String: JSONValue] {
        [
            "cf_wsh": .string(document), "CF_XDR_MC": .string("湖州示例食品有限公司"), "CF_XDR_SHXYM": .string(code),
            "CF_CFLB": .string("罚款"), "CF_NR_FK": .string("2.5"), "CF_JDRQ": .string("2026-09-01"),
            "CF_CFJG": .string("湖州市市场监督管理局"), "CF_NR": .string("销售过期食品"),
        ]
    }

    @Test func storesGoodRowsRefusesBadOnesByRowAndFieldAndIsIdempotent() async throws {
        let request = ImportRequest(
            format: .xzcf,
            rows: [
                ImportRow(row: 2, fields: Self.penalty("罚〔2026〕1号", code: "91330502MA28K6XY14")),
                ImportRow(row: 3, fields: Self.penalty("罚〔2026〕2号", code: "91330502MA28K6XY1A")),
                ImportRow(row: 4, fields: Self.penalty("罚〔2026〕3号", code: "91330502MA28K6XY14")),
            ])
        let (first, again) = try await whileRunning(handler.services) { [handler] in
            (try await handler.importRows(request, from: "market"), try await handler.importRows(request, from: "market"))
        }
        #expect(first.read == 3 && first.stored == 2 && first.alreadyPresent == 0)
        #expect(
            first.refused == [
                RefusedRow(row: 3, field: "CF_XDR_SHXYM", value: "91330502MA28K6XY1A", reason: "check character should be 4, found A")
            ])
        #expect(again.stored == 0 && again.alreadyPresent == 2 && again.refused.count == 1)
        let events = try await database.read { try log.events($0, after: 0, limit: 10) }
        #expect(events.map(\.type) == ["record.stored", "record.stored"])
        #expect(events[0].data["source"] == .string("market"))
    }

    @Test func onlyTheCourtSubmitsTheDishonestDebtorList() async throws {
        await #expect {
            _ = try await handler.importRows(ImportRequest(format: .shixin, rows: []), from: "finance")
        } throws: { error in
            (error as? ReplyError)?.code == .forbidden
        }
    }

    @Test func subjectProfileListsItsRecords() async throws {
        _ = try await whileRunning(handler.services) { [handler] in
            try await handler.importRows(
                ImportRequest(format: .xzcf, rows: [ImportRow(row: 2, fields: Self.penalty("罚〔2026〕9号", code: "91330502MA28K6XY14"))]),
                from: "market")
        }
        let profile = try await handler.handle(
            op: "subject.get", body: .object(["id": .string("91330502ma28k6xy14")]),
            context: RequestContext(department: nil, authenticated: false))
        #expect(profile["name"] == .string("湖州示例食品有限公司"))
        #expect(profile["records"]?.arrayValue?.count == 1)
    }
}
