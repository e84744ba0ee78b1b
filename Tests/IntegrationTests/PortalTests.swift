import Foundation
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The public portal with the real processes: one-stop search by name and every kind of code, a
/// subject's page with licences, penalties and list status under the authorities' names, 双公示
/// timeliness per department, clear refusals, and no unmasked resident ID on any page or answer.
@Suite struct PortalTests {
    static let food = "91330502MA28K6XY14"
    static let debtor = "91330500MA2D7E8F2D"
    static let trader = "91330100799655058B"
    /// Resident IDs in the demo files: a penalised person, a listed debtor, a legal representative.
    static let residentIDs = ["33010219750615002X", "330502198001011231", "11010519491231002X"]

    static func today() -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: Date())
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    @Test func aCitizenFindsASubjectAndSeesWhatTheLawDiscloses() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let processes = ["registry", "sanction-dispatch", "disclosure", "repair"].compactMap { try? SuiteProcess($0, layout: layout) }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let portal = layout.http("disclosure.http")
        var fetched: [String: String] = [:]
        func get(_ path: String, q: String? = nil) async throws -> (String, Int) {
            var components = URLComponents(string: portal + path)!
            if let q { components.queryItems = [URLQueryItem(name: "q", value: q)] }
            let answer = try await getRaw(components.url!.absoluteString)
            fetched[components.url!.absoluteString] = answer.0
            return answer
        }
        let demo = BuiltProducts.packageRoot.appendingPathComponent("demo")

        // The demo's penalties (decided months ago: published late) and one decided today (on time).
        let penalties = layout.directory.appendingPathComponent("penalties.csv")
        let csv = try String(contentsOf: demo.appendingPathComponent("penalties.csv"), encoding: .utf8)
        try
            (csv.trimmingCharacters(in: .newlines)
            + "\n湖市监罚〔2026〕301号,湖州示例食品有限公司,法人及非法人组织,\(Self.food),,王小明,警告,未按规定标注生产日期,,《中华人民共和国食品安全法》第一百二十五条,\(Self.today()),,,湖州市市场监督管理局,11330500MB1234562K\n")
            .write(to: penalties, atomically: true, encoding: .utf8)
        var imported: CommandResult?
        #expect(
            try await eventually {
                imported = try await ctl("import", "--as", "market", "--format", "xzcf", penalties.path)
                return imported?.stdout.contains("3 stored") == true
            }, "\(imported?.stderr ?? "")\n\(logs())")
        #expect(try await ctl("import", "--as", "market", "--format", "xzxk", demo.appendingPathComponent("licences.csv").path).status == 0)
        #expect(
            try await ctl("import", "--as", "court", "--format", "shixin", demo.appendingPathComponent("court-shixin.json").path).status
                == 0)
        var black = ("", 0)
        #expect(
            try await eventually {
                black = try await get("/api/v1/blacklist")
                let licences = try await get("/api/v1/licences").0
                return black.0.contains(Self.debtor) && licences.contains("糕点生产") && licences.contains("预包装食品销售")
            }, "\(black)\n\(logs())")
        #expect(black.0.contains(#""initiatorName":"湖州市中级人民法院""#), "\(black.0)")

        // Search by name: exact after folding full-width letters and spaces, and by prefix.
        let exact = try await get("/", q: "湖州示例食品　有限公司")
        #expect(exact.1 == 200 && exact.0.contains("/subjects/\(Self.food)"), "\(exact.0)")
        let prefix = try await get("/api/v1/subjects", q: "湖州示例")
        #expect(prefix.0.contains(Self.food) && prefix.0.contains(Self.debtor), "\(prefix.0)")
        // By code: unified social credit code (full-width digits too), organisation code, resident ID.
        #expect(try await get("/api/v1/subjects", q: "９１３３０５０２ＭＡ２８Ｋ６ＸＹ１４").0.contains(#""name":"湖州示例食品有限公司""#))
        #expect(try await get("/api/v1/subjects", q: "79965505-8").0.contains(Self.trader))
        let person = try await get("/api/v1/subjects", q: "33010219750615002x")
        let personKey = try #require(person.0.firstMatch(of: /"key":"(P[0-9a-f]{24})"/).map { String($0.1) }, "\(person.0)")
        #expect(person.0.contains(#""code":"330102********002X""#), "\(person.0)")

        // A subject's page: licences and penalties under the authority's name, marks, the report link.
        let page = try await get("/subjects/\(Self.food)")
        #expect(page.1 == 200 && page.0.contains("糕点生产") && page.0.contains("销售过期食品") && page.0.contains("湖州市市场监督管理局"), "\(page.0)")
        #expect(!page.0.replacing(/href="[^"]*"/, with: "").contains("R-0000"), "internal record ids shown on the page")
        let debtorPage = try await get("/subjects/\(Self.debtor)")
        #expect(debtorPage.0.contains("黑名单") && debtorPage.0.contains("湖州市中级人民法院"), "\(debtorPage.0)")
        let json = try await get("/api/v1/subjects/\(personKey)")
        #expect(json.1 == 200 && json.0.contains("无照经营") && json.0.contains(#""subjectKind":"natural-person""#), "\(json.0)")
        _ = try await get("/subjects/\(personKey)")
        for path in [
            "/", "/blacklist", "/redlist", "/penalties", "/licences", "/commitments", "/statistics", "/api/v1/penalties", "/api/v1/redlist",
        ] {
            #expect(try await get(path).1 == 200, "\(path)")
        }

        // A credit report: numbered, signed, verifiable on the portal and offline; an altered copy fails.
        let report = try await get("/reports/\(Self.food)")
        #expect(report.1 == 200 && report.0.contains("糕点生产"), "\(report)")
        let number = try #require(report.0.firstMatch(of: /(CR\d{14})/).map { String($0.1) }, "\(report.0)")
        let code = try #require(report.0.firstMatch(of: /code=([0-9A-F]{12})/).map { String($0.1) }, "\(report.0)")
        let verified = try await get("/verify/\(number)?code=\(code.lowercased())")
        #expect(verified.1 == 200 && verified.0.contains("Genuine") && verified.0.contains("湖州示例食品有限公司"), "\(verified)")
        #expect(try await get("/verify/\(number)?code=000000000000").1 == 404)
        _ = try await get("/reports/\(personKey)")
        let file = layout.directory.appendingPathComponent("\(number).json")
        try Data(try await get("/reports/\(number).json").0.utf8).write(to: file)
        let keyFile = layout.directory.appendingPathComponent("public-key.json")
        try Data(try await get("/reports/public-key").0.utf8).write(to: keyFile)
        #expect(
            try await ctl("report", "key").stdout.contains(
                try #require(try await get("/reports/public-key").0.firstMatch(of: /"publicKey":"([^"]+)"/).map { String($0.1) })))
        let genuine = try await ctl("report", "verify", file.path, "--public-key", keyFile.path)
        #expect(
            genuine.status == 0 && genuine.stdout.contains("GENUINE: report \(number)") && genuine.stdout.contains("湖州示例食品有限公司"),
            "\(genuine.stdout)\(genuine.stderr)")
        // Forged: the payload's name changed, the signature kept.
        var signed = try WireCoding.decode(JSONValue.self, from: Array(try Data(contentsOf: file)))
        let payload = String(decoding: Data(base64Encoded: try #require(signed["payload"]?.stringValue))!, as: UTF8.self)
            .replacingOccurrences(of: "湖州示例食品有限公司", with: "湖州诚信食品有限公司")
        if case .object(var object) = signed {
            object["payload"] = .string(Data(payload.utf8).base64EncodedString()); signed = .object(object)
        }
        let forged = layout.directory.appendingPathComponent("forged.json")
        try Data(try WireCoding.encode(signed)).write(to: forged)
        let refused = try await ctl("report", "verify", forged.path, "--public-key", keyFile.path)
        #expect(refused.status == 1 && refused.stderr.contains("NOT GENUINE"), "\(refused.stdout)\(refused.stderr)")

        // The objection and repair forms: received for the credit office, filed by an operator.
        func post(_ path: String, _ fields: [String: String]) async throws -> (String, Int) {
            var request = URLRequest(url: URL(string: portal + path)!)
            request.httpMethod = "POST"
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            var components = URLComponents()
            components.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
            request.httpBody = Data((components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B").utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            let answer = (String(decoding: data, as: UTF8.self), (response as? HTTPURLResponse)?.statusCode ?? 0)
            fetched["POST " + path + "\(fields["text"] ?? "")"] = answer.0
            return answer
        }
        let penalty = try #require(
            page.0.firstMatch(of: /objections\/new\?target=(R-\d+)/).map { String($0.1) }, "no objection link on the subject's page")
        #expect(try await get("/objections/new?target=\(penalty)").0.contains("name=\"code\""))
        #expect(try await get("/repairs/new?target=R-99999999").1 == 404)
        let form = ["target": penalty, "applicant": "王小明", "contact": "0572-1234567", "text": "罚款金额计算有误，应为1.5万元"]
        let wrongCode = try await post("/objections", form.merging(["code": Self.debtor]) { $1 })
        #expect(wrongCode.1 == 400 && wrongCode.0.contains("give the full unified social credit code"), "\(wrongCode)")
        let received = try await post("/objections", form.merging(["code": Self.food.lowercased()]) { $1 })
        let submission = try #require(received.0.firstMatch(of: /(I-\d{6})/).map { String($0.1) }, "\(received)")
        #expect(try await ctl("intake", "list").stdout.contains(submission))
        let filed = try await ctl("intake", "file", submission)
        #expect(filed.status == 0 && filed.stdout.contains("filed as O-"), "\(filed.stdout)\(filed.stderr)")
        #expect(
            try await eventually { try await get("/subjects/\(Self.food)").0.contains("异议核查中") }, "the filed objection marks the penalty")
        let repairForm = form.merging(["code": Self.food, "text": "本公司已缴清罚款并完成整改，承诺今后依法诚信经营"]) { $1 }
        let repairReceived = try await post("/repairs", repairForm)
        let second = try #require(repairReceived.0.firstMatch(of: /(I-\d{6})/).map { String($0.1) }, "\(repairReceived)")
        #expect(try await ctl("intake", "decline", second, "--note", "申请人身份未能核实").stdout.contains("declined"))

        // 双公示 timeliness: market's penalty decided today is on time, the demo's are late.
        let statistics = try await get("/api/v1/statistics")
        let stats = try WireCoding.decode(JSONValue.self, from: Array(statistics.0.utf8))
        let market = try #require(stats["departments"]?.arrayValue?.first { $0["department"] == "market" }, "\(statistics.0)")
        #expect(market["departmentName"] == "湖州市市场监督管理局" && (market["onTime"]?.intValue ?? 0) >= 1, "\(market)")
        #expect((market["late"]?.arrayValue?.count ?? 0) >= 3 && market["missing"] == 0, "\(market)")
        #expect(try await get("/statistics").0.contains("湖市监罚〔2026〕101号"))
        let compliance = try await ctl("compliance")
        #expect(
            compliance.stdout.contains("双公示") && compliance.stdout.contains("late: 湖市监罚〔2026〕"), "\(compliance.stdout)\(compliance.stderr)")
        #expect(try await ctl("compliance", "--json").stdout.contains(#""publication":{"#))

        // Bad input: clear answers, nothing unmasked in them.
        let short = try await get("/", q: "湖")
        #expect(short.1 == 400 && short.0.contains("至少 2 个字"), "\(short)")
        let badCode = try await get("/api/v1/subjects", q: "91330502MA28K6XY1A")
        #expect(badCode.1 == 400 && badCode.0.contains("Not a valid code"), "\(badCode)")
        let badID = try await get("/", q: "330102197506150021")
        #expect(badID.1 == 400 && !badID.0.contains("330102197506150021"), "\(badID)")
        let unknown = try await get("/subjects/91330100MA2B3C4D5B")
        #expect(unknown.1 == 404 && unknown.0.contains("No such subject"), "\(unknown)")
        #expect(try await get("/api/v1/subjects/P000000000000000000000000").1 == 404)
        let long = try await get("/api/v1/subjects", q: String(repeating: "湖", count: 101))
        #expect(long.1 == 400, "\(long)")

        // Privacy: no full resident ID anywhere the portal answered.
        for (url, body) in fetched {
            for id in Self.residentIDs {
                #expect(!body.contains(id) && !body.contains(id.lowercased()), "\(url) shows the resident ID \(id)")
            }
            #expect(body.firstMatch(of: /[1-9]\d{5}(19|20)\d{2}[01]\d[0-3]\d{4}[\dX]/) == nil, "\(url) shows a resident ID")
        }
    }
}
