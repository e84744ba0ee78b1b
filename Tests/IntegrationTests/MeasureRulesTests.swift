import Foundation
import MeshProtocol
import TestSupport
import Testing

/// Severity and grades drive measures, with the real processes: records imported into the registry reach
/// sanction-dispatch, whose measure rules (config/measure-rules.yaml) issue reminders and interview
/// notices, make key-attention listings after their objection window, and propose black listings the
/// deciding department confirms or declines; grades from grading reach the interceptors as grade listings;
/// the red-list rule proposes, the credit office confirms.
@Suite(.serialized) struct MeasureRulesTests {
    /// The processes of one test, creditctl against them, and the records it imports.
    struct Run {
        let layout: TestSuiteLayout
        var processes: [SuiteProcess] = []

        init(_ services: [String], departments: [String] = ["market"], dispatchEnvironment: [String: String] = [:]) throws {
            layout = try TestSuiteLayout(departments: departments)
            for service in services {
                processes.append(
                    try SuiteProcess(service, layout: layout, environment: service == "sanction-dispatch" ? dispatchEnvironment : [:]))
            }
            for department in departments {
                processes.append(
                    try SuiteProcess("interceptor", ["--dept", department], name: "interceptor-\(department)", layout: layout))
            }
        }

        func stop() {
            processes.forEach { $0.stop() }
            layout.remove()
        }

        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined(separator: "\n") }

