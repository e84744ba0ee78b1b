import Foundation
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// "Double random, one public" with the real processes: the demo's food businesses are imported, the
/// demo plan is drawn with a published seed source, the draw verifies from grading and from the portal's
/// copy (and a tampered copy does not), a result becomes the department's record, and `grade --explain`
/// adds up to the score.
@Suite struct InspectionFlowTests {
    /// Two severe penalties in demo/food-businesses.json: grade D, drawn three times as often as B.
    static let dishonest = "913305217100081463"
    static let seedSource = "中国体育彩票排列5 第26150期 3 8 1 5 6"

    @Test func aPublishedDrawVerifiesItsResultsBecomeRecordsAndExplainAddsUp() async throws {
        let layout = try TestSuiteLayout(departments: ["market"])
        defer { layout.remove() }
        let processes = [
            try SuiteProcess("registry", layout: layout),
            try SuiteProcess("grading", layout: layout, environment: DemoData.inspectionPlans),
            try SuiteProcess("disclosure", layout: layout),
        ]
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }

        let imported = try await DemoData.importFoodBusinesses(layout)
        #expect(imported.stored, "\(imported.output)\n\(logs())")
        // The last record of the file is the second severe penalty: once grading has it, it has them all.
        var grade = ""
        #expect(
            try await eventually {
                grade = try await ctl("grade", "--subject", Self.dishonest, "--json").stdout
                return grade.contains(#""score":40"#)
            }, "\(grade)\n\(logs())")

        let drawn = try await ctl(
            "inspect", "draw", "--plan", "market-food-2026q3", "--seed-source", Self.seedSource, "--as", "market", "--json")
        try #require(drawn.status == 0, "\(drawn.stdout)\(drawn.stderr)\n\(logs())")
        let draw = try WireCoding.decode(JSONValue.self, from: Array(drawn.stdout.utf8))
        let id = try #require(draw["id"]?.stringValue)
        let selected = draw["selected"]?.arrayValue ?? []
        #expect(draw["population"]?.arrayValue?.count == 30 && !selected.isEmpty, "\(drawn.stdout)")
        #expect(selected.allSatisfy { $0["inspectors"]?.arrayValue?.count == 2 })
        // M-101 declared 91330502710000005U related and, with M-102, is of 吴兴区 (330502): never sent there.
        for assignment in selected where assignment["subject"]?.stringValue?.dropFirst(2).hasPrefix("330502") == true {
            #expect(assignment["inspectors"]?.arrayValue?.contains(.string("M-101")) == false, "\(assignment)")
        }
        let again = try await ctl("inspect", "draw", "--plan", "market-food-2026q3", "--seed-source", Self.seedSource, "--json")
        #expect(again.stdout.contains(#""id":"\#(id)""#), "the same seed source is the same draw: \(again.stdout)\(again.stderr)")

        let verified = try await ctl("inspect", "verify", id)
        #expect(verified.status == 0 && verified.stdout.contains("\(id) verified"), "\(verified.stdout)\(verified.stderr)")

        // The portal's copy verifies too; a copy with another seed source does not, and says why.
        var published = ""
        #expect(
            try await eventually {
                let (body, status) = try await getRaw(layout.http("disclosure.http") + "/api/v1/inspections/\(id)")
                published = body
                return status == 200
            }, "\(published)\n\(logs())")
        let copy = layout.directory.appendingPathComponent("draw.json")
        try published.write(to: copy, atomically: true, encoding: .utf8)
        let fromPortal = try await ctl("inspect", "verify", "--file", copy.path)
        #expect(fromPortal.status == 0, "\(fromPortal.stdout)\(fromPortal.stderr)")
        try published.replacingOccurrences(of: "第26150期", with: "第26151期").write(to: copy, atomically: true, encoding: .utf8)
        let tampered = try await ctl("inspect", "verify", "--file", copy.path)
        #expect(tampered.status == 1, "\(tampered.stdout)\(tampered.stderr)")
        #expect(tampered.stderr.contains("\(id) does not verify") && tampered.stderr.contains("seed: the published inputs give"))

        // A result: the department's record of category 行政监督检查, and published with the draw.
        let subject = try #require(selected.first?["subject"]?.stringValue)
        let entered = try await ctl(
            "inspect", "result", id, "--subject", subject, "--outcome", "problems-found", "--findings", "进货查验记录不全")
        #expect(entered.status == 0 && entered.stdout.contains("problems-found"), "\(entered.stdout)\(entered.stderr)")
        var profile = ""
        var portal = ""
        #expect(
            try await eventually {
                profile = try await ctl("profile", subject, "--json").stdout
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/inspections/\(id)").0
                return profile.contains("行政监督检查") && portal.contains("进货查验记录不全")
            }, "\(profile)\n\(portal)\n\(logs())")
        #expect(profile.contains(#""source":"market""#), "\(profile)")

        // grade --explain: base and contributions add up to the score.
        let explained = try await ctl("grade", "--subject", Self.dishonest, "--explain", "--json")
        let explanation = try WireCoding.decode(JSONValue.self, from: Array(explained.stdout.utf8))
        let contributions = explanation["components"]?.arrayValue?.compactMap { $0["contribution"]?.intValue } ?? []
        #expect(contributions.count == 3 && contributions.reduce(0, +) == -60, "\(explained.stdout)")
        #expect(explanation["score"]?.intValue == 40 && explanation["base"]?.intValue == 100 && explanation["bound"]?.intValue == 0)
        let text = try await ctl("grade", "--subject", Self.dishonest, "--explain")
        #expect(text.stdout.contains("penalty, severe (严重), weight -30") && text.stdout.contains("= score"), "\(text.stdout)")
    }
}
