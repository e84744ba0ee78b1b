import Bus
import CreditDomain
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import DisclosureCore
@testable import GradingCore
@testable import RegistryCore

/// Inspections in grading (population, draw, results), the registry (results become records) and
/// disclosure (published draws), each against an in-memory database; and `grade.explain`.
@Suite struct InspectionTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "grading")
    let clock = TestClock(day: "2026-07-01")
    let handler: GradingHandler

    static let wuxing = "91330502710000005U"  // 吴兴区 food business, grade A
    static let nanxun = "913305037100003716"  // 南浔区 food business with a serious penalty, grade B
    static let deqing = "91330521710000742Y"  // 德清县 food business with a severe penalty, grade C
    static let shop = "9233050271000185XW"  // an individual business of 吴兴区
    static let hangzhou = "91330100799655058B"  // a food business of Hangzhou: outside the region
    static let builder = "91330500MA2D7E8F2D"  // a builder of Huzhou: not food
    static let person = "330502198001011231"  // a natural person with a food licence: never drawn

    static let plans = """
        plans:
          - id: market-food
            department: market
            title: 食品经营者抽查
            authority: 湖州市市场监督管理局
            basis: 国发〔2019〕5号
            population: {subjectKinds: [enterprise, individual-business], regions: ["3305"], recordKinds: [licence], keywords: [食品]}
            ratio: 100%
            multipliers: {A: 1, B: 1, C: 1, D: 1}
            conflicts: [declared, same-region]
            inspectors:
              - {id: M-1, name: 甲, region: "330502", related: [913305037100003716]}
              - {id: M-2, name: 乙, region: "330503"}
              - {id: M-3, name: 丙}
              - {id: M-4, name: 丁}
        """

    init() throws {
        database = try ServiceDatabase.inMemory { GradingSchema.register(in: &$0) }
        handler = GradingHandler(
            writer: database, log: log, model: try BuiltProducts.evaluationModel(),
            plans: try InspectionPlanLoader.load(yaml: Self.plans), clock: clock.service)
        let applier = handler.registryApplier
        try database.write { db in
            for (number, (subject, kind, summary)) in [
                (Self.wuxing, SubjectKind.enterprise, "食品经营许可：预包装食品销售"), (Self.nanxun, .enterprise, "食品经营许可：散装食品销售"),
                (Self.deqing, .enterprise, "食品经营许可：热食类食品制售"), (Self.shop, .individualBusiness, "食品经营许可：糕点类食品制售"),
                (Self.hangzhou, .enterprise, "食品经营许可：预包装食品销售"), (Self.builder, .enterprise, "建筑业企业资质"),
                (Self.person, .naturalPerson, "食品经营许可：自制饮品制售"),
            ].enumerated() {
                try applier.apply(
                    Self.stored("R-0000000\(number)", subject: subject, subjectKind: kind, kind: .licence, summary: summary), in: db)
            }
            try applier.apply(Self.stored("R-00000010", subject: Self.nanxun, kind: .penalty, severity: .serious), in: db)
            try applier.apply(Self.stored("R-00000011", subject: Self.deqing, kind: .penalty, severity: .severe), in: db)
        }
    }

    static func stored(
        _ id: String, subject: String, subjectKind: SubjectKind = .enterprise, kind: RecordKind, severity: Severity? = nil,
        summary: String = "经营超过保质期的食品"
    ) throws -> Event {
        let record = CreditRecord(
            kind: kind, subjectID: subject, subjectScheme: subjectKind.isNaturalPerson ? .residentID : .unifiedSocialCreditCode,
            subjectKind: subjectKind, subjectName: "名称\(subject.suffix(4))", documentNumber: "doc-\(id)", authority: "湖州市市场监督管理局",
            summary: summary, decisionDate: "2026-03-01", severity: severity, category: kind == .licence ? "普通" : nil)
        return Event(
            stream: "registry", seq: 1, id: "registry-\(id)", type: "record.stored", at: "2026-03-01T00:00:00Z",
            data: .object(["id": .string(id), "source": .string("market"), "record": try JSONValue(encoding: record)]))
    }

    static let market = RequestContext(department: "market", authenticated: true, role: .department)
    static let finance = RequestContext(department: "finance", authenticated: true, role: .department)
    static let creditOffice = RequestContext(department: "operator", authenticated: true, role: .operator)

    func events() async throws -> [Event] {
        try await database.read { try log.events($0, after: 0, limit: 100) }
    }

    // MARK: - Population and draw

    @Test func drawsTheFoodBusinessesOfTheRegionWithTheirGradesAndHonoursConflicts() async throws {
        let draw = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        #expect(draw.id == "I-000001" && draw.drawnBy == "market" && draw.drawnAt.hasPrefix("2026-07-01"))
        #expect(
            draw.population == [
                DrawCandidate(subject: Self.wuxing, grade: .A), DrawCandidate(subject: Self.nanxun, grade: .B),
                DrawCandidate(subject: Self.deqing, grade: .C), DrawCandidate(subject: Self.shop, grade: .A),
            ])
        #expect(Set(draw.selected.map(\.subject)) == Set(draw.population.map(\.subject)))
        #expect(draw.selected.first { $0.subject == Self.nanxun }?.subjectName == "名称3716")
        for assignment in draw.selected {
            // M-1 declared 南浔 related and is of 吴兴 (330502); M-2 is of 南浔 (330503).
            if [Self.wuxing, Self.shop, Self.nanxun].contains(assignment.subject) { #expect(!assignment.inspectors.contains("M-1")) }
            if assignment.subject == Self.nanxun { #expect(!assignment.inspectors.contains("M-2")) }
        }
        #expect(InspectionDrawing.verify(draw).isEmpty && draw.results == [])
        let events = try await events()
        #expect(events.last?.type == "inspection.drawn" && events.last?.id == "grading-inspection-I-000001")
        var announced = try #require(try events.last?.decodeData(InspectionDraw.self))
        #expect(announced.results == nil)
        announced.results = []
        #expect(announced == draw)
    }

    @Test func theSameSeedSourceGivesTheSameDrawUntilThePopulationChanges() async throws {
        let first = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.creditOffice)
        #expect(first.drawnBy == "operator")
        clock.advance(by: .seconds(60))
        #expect(try await handler.draw(plan: "market-food", seedSource: "  26101\n", by: Self.market) == first)
        #expect(try await events().filter { $0.type == "inspection.drawn" }.count == 1)
        // A new food business changes the population: the same seed source would give another draw.
        try await database.write { db in
            try handler.registryApplier.apply(
                Self.stored("R-00000020", subject: "91330522710001112F", kind: .licence, summary: "食品经营许可：冷食类食品制售"), in: db)
        }
        await #expect {
            _ = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        } throws: { ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("this seed source drew I-000001") }
        let second = try await handler.draw(plan: "market-food", seedSource: "26102", by: Self.market)
        #expect(second.id == "I-000002" && second.population.count == 5)
    }

    @Test func refusesAnotherDepartmentsPlanAnUnknownPlanAndAnEmptySeedSource() async throws {
        await #expect {
            _ = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.finance)
        } throws: {
            ($0 as? ReplyError)?.code == .forbidden && "\($0)".contains("plan market-food is market's; finance draws only its own")
        }
        await #expect {
            _ = try await handler.draw(plan: "market-drugs", seedSource: "26101", by: Self.market)
        } throws: { ($0 as? ReplyError)?.code == .notFound && "\($0)".contains("plans: market-food") }
        await #expect {
            _ = try await handler.draw(plan: "market-food", seedSource: " ", by: Self.market)
        } throws: { ($0 as? ReplyError)?.code == .invalid && "\($0)".contains("seedSource must be 1–1000 characters") }
        let empty = GradingHandler(
            writer: try ServiceDatabase.inMemory { GradingSchema.register(in: &$0) }, log: log, model: handler.grader.model,
            plans: handler.plans)
        await #expect {
            _ = try await empty.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        } throws: { "\($0)".contains("draws from nobody") && "\($0)".contains("regions 3305") }
    }

    // MARK: - Results

    @Test func aResultIsEnteredOnceCorrectedUnderItsNumberAndAnnounced() async throws {
        let draw = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        clock.advance(by: .seconds(86_400))
        let entry = ResultEntry(draw: draw.id, subject: Self.deqing.lowercased(), outcome: "problems-found", findings: "进货查验记录不全")
        let result = try await handler.enter(entry, from: "market")
        #expect(result.document == "I-000001/\(Self.deqing)" && result.date == "2026-07-02" && result.subjectKind == .enterprise)
        #expect(result.inspectors == draw.selected.first { $0.subject == Self.deqing }?.inspectors)
        #expect(result.record.kind == .otherAdministrativeAct && result.record.category == "行政监督检查")
        #expect(result.record.summary == "“双随机、一公开”抽查（I-000001）：发现问题；进货查验记录不全")
        // The same again changes nothing; a correction keeps the number.
        #expect(try await handler.enter(entry, from: "market") == result)
        var corrected = entry
        corrected.findings = "进货查验记录不全，已当场责令改正"
        #expect(try await handler.enter(corrected, from: "market").document == result.document)
        corrected.document = "湖市监查〔2026〕9号"
        await #expect { _ = try await handler.enter(corrected, from: "market") } throws: {
            ($0 as? ReplyError)?.code == .conflict && "\($0)".contains("a correction keeps that number")
        }
        #expect(try await events().filter { $0.type == "inspection.result" }.count == 2)
        let stored = try #require(try await database.read { try InspectionSchema.draw(draw.id, in: $0) })
        #expect(stored.results?.count == 1 && stored.results?.first?.findings == "进货查验记录不全，已当场责令改正")
    }

    @Test(arguments: [
        ("finance", ResultEntry(draw: "I-000001", subject: deqing, outcome: "passed"), "which is market's: only market enters its results"),
        ("market", ResultEntry(draw: "I-000009", subject: deqing, outcome: "passed"), "no draw I-000009"),
        ("market", ResultEntry(draw: "I-000001", subject: hangzhou, outcome: "passed"), "was not drawn in I-000001"),
        ("market", ResultEntry(draw: "I-000001", subject: deqing, outcome: "fine"), "must be one of passed, problems-found, not-located"),
        ("market", ResultEntry(draw: "I-000001", subject: deqing, outcome: "problems-found"), "needs findings"),
        ("market", ResultEntry(draw: "I-000001", subject: deqing, outcome: "passed", date: "2026-07-09"), "is in the future"),
        ("market", ResultEntry(draw: "I-000001", subject: deqing, outcome: "passed", date: "2026-06-30"), "is before the draw"),
        ("market", ResultEntry(draw: "I-000001", subject: deqing, outcome: "passed", date: "2026-02-30"), "date \"2026-02-30\""),
    ])
    func refusesAResultNamingWhatIsWrong(department: String, entry: ResultEntry, message: String) async throws {
        _ = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        await #expect { _ = try await handler.enter(entry, from: department) } throws: { "\($0)".contains(message) }
    }

    // MARK: - Registry and disclosure

    @Test func theRegistryStoresAResultAsTheDepartmentsRecordAndTheCorrectionAsAVersion() async throws {
        let draw = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        _ = try await handler.enter(ResultEntry(draw: draw.id, subject: Self.wuxing, outcome: "passed"), from: "market")
        _ = try await handler.enter(
            ResultEntry(draw: draw.id, subject: Self.wuxing, outcome: "problems-found", findings: "未公示许可证"), from: "market")
        let results = try await events().filter { $0.type == "inspection.result" }
        let registry = try ServiceDatabase.inMemory { RegistrySchema.register(in: &$0) }
        let registryLog = EventLog(stream: "registry")
        try await registry.write { db in
            for event in results { try InspectionResultApplier(log: registryLog).apply(event, in: db) }
        }
        let recorded = try await registry.read { try registryLog.events($0, after: 0, limit: 10) }
        #expect(recorded.map(\.type) == ["record.stored", "record.corrected"])
        let record = try #require(recorded.last?.data["record"])
        #expect(record["kind"] == .string("other-administrative-act") && record["category"] == .string("行政监督检查"))
        #expect(recorded.last?.data["source"] == .string("market") && record["subjectID"] == .string(Self.wuxing))
        // A department without other-administrative-act in its authority: the event is refused (a dead letter).
        var foreign = try results[0].decodeData(InspectionResult.self)
        foreign.department = "court"
        let event = Event(
            stream: "grading", seq: 9, id: "grading-9", type: "inspection.result", at: "", data: try JSONValue(encoding: foreign))
        await #expect { try await registry.write { try InspectionResultApplier(log: registryLog).apply(event, in: $0) } } throws: {
            "\($0)".contains("court may not submit other-administrative-act records")
        }
    }

    @Test func thePortalPublishesDrawsAndResults() async throws {
        let draw = try await handler.draw(plan: "market-food", seedSource: "26101", by: Self.market)
        _ = try await handler.enter(ResultEntry(draw: draw.id, subject: Self.shop, outcome: "not-located"), from: "market")
        let portal = try ServiceDatabase.inMemory { InspectionDisclosure.register(in: &$0) }
        let events = try await events()
        try await portal.write { db in for event in events { try InspectionDisclosureApplier().apply(event, in: db) } }
        let app = Application(router: InspectionDisclosure.addRoutes(to: Router(), reader: portal))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/inspections", method: .get) { response in
                let list = try WireCoding.decode([InspectionDrawSummary].self, from: Array(String(buffer: response.body).utf8))
                #expect(list.map(\.id) == ["I-000001"] && list[0].results == 1 && list[0].selected == 4)
            }
            try await client.execute(uri: "/api/v1/inspections/I-000001", method: .get) { response in
                var published = try WireCoding.decode(InspectionDraw.self, from: Array(String(buffer: response.body).utf8))
                #expect(published.results?.map(\.outcome) == [.notLocated])
                published.results = []
                #expect(published == draw && InspectionDrawing.verify(published).isEmpty)
            }
            try await client.execute(uri: "/api/v1/inspections/I-000404", method: .get) { response in
                #expect(response.status == .notFound && String(buffer: response.body).contains("no inspection draw I-000404"))
            }
        }
    }

    // MARK: - Explain

    @Test func explainListsEveryRecordAndAddsUpToTheStoredScore() async throws {
        let explanation = try await handler.explain(Self.deqing)
        #expect(explanation.components.map(\.record) == ["R-00000002", "R-00000011"])
        #expect(explanation.components.map(\.contribution) == [0, -30] && explanation.components[1].rule == "penalty, severe (严重)")
        let stored = try #require(try await database.read { try GradingSchema.grade(of: Self.deqing, in: $0) })
        #expect(explanation.score == stored.score && explanation.grade == stored.grade)
        #expect(explanation.base + explanation.components.map(\.contribution).reduce(0, +) + explanation.bound == stored.score)
        let unknown = try await handler.explain("91330100MA2B3C4D5B")
        #expect(unknown.components.isEmpty && unknown.score == 100 && unknown.grade == .A)
    }
}
