import Foundation
import MeshProtocol
import TestSupport
import Testing

/// The credit office's department assessment (考核) with the real processes: a department imports its
/// records (published late: 双公示 on time 0 of 7), a listing it initiates is acknowledged, a check is
/// blocked and fed back, an objection is decided within its deadline, an inspection is drawn and its
/// result entered. `creditctl assessment` and dispatch's /assessment page show each part; a period that
/// does not parse is refused naming the shapes; with grading down its part is named as not gathered.
@Suite struct AssessmentTests {
    static let listed = "91330500MA2D7E8F2D"
    static let seedSource = "中国福利彩票双色球 第2026140期 03 09 14 21 27 30 + 11"

    @Test func eachDepartmentsWorkInAPeriodIsCountedFromDispatchThePortalAndGrading() async throws {
        let layout = try TestSuiteLayout(departments: ["market"])
        defer { layout.remove() }
        let grading = try SuiteProcess("grading", layout: layout, environment: DemoData.inspectionPlans)
        let processes = [
            try SuiteProcess("registry", layout: layout), grading,
            try SuiteProcess("sanction-dispatch", layout: layout, environment: ["CREDIT_DISPATCH_OBJECTION_WORKING_DAYS": "0"]),
            try SuiteProcess("repair", layout: layout), try SuiteProcess("disclosure", layout: layout),
            try SuiteProcess("interceptor", ["--dept", "market"], name: "interceptor-market", layout: layout),
        ]
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        func json(_ result: CommandResult) -> JSONValue {
            (try? WireCoding.decode(JSONValue.self, from: Array(result.stdout.utf8))) ?? .null
        }
        // Draws, acknowledgements and decisions happen today; the demo's penalties were decided in 2026.
        let year = String(ISO8601DateFormatter().string(from: Date()).prefix(4))

        let imported = try await DemoData.importFoodBusinesses(layout)
        #expect(imported.stored, "\(imported.output)\n\(logs())")

        var initiated: CommandResult?
        #expect(
            try await eventually {
                initiated = try await ctl(
                    "initiate", "--as", "market", "--list", "black", "--subject", Self.listed, "--basis", "《食品安全法》第一百三十五条",
                    "--document", "湖市监〔2026〕21号", "--until", "2028-12-31", "--json")
                return initiated?.status == 0
            }, "\(initiated?.stderr ?? "")\n\(logs())")
        let listing = try #require(json(initiated!)["id"]?.stringValue)
        var checked = JSONValue.null
        #expect(
            try await eventually {
                checked = json(
                    try await ctl(
                        "check", "--dept", "market", "--subject", Self.listed, "--action", "change-legal-representative", "--json"))
                return checked["decision"] == "block"
            }, "\(checked)\n\(logs())")
        let filed = try await ctl("objection", "file", "--listing", listing, "--reason", "处罚依据有误", "--json")
        let objection = try #require(json(filed)["id"]?.stringValue, "\(filed.stdout)\(filed.stderr)")
        let decided = try await ctl("objection", "decide", objection, "--as", "market", "--outcome", "upheld", "--note", "核实无误")
        #expect(decided.status == 0, "\(decided.stderr)")

        var drawn: CommandResult?
        #expect(
            try await eventually {
                drawn = try await ctl(
                    "inspect", "draw", "--plan", "market-food-2026q3", "--seed-source", Self.seedSource, "--as", "market", "--json")
                return drawn?.status == 0
            }, "\(drawn?.stdout ?? "")\(drawn?.stderr ?? "")\n\(logs())")
        let draw = json(drawn!)
        let id = try #require(draw["id"]?.stringValue)
        let selected = draw["selected"]?.arrayValue?.count ?? 0
        let subject = try #require(draw["selected"]?.arrayValue?.first?["subject"]?.stringValue)
        let entered = try await ctl("inspect", "result", id, "--subject", subject, "--outcome", "passed")
        #expect(entered.status == 0, "\(entered.stdout)\(entered.stderr)")

        // This year: the push acknowledged, the block fed back, the objection decided on time, the draw.
        var market = JSONValue.null
        var report = JSONValue.null
        #expect(
            try await eventually {
                report = json(try await ctl("assessment", "--period", year, "--json"))
                market = report["departments"]?.arrayValue?.first { $0["department"] == "market" } ?? .null
                return (market["acknowledgement"]?["acknowledged"]?.intValue ?? 0) >= 1 && market["feedback"]?["block"] != nil
                    && market["objections"]?["decided"]?.intValue == 1
            }, "\(report)\n\(logs())")
        #expect(report["period"]?["from"]?.stringValue == "\(year)-01-01" && report["unavailable"] == .object([:]), "\(report)")
        let acknowledgement = market["acknowledgement"] ?? .null
        #expect(acknowledgement["acknowledged"] == acknowledgement["pushes"] && acknowledgement["inTime"] == acknowledgement["pushes"])
        #expect(market["objections"]?["decidedOnTime"]?.intValue == 1 && market["objections"]?["overdueOpen"]?.intValue == 0)
        #expect(
            market["inspections"]?["draws"]?.intValue == 1 && market["inspections"]?["selected"]?.intValue == Int64(selected)
                && market["inspections"]?["results"]?.intValue == 1, "\(market)")
        // 2026: the seven penalties the demo's market decided, imported today: all public, none in time.
        let penalties = json(try await ctl("assessment", "--period", "2026", "--json"))
        let publication = penalties["departments"]?.arrayValue?.first { $0["department"] == "market" }?["publication"]
        #expect(publication?["published"]?.intValue == 7 && publication?["onTime"]?.intValue == 0, "\(penalties)")
        // A quarter with nothing done: the roster's department is there, its parts zero.
        let quiet = json(try await ctl("assessment", "--period", "2024Q1", "--json"))
        let empty = quiet["departments"]?.arrayValue?.first { $0["department"] == "market" }
        #expect(empty?["acknowledgement"]?["pushes"]?.intValue == 0 && empty?["publication"]?["published"]?.intValue == 0, "\(quiet)")

        let table = try await ctl("assessment", "--period", year)
        #expect(
            table.status == 0 && table.stdout.contains("assessment \(year) (\(year)-01-01") && table.stdout.contains("market"),
            "\(table.stdout)")
        let wrong = try await ctl("assessment", "--period", "2026Q5")
        #expect(wrong.status != 0 && wrong.stderr.contains("Q1 to Q4"), "\(wrong.stdout)\(wrong.stderr)")

        // The page: the same report, escaped, with a form; a bad period is a 400 that says what to write.
        let dispatch = layout.http("dispatch.http")
        let (page, status) = try await getRaw(dispatch + "/assessment?period=\(year)")
        #expect(status == 200 && page.contains("部门考核") && page.contains("<td>market</td>") && page.contains("name=\"period\""), "\(page)")
        let (bad, badStatus) = try await getRaw(dispatch + "/assessment?period=%3Cscript%3E")
        #expect(badStatus == 400 && bad.contains("2026Q4") && !bad.contains("<script>"), "\(bad)")
        let (api, apiStatus) = try await getRaw(dispatch + "/v1/assessment?period=\(year)")
        #expect(apiStatus == 200 && api.contains(#""department":"market""#), "\(api)")

        // Grading down: its part is named as not gathered, the rest still counted.
        grading.stop()
        let partial = json(try await ctl("assessment", "--period", year, "--json", "--timeout", "30"))
        #expect(partial["unavailable"]?["inspections"] != nil && partial["unavailable"]?["publication"] == nil, "\(partial)")
        let row = partial["departments"]?.arrayValue?.first { $0["department"] == "market" }
        #expect(row?["inspections"] == nil && row?["objections"]?["decided"]?.intValue == 1, "\(partial)")
    }
}
