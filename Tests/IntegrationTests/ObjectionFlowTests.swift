import Foundation
import MeshProtocol
import TestSupport
import Testing

/// An objection to a penalty record, filed and decided through creditctl against the real registry
/// and repair: repair learns the record from the registry's stream, keeps the evidence, and only the
/// department that provided the record decides.
@Suite struct ObjectionFlowTests {
    static let company = "91330502MA28K6XY14"

    @Test func aPenaltyIsDisputedWithEvidenceAndDecidedByItsDepartment() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        let processes = [
            try SuiteProcess("registry", layout: layout),
            try SuiteProcess("sanction-dispatch", layout: layout),
            try SuiteProcess("repair", layout: layout),
            try SuiteProcess("disclosure", layout: layout),
        ]
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        func json(_ result: CommandResult) throws -> [String: Any] {
            try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
        }

        let penalties = BuiltProducts.packageRoot.appendingPathComponent("demo/penalties.csv").path
        var imported = try await ctl("import", "--as", "market", "--format", "xzcf", penalties)
        #expect(
            try await eventually {
                imported = try await ctl("import", "--as", "market", "--format", "xzcf", penalties)
                return imported.stdout.contains("3 rows read")
            }, "\(imported.stdout)\(imported.stderr)\n\(logs())")
        let profile = try json(try await ctl("profile", Self.company, "--json"))
        let record = try #require((profile["records"] as? [[String: Any]])?.first?["id"] as? String)

        let evidence = layout.directory.appendingPathComponent("receipt.txt")
        try Data("缴款凭证".utf8).write(to: evidence)
        var filed: CommandResult?
        // Repair follows the registry: the record is known to it within moments of the import.
        #expect(
            try await eventually {
                filed = try await ctl("objection", "file", "--record", record, "--reason", "罚款已缴清", "--evidence", evidence.path, "--json")
                return filed?.status == 0
            }, "\(filed?.stderr ?? "")\n\(logs())")
        let objection = try json(try #require(filed))
        let id = try #require(objection["id"] as? String)
        let filedObjection = try #require(objection["objection"] as? [String: Any])
        #expect(filedObjection["decider"] as? String == "market" && filedObjection["suspension"] as? String == "review")
        #expect(
            ((filedObjection["evidence"] as? [[String: Any]])?.first?["sha256"] as? String)
                == "90618b2e05235fd154a3b9eedcc95e064e4d679a899d44f4cdf394a76b8feaf1")
        // Filed again: the same objection; another reason while it is open: refused, naming it.
        #expect(
            try json(try await ctl("objection", "file", "--record", record, "--reason", "罚款已缴清", "--evidence", evidence.path, "--json"))[
                "id"] as? String == id)
        // Marked disputed (异议标注) where it shows: the registry's profile and the portal.
        var portal = ""
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                let marked = try await ctl("profile", Self.company, "--json").stdout
                return portal.contains(#""disputed":{"objection":"\#(id)""#) && marked.contains(#""disputed":{"objection":"\#(id)""#)
            }, "\(portal)\n\(logs())")
        #expect(try await getRaw(layout.http("disclosure.http") + "/subjects/" + Self.company).0.contains("异议核查中 Disputed since"))
        let second = try await ctl("objection", "file", "--record", record, "--reason", "另一个理由")
        #expect(second.status != 0 && second.stderr.contains("already has objection \(id)"), "\(second.stderr)")

        let listed = try await ctl("objection", "list", "--decider", "market")
        #expect(listed.stdout.contains(id) && listed.stdout.contains("open"), "\(listed.stdout)")
        let shown = try await ctl("objection", "show", id)
        #expect(shown.stdout.contains("receipt.txt") && shown.stdout.contains("罚款已缴清"), "\(shown.stdout)")

        let wrong = try await ctl("objection", "decide", id, "--as", "finance", "--outcome", "upheld", "--note", "x")
        #expect(wrong.status != 0 && wrong.stderr.contains("forbidden"), "\(wrong.stderr)")
        let corrected = try await ctl("objection", "decide", id, "--as", "market", "--outcome", "corrected", "--note", "更正")
        #expect(corrected.status != 0 && corrected.stderr.contains("import the corrected row first"), "\(corrected.stderr)")
        #expect(try await ctl("objection", "acknowledge", id, "--as", "market").status == 0)
        let decided = try await ctl("objection", "decide", id, "--as", "market", "--outcome", "upheld", "--note", "核实无误，维持原记录")
        #expect(decided.status == 0 && decided.stdout.contains("decided upheld by market"), "\(decided.stdout)\(decided.stderr)")
        #expect(try await ctl("objection", "list").stdout.contains("no objections"), "pending objections remain")
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                let profile = try await ctl("profile", Self.company, "--json").stdout
                return !portal.contains("disputed") && !profile.contains("disputed")
            }, "the dispute mark stays after the decision: \(portal)")

        // Repair's status counts open and overdue objections; the decisions are on its audit chain.
        let status = try await ctl("status", "--json")
        #expect(status.stdout.contains(#""openObjections":0"#), "\(status.stdout)")
        let audit = try await ctl("audit", "verify", "repair")
        #expect(audit.status == 0 && audit.stdout.contains("intact"), "\(audit.stdout)")
    }

    /// An objection to a listing suspends its measures at every department's interceptor — each answers
    /// review, naming the objection — and an upheld decision restores them everywhere.
    @Test func anObjectionSuspendsAListingAtEveryInterceptorUntilItIsUpheld() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        var processes = [
            try SuiteProcess("registry", layout: layout),
            try SuiteProcess("sanction-dispatch", layout: layout, environment: ["CREDIT_DISPATCH_OBJECTION_WORKING_DAYS": "0"]),
            try SuiteProcess("repair", layout: layout),
            try SuiteProcess("disclosure", layout: layout),
        ]
        for department in layout.departments {
            processes.append(try SuiteProcess("interceptor", ["--dept", department], name: "interceptor-\(department)", layout: layout))
        }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let actions = ["finance": "government-procurement", "commerce": "hotel-booking-4star", "market": "change-legal-representative"]
        func decisions() async throws -> [String: JSONValue] {
            var answers: [String: JSONValue] = [:]
            for department in layout.departments {
                let output = try await ctl(
                    "check", "--dept", department, "--subject", "91330500MA2D7E8F2D", "--action", actions[department]!, "--json")
                answers[department] = (try? WireCoding.decode(JSONValue.self, from: Array(output.stdout.utf8))) ?? .null
            }
            return answers
        }

        var initiated: CommandResult?
        #expect(
            try await eventually {
                initiated = try await ctl(
                    "initiate", "--as", "market", "--list", "black", "--subject", "91330500MA2D7E8F2D", "--basis", "《食品安全法》第一百三十五条",
                    "--document", "湖市监〔2026〕9号", "--until", "2028-12-31", "--json")
                return initiated?.status == 0
            }, "\(initiated?.stderr ?? "")\n\(logs())")
        let listing = try #require(
            (try WireCoding.decode(JSONValue.self, from: Array(initiated!.stdout.utf8)))["id"]?.stringValue)
        var answers: [String: JSONValue] = [:]
        #expect(
            try await eventually {
                answers = try await decisions()
                return answers.values.allSatisfy { $0["decision"] == "block" }
            }, "\(answers)\n\(logs())")

        // The notice (告知书) on the portal, for whoever gives its notice code; a wrong code gets the same
        // answer as an unknown listing.
        let shown = try await ctl("notice", "show", listing, "--json")
        let code = try #require(
            shown.stdout.firstMatch(of: /"code":"([2-9A-Z]{8})"/).map { String($0.1) }, "\(shown.stdout)\(shown.stderr)")
        let portal = layout.http("disclosure.http")
        var notice = ("", 0)
        #expect(
            try await eventually {
                notice = try await getRaw(portal + "/notices/\(listing)?code=\(code.lowercased())")
                return notice.1 == 200
            }, "\(notice)\n\(logs())")
        #expect(notice.0.contains("信用惩戒告知书") && notice.0.contains("《食品安全法》第一百三十五条") && notice.0.contains(code), "\(notice.0)")
        let wrong = try await getRaw(portal + "/notices/\(listing)?code=23456789")
        let unknown = try await getRaw(portal + "/notices/L-999999?code=\(code)")
        #expect(wrong.1 == 404 && unknown.1 == 404 && !wrong.0.contains("食品安全法"), "\(wrong)")
        #expect(try await getRaw(portal + "/notices/\(listing)").0.contains("name=\"code\""))

        var filed: CommandResult?
        #expect(
            try await eventually {
                filed = try await ctl("objection", "file", "--listing", listing, "--reason", "已停止违法行为，处罚依据有误", "--json")
                return filed?.status == 0
            }, "\(filed?.stderr ?? "")\n\(logs())")
        let objection = try #require((try WireCoding.decode(JSONValue.self, from: Array(filed!.stdout.utf8)))["id"]?.stringValue)
        #expect(
            try await eventually {
                answers = try await decisions()
                return answers.values.allSatisfy {
                    $0["decision"] == "review"
                        && $0["reason"]?.stringValue?.contains("suspended while objection \(objection) is verified") == true
                }
            }, "\(answers)\n\(logs())")

        let decided = try await ctl("objection", "decide", objection, "--as", "market", "--outcome", "upheld", "--note", "处罚依据核实无误")
        #expect(decided.status == 0, "\(decided.stderr)")
        #expect(
            try await eventually {
                answers = try await decisions()
                return answers.values.allSatisfy { $0["decision"] == "block" }
            }, "\(answers)\n\(logs())")

        // New evidence, a second objection: this time the listing is revoked as wrong. It ends at every
        // interceptor, and each department that blocked or reviewed the subject on its account is told
        // which of its checks did, to undo them.
        let evidence = layout.directory.appendingPathComponent("judgment.txt")
        try Data("行政复议决定书".utf8).write(to: evidence)
        let second = try await ctl("objection", "file", "--listing", listing, "--reason", "处罚已被复议撤销", "--evidence", evidence.path, "--json")
        let secondID = try #require(
            (try WireCoding.decode(JSONValue.self, from: Array(second.stdout.utf8)))["id"]?.stringValue, "\(second.stderr)")
        #expect(try await ctl("objection", "decide", secondID, "--as", "market", "--outcome", "revoked", "--note", "复议撤销").status == 0)
        #expect(
            try await eventually {
                answers = try await decisions()
                return answers.values.allSatisfy { $0["decision"] == "allow" }
            }, "\(answers)\n\(logs())")
        for department in layout.departments {
            var notices = ""
            #expect(
                try await eventually {
                    notices = try await ctl("notices", "--dept", department).stdout
                    return notices.contains("\(listing) revoked (objection \(secondID) decided by market): 复议撤销")
                }, "\(department): \(notices)\n\(logs())")
            #expect(
                notices.contains("\(department)-") && notices.contains(" block ") && notices.contains(" review "),
                "\(department): \(notices)")
        }
    }
}