        func ctl(_ arguments: [String]) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }

        /// creditctl with `--json`, decoded; `.null` when it failed.
        func json(_ arguments: String...) async throws -> JSONValue {
            let result = try await ctl(arguments + ["--json"])
            guard result.status == 0 else { return .null }
            return (try? WireCoding.decode(JSONValue.self, from: Array(result.stdout.utf8))) ?? .null
        }

        /// Imports native records as `department`, retrying until the registry is up.
        func importRecords(_ records: [[String: JSONValue]], as department: String) async throws {
            let file = layout.directory.appendingPathComponent("records-\(UUID().uuidString.prefix(6)).json")
            try String(decoding: try WireCoding.encode(JSONValue.array(records.map(JSONValue.object))), as: UTF8.self)
                .write(to: file, atomically: true, encoding: .utf8)
            var result: CommandResult?
            let imported = try await eventually {
                result = try await ctl(["import", "--as", department, "--format", "native", file.path])
                return result?.stdout.contains("\(records.count) stored") == true
            }
            #expect(imported, "\(result?.stdout ?? "")\(result?.stderr ?? "")\n\(logs())")
        }

        /// The interceptor's answer for `subject` doing `action` at `department`.
        func check(_ department: String, _ subject: String, _ action: String) async throws -> JSONValue {
            try await json("check", "--dept", department, "--subject", subject, "--action", action)
        }
    }

    static func penalty(
        _ subject: String, _ document: String, severity: String, fine: Double, decided: String = "2026-11-02"
    )
        -> [String: JSONValue]
    {
        [
            "kind": "penalty", "subjectID": .string(subject), "subjectName": .string("湖州测试\(document)有限公司"),
            "documentNumber": .string(document), "authority": "湖州市市场监督管理局", "decisionDate": .string(decided),
            "severity": .string(severity), "fineAmount": .double(fine), "legalBasis": "《中华人民共和国食品安全法》第一百二十四条",
            "summary": "销售不符合食品安全标准的食品",
        ]
    }

    static let subjects = (1...8).map { GeneratedSubjects.uscc(7_000 + $0) }

    // MARK: - Each severity to its measure

    /// The rules table: a general penalty gets a reminder, a general one with a fine of 1 万元 or more a warning
    /// interview, a serious one a pending key-attention listing with its objection window, a severe one a
    /// black-listing proposal to the market authority; severe tax arrears of 100 万元 go to the tax authority.
    /// Each names the rule and the version of the rules.
    @Test func eachSeverityLeadsToItsMeasure() async throws {
        let suite = try Run(["registry", "sanction-dispatch", "disclosure"], departments: [])
        defer { suite.stop() }
        let s = Self.subjects
        try await suite.importRecords(
            [
                Self.penalty(s[0], "湖市监罚〔2026〕201号", severity: "general", fine: 0.5),
                Self.penalty(s[1], "湖市监罚〔2026〕202号", severity: "general", fine: 2),
                Self.penalty(s[2], "湖市监罚〔2026〕203号", severity: "serious", fine: 8),
                Self.penalty(s[3], "湖市监罚〔2026〕204号", severity: "severe", fine: 60),
            ], as: "market")
        try await suite.importRecords(
            [
                [
                    "kind": "tax-arrears", "subjectID": .string(s[4]), "subjectName": "湖州测试欠税有限公司", "documentNumber": "湖税欠〔2026〕9号",
                    "authority": "国家税务总局湖州市税务局", "decisionDate": "2026-10-20", "amount": 1_500_000,
                ]
            ], as: "tax")

        var reminders: [JSONValue] = []
        #expect(
            try await eventually {
                reminders = try await suite.json("reminders")["reminders"]?.arrayValue ?? []
                return reminders.count == 2
            }, "\(reminders)\n\(suite.logs())")
        let bySubject = Dictionary(uniqueKeysWithValues: reminders.map { ($0["subjectID"]?.stringValue ?? "", $0) })
        #expect(bySubject[s[0]]?["kind"] == "reminder" && bySubject[s[0]]?["rule"]?["id"] == "general-reminder")
        #expect(bySubject[s[1]]?["kind"] == "interview" && bySubject[s[1]]?["rule"]?["id"] == "general-penalty-interview")
        #expect(bySubject[s[1]]?["respondBy"]?.stringValue != nil && bySubject[s[1]]?["rule"]?["version"] == "2026.1")
        let interview = try await suite.ctl(["notice", "show", bySubject[s[1]]?["id"]?.stringValue ?? "?"])
        #expect(interview.stdout.contains("警示约谈") && interview.stdout.contains("查询码 Notice code"), "\(interview.stdout)\(interview.stderr)")
        // The subject reads it on the portal with its code; a wrong code gets nothing.
        let notice = try #require(bySubject[s[1]]?["id"]?.stringValue)
        let code = try #require(bySubject[s[1]]?["code"]?.stringValue)
        let portal = suite.layout.http("disclosure.http") + "/notices/\(notice)"
        var page = ("", 0)
        #expect(
            try await eventually {
                page = try await getRaw(portal + "?code=\(code)")
                return page.1 == 200
            }, "\(page)\n\(suite.logs())")
        #expect(page.0.contains("警示约谈") && page.0.contains("general-penalty-interview"), "\(page.0)")
        #expect(try await getRaw(portal + "?code=AAAAAAAA").1 == 404)

        let table = try await suite.ctl(["rules"])
        #expect(
            table.stdout.contains("serious-key-attention  penalty,tax-arrears") && table.stdout.contains("→ key-attention by source"),
            "\(table.stdout)\(table.stderr)")

        let pending = try await suite.json("listings", "--status", "pending")["listings"]?.arrayValue ?? []
        #expect(pending.count == 1, "\(pending)")
        #expect(pending.first?["subjectID"]?.stringValue == s[2] && pending.first?["list"] == "key-attention")
        #expect(pending.first?["rule"] == .object(["id": "serious-key-attention", "version": "2026.1"]))
        #expect(pending.first?["initiator"] == "market" && pending.first?["objectionDeadline"]?.stringValue != nil)

        var proposals: [JSONValue] = []
        #expect(
            try await eventually {
                proposals = try await suite.json("proposal", "list")["proposals"]?.arrayValue ?? []
                return proposals.count == 2
            }, "\(proposals)\n\(suite.logs())")
        let proposed = Dictionary(uniqueKeysWithValues: proposals.map { ($0["subjectID"]?.stringValue ?? "", $0) })
        #expect(proposed[s[3]]?["decider"] == "market" && proposed[s[3]]?["rule"]?["id"] == "severe-black-proposal")
        #expect(proposed[s[4]]?["decider"] == "tax" && proposed[s[4]]?["rule"]?["id"] == "severe-tax-arrears-black-proposal")
        #expect(proposals.allSatisfy { $0["list"] == "black" && $0["status"] == "proposed" })
        // Nothing is in force until someone decides.
        let active = try await suite.json("listings")["listings"]?.arrayValue ?? []
        #expect(active.isEmpty, "\(active)")
    }

    // MARK: - Serious: key-attention after the window

    /// A serious penalty makes a pending key-attention listing: the subject is notified (with the code and the
    /// objection deadline), the market's interceptor does not apply it yet; the day after the window it is in
    /// force and licence approval at the market asks for review, naming the rule's listing.
    @Test func aSeriousPenaltyBecomesAKeyAttentionListingAfterItsWindow() async throws {
        var suite = try Run(["registry", "sanction-dispatch"])
        defer { suite.stop() }
        let subject = Self.subjects[5]
        try await suite.importRecords([Self.penalty(subject, "湖市监罚〔2026〕301号", severity: "serious", fine: 10)], as: "market")
        var listing: JSONValue = .null
        #expect(
            try await eventually {
                listing =
                    try await suite.json("listings", "--status", "pending", "--subject", subject)["listings"]?.arrayValue?.first ?? .null
                return listing != .null
            }, "\(suite.logs())")
        let id = try #require(listing["id"]?.stringValue)
        let deadline = try #require(listing["objectionDeadline"]?.stringValue)
        let notice = try await suite.ctl(["notice", "show", id])
        #expect(
            notice.stdout.contains(deadline) && notice.stdout.contains("key-attention") && notice.stdout.contains("查询码"), "\(notice.stdout)"
        )
        // Pending: not enforced.
        var answer: JSONValue = .null
        #expect(
            try await eventually {
                answer = try await suite.check("market", subject, "license-approval")
                return answer["decision"] == "allow"
            }, "\(answer)\n\(suite.logs())")

        // The day after the deadline (todayOffsetDays moves the days dispatch and the interceptor work by): in force.
        suite.processes.filter { $0.name == "sanction-dispatch" || $0.name == "interceptor-market" }.forEach { $0.stop() }
        let later = ["CREDIT_TODAY_OFFSET_DAYS": String(Self.days(from: FieldDay.today, to: deadline) + 1)]
        suite.processes.append(
            try SuiteProcess("sanction-dispatch", name: "sanction-dispatch-later", layout: suite.layout, environment: later))
        suite.processes.append(
            try SuiteProcess(
                "interceptor", ["--dept", "market"], name: "interceptor-market-later", layout: suite.layout, environment: later))
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await suite.check("market", subject, "license-approval")
                return answer["decision"] == "review"
            }, "\(answer)\n\(suite.logs())")
        #expect(answer["listing"]?.stringValue == id && answer["reason"]?.stringValue?.contains("key-attention list") == true, "\(answer)")
        let now = try await suite.json("listings", "--subject", subject)["listings"]?.arrayValue?.first ?? .null
        #expect(now["status"] == "active" && now["rule"]?["id"] == "serious-key-attention", "\(now)")
    }

    // MARK: - Severe: a proposal waits for the deciding department

    /// A severe penalty is proposed to the market authority: another department may not decide it, a decline
    /// needs a reason and keeps it, a confirmation makes the black listing (in force at once with the tests'
    /// window of 0 days), which the market's interceptor then enforces, naming the rule.
    @Test func aSevereProposalWaitsForConfirmationOrADeclineWithItsReason() async throws {
        let suite = try Run(["registry", "sanction-dispatch"])
        defer { suite.stop() }
        let (first, second) = (Self.subjects[6], Self.subjects[7])
        try await suite.importRecords(
            [
                Self.penalty(first, "湖市监罚〔2026〕401号", severity: "severe", fine: 80),
                Self.penalty(second, "湖市监罚〔2026〕402号", severity: "severe", fine: 90),
            ], as: "market")
        var proposals: [JSONValue] = []
        #expect(
            try await eventually {
                proposals = try await suite.json("proposal", "list", "--decider", "market")["proposals"]?.arrayValue ?? []
                return proposals.count == 2
            }, "\(suite.logs())")
        let ids = Dictionary(uniqueKeysWithValues: proposals.map { ($0["subjectID"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") })
        let (declined, confirmed) = (try #require(ids[first]), try #require(ids[second]))
        // Waiting: nothing enforced.
        #expect(try await suite.check("market", second, "change-legal-representative")["decision"] == "allow")

        let foreign = try await suite.ctl(["proposal", "confirm", confirmed, "--as", "finance"])
        #expect(foreign.status != 0 && foreign.stderr.contains("finance"), "\(foreign.stdout)\(foreign.stderr)")
        let noReason = try await suite.ctl(["proposal", "decline", declined, "--as", "market", "--reason", " "])
        #expect(noReason.status != 0 && noReason.stderr.contains("reason is required"), "\(noReason.stderr)")
        let decline = try await suite.json(
            "proposal", "decline", declined, "--as", "market", "--reason", "处罚决定已被行政复议撤销 (the penalty was set aside on review)")
        #expect(decline["status"] == "declined" && decline["decisionNote"]?.stringValue?.contains("行政复议") == true, "\(decline)")
        let again = try await suite.ctl(["proposal", "confirm", declined, "--as", "market"])
        #expect(again.status != 0 && again.stderr.contains("declined"), "\(again.stderr)")

        let confirm = try await suite.json("proposal", "confirm", confirmed, "--as", "market", "--document", "湖市监信〔2026〕3号")
        let listingID = try #require(confirm["listingID"]?.stringValue, "\(confirm)\n\(suite.logs())")
        var answer: JSONValue = .null
        #expect(
            try await eventually {
                answer = try await suite.check("market", second, "change-legal-representative")
                return answer["decision"] == "block"
            }, "\(answer)\n\(suite.logs())")
        #expect(answer["listing"]?.stringValue == listingID)
        let listing = try await suite.json("listings", "--subject", second)["listings"]?.arrayValue?.first ?? .null
        #expect(listing["rule"]?["id"] == "severe-black-proposal" && listing["document"] == "湖市监信〔2026〕3号", "\(listing)")
        #expect(try await suite.check("market", first, "change-legal-representative")["decision"] == "allow")
    }

    // MARK: - Grades as measures

    /// Two severe penalties bring a subject to grade D; the catalogue's grade-D measure makes licence approval
    /// at the market's interceptor a review, naming the grade; a grade-A subject is allowed.
    @Test func aGradeMeasureIsEnforcedAtAnInterceptor() async throws {
        let suite = try Run(["registry", "grading", "sanction-dispatch"])
        defer { suite.stop() }
        let (poor, good) = (GeneratedSubjects.uscc(7_101), GeneratedSubjects.uscc(7_102))
        try await suite.importRecords(
            [
                Self.penalty(poor, "湖市监罚〔2026〕501号", severity: "severe", fine: 60),
                Self.penalty(poor, "湖市监罚〔2026〕502号", severity: "severe", fine: 70),
                Self.penalty(good, "湖市监罚〔2026〕503号", severity: "general", fine: 0.2),
            ], as: "market")
        var answer: JSONValue = .null
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await suite.check("market", poor, "license-approval")
                return answer["decision"] == "review"
            }, "\(answer)\n\(suite.logs())")
        #expect(answer["measure"] == "general.grade-d-license-review", "\(answer)")
        #expect(answer["reason"]?.stringValue?.contains("credit grade D") == true, "\(answer)")
        #expect(answer["listing"]?.stringValue?.hasPrefix("G-") == true, "\(answer)")
        let grade = try await suite.json("grade", "--subject", good)
        #expect(grade["grade"] == "A", "\(grade)")
        #expect(try await suite.check("market", good, "license-approval")["decision"] == "allow")
        // A grade listing is not on any list: it cannot be removed by hand.
        let id = answer["listing"]?.stringValue ?? "?"
        let removal = try await suite.ctl(["remove", "--as", "ndrc", "--listing", id, "--reason", "test"])
        #expect(removal.status != 0 && removal.stderr.contains("grade listing"), "\(removal.stderr)")
    }

    // MARK: - The red list by rule

    /// A subject with records for more than three years, none of them negative, and grade A is proposed for the
    /// red list; one with a recent penalty, or records too recent, is not. Only the credit office confirms;
    /// then the market's interceptor fast-tracks its licence approval.
    @Test func aRedListProposalIsConfirmedByTheCreditOffice() async throws {
        let suite = try Run(["registry", "grading", "sanction-dispatch"])
        defer { suite.stop() }
        let (honest, lapsed, young) = (GeneratedSubjects.uscc(7_201), GeneratedSubjects.uscc(7_202), GeneratedSubjects.uscc(7_203))
        func licence(_ subject: String, _ document: String, _ decided: String) -> [String: JSONValue] {
            [
                "kind": "licence", "subjectID": .string(subject), "subjectName": .string("湖州守信\(document)有限公司"),
                "documentNumber": .string(document), "authority": "湖州市市场监督管理局", "decisionDate": .string(decided),
                "summary": "食品经营许可",
            ]
        }
        try await suite.importRecords(
            [
                licence(honest, "JY1330502009001", "2022-03-01"),
                [
                    "kind": "commendation", "subjectID": .string(honest), "subjectName": "湖州守信JY1330502009001有限公司",
                    "documentNumber": "湖市监表〔2026〕2号", "authority": "湖州市市场监督管理局", "decisionDate": "2026-06-01",
                    "summary": "守合同重信用企业",
                ],
                licence(lapsed, "JY1330502009002", "2022-03-01"),
                Self.penalty(lapsed, "湖市监罚〔2026〕601号", severity: "general", fine: 0.2, decided: "2026-05-01"),
                licence(young, "JY1330502009003", "2025-01-01"),
            ], as: "market")
        var proposals: [JSONValue] = []
        #expect(
            try await eventually(timeout: .seconds(30)) {
                proposals = try await suite.json("proposal", "list", "--list", "red")["proposals"]?.arrayValue ?? []
                let reminded = try await suite.json("reminders", "--subject", lapsed)["reminders"]?.arrayValue ?? []
                return proposals.count == 1 && reminded.count == 1
            }, "\(proposals)\n\(suite.logs())")
        let proposal = try #require(proposals.first)
        #expect(proposal["subjectID"]?.stringValue == honest && proposal["decider"] == "ndrc", "\(proposal)")
        #expect(proposal["rule"] == .object(["id": "red-three-clean-years", "version": "2026.1"]), "\(proposal)")
        let id = try #require(proposal["id"]?.stringValue)
        #expect(try await suite.check("market", honest, "license-approval")["decision"] == "allow")

        let market = try await suite.ctl(["proposal", "confirm", id, "--as", "market"])
        #expect(market.status != 0 && market.stderr.contains("market"), "\(market.stdout)\(market.stderr)")
        let confirmed = try await suite.json("proposal", "confirm", id, "--as", "ndrc", "--note", "诚信典型")
        #expect(confirmed["status"] == "confirmed", "\(confirmed)\n\(suite.logs())")
        var answer: JSONValue = .null
        #expect(
            try await eventually {
                answer = try await suite.check("market", honest, "license-approval")
                return answer["decision"] == "fast-track"
            }, "\(answer)\n\(suite.logs())")
        #expect(answer["listing"] == confirmed["listingID"], "\(answer)")
        let listing = try await suite.json("listings", "--subject", honest, "--list", "red")["listings"]?.arrayValue?.first ?? .null
        #expect(listing["initiator"] == "ndrc" && listing["rule"]?["id"] == "red-three-clean-years", "\(listing)")
    }

    static func days(from start: String, to end: String) -> Int {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        guard let a = formatter.date(from: start), let b = formatter.date(from: end) else { return 0 }
        return Int((b.timeIntervalSince(a) / 86_400).rounded())
    }
}

/// Today as dispatch counts it (UTC).
enum FieldDay {
    static var today: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date())
    }
}
