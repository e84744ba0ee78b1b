import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The whole loop across the real executables on free ports with temporary data: court record →
/// black listing → broadcast → block at finance → feedback counted → repair approved → lifted.
@Suite(.serialized)
struct WholeLoopTests {
    static let company = "91330500MA2D7E8F2D"
    static let person = "330502198001011231"

    @Test func courtListBlocksAtEveryDepartmentAndRepairLiftsEverywhere() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        var processes = [
            try SuiteProcess("registry", layout: layout),
            try SuiteProcess("sanction-dispatch", layout: layout),
            try SuiteProcess("repair", layout: layout),
            try SuiteProcess("grading", layout: layout),
            try SuiteProcess("disclosure", layout: layout),
        ]
        for department in layout.departments {
            // Finance declares an action of its own that no measure restricts (checked below).
            let environment = department == "finance" ? ["CREDIT_INTERCEPTORS_FINANCE_ACTIONS": "issue-invoice"] : [:]
            processes.append(
                try SuiteProcess(
                    "interceptor", ["--dept", department], name: "interceptor-\(department)", layout: layout, environment: environment))
        }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }

        let status = try await ctl("status", "--wait", "60")
        try #require(status.status == 0, "suite did not come up:\n\(status.stdout)\(status.stderr)\n\(logs())")

        // 1. The court's list: both rows stored; importing again adds nothing.
        let shixin = BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json").path
        let first = try await ctl("import", "--as", "court", "--format", "shixin", shixin)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("2 rows read, 2 stored, 0 already present, 0 refused"), "\(first.stdout)")
        let again = try await ctl("import", "--as", "court", "--format", "shixin", shixin)
        #expect(again.stdout.contains("2 rows read, 0 stored, 2 already present, 0 refused"), "\(again.stdout)")

        // A penalty file with one bad row: the good rows are stored, the bad one named by spreadsheet row.
        let penalties = try await ctl(
            "import", "--as", "market", "--format", "xzcf", BuiltProducts.packageRoot.appendingPathComponent("demo/penalties.csv").path)
        #expect(penalties.status == 3)
        #expect(penalties.stdout.contains("3 rows read, 2 stored, 0 already present, 1 refused"), "\(penalties.stdout)")
        #expect(
            penalties.stdout.contains(
                "row 4: CF_XDR_SHXYM \"91330100MA2B3C4D5A\": organisation code MA2B3C4D5 in positions 9–17 fails its GB 11714-1997 check: position 17 should be 1, found 5"
            ), "\(penalties.stdout)")

        // 2. Broadcast reaches finance: blocked from procurement, with measure, basis, listing, initiator.
        var answer = ""
        let blocked = try await eventually {
            answer = try await ctl("check", "--dept", "finance", "--subject", Self.company, "--action", "government-procurement", "--json")
                .stdout
            return answer.contains(#""decision":"block""#)
        }
        try #require(blocked, "finance never blocked: \(answer)\n\(logs())")
        let check = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as! [String: Any]
        #expect(check["measure"] as? String == "finance.procurement-ban")
        #expect(check["initiator"] as? String == "court")
        #expect((check["basis"] as? String)?.contains("政府采购") == true)
        let listing = try #require(check["listing"] as? String)
        // An action finance declares (interceptors.finance.actions) that no measure restricts is allowed.
        let other = try await ctl("check", "--dept", "finance", "--subject", Self.company, "--action", "issue-invoice", "--json").stdout
        #expect(other.contains(#""decision":"allow""#), "\(other)")

        // The same listing restricts at commerce and market regulation, over HTTP as well.
        #expect(
            try await eventually {
                try await ctl("check", "--dept", "commerce", "--subject", Self.person, "--action", "hotel-booking-4star", "--json").stdout
                    .contains(#""decision":"block""#)
            })
        let (marketBody, marketStatus) = try await postRaw(
            layout.http("interceptors.market.http") + "/v1/checks",
            #"{"subject":"\#(Self.company)","action":"change-legal-representative"}"#)
        #expect(marketStatus == 200)
        #expect(marketBody.contains(#""decision":"block""#), "\(marketBody)")
        let (badBody, badStatus) = try await postRaw(layout.http("interceptors.market.http") + "/v1/checks", #"{"action":"x"}"#)
        #expect(badStatus == 400)
        #expect(badBody.contains("subject"), "\(badBody)")

        // 3. Feedback for finance's block reaches dispatch and is counted once per check.
        #expect(
            try await eventually {
                let stats = try await ctl("feedback", "--json").stdout
                return stats.contains(#""finance":{"block":1}"#) && stats.contains("\"\(listing)\"")
            }, "feedback not counted")

        // 4. Repair: only the initiator (court) may approve; approval lifts the listing everywhere.
        var application = ""
        #expect(
            try await eventually {
                application = try await ctl("repair", "apply", "--listing", listing, "--commitment", "已履行全部义务，承诺今后依法诚信经营", "--json").stdout
                return application.contains(#""status":"pending""#)
            }, "repair apply: \(application)")
        let applicationID = try #require(
            (try JSONSerialization.jsonObject(with: Data(application.utf8)) as? [String: Any])?["id"] as? String)
        let wrong = try await ctl("repair", "approve", applicationID, "--as", "finance")
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("forbidden"), "\(wrong.stderr)")
        let approved = try await ctl("repair", "approve", applicationID, "--as", "court")
        #expect(approved.status == 0, "\(approved.stderr)")
        for (department, action) in [("finance", "government-procurement"), ("market", "change-legal-representative")] {
            #expect(
                try await eventually {
                    try await ctl("check", "--dept", department, "--subject", Self.company, "--action", action, "--json").stdout
                        .contains(#""decision":"allow""#)
                }, "\(department) still blocks after repair")
        }
        // The person's own listing is untouched by the company's repair.
        #expect(
            try await ctl("check", "--dept", "commerce", "--subject", Self.person, "--action", "hotel-booking-4star", "--json").stdout
                .contains(#""decision":"block""#))

        // The operator pages through the black list: the person's listing is active, the company's removed.
        let active = try await ctl("listings", "--list", "black", "--initiator", "court", "--json")
        #expect(active.status == 0, "\(active.stderr)")
        #expect(active.stdout.contains(Self.person) && !active.stdout.contains(listing), "\(active.stdout)")
        let pages = try await ctl("listings", "--list", "black", "--status", "any", "--limit", "1")
        #expect(pages.stdout.contains("more: add --after L-"), "\(pages.stdout)")
        let everything = try await ctl("listings", "--list", "black", "--status", "any", "--limit", "1", "--all", "--json").stdout
        #expect(everything.contains(listing) && everything.contains(Self.person) && everything.contains(#""next":null"#), "\(everything)")
        // Each service lists its ops with access, audit kind and counts, from its command table.
        let opsTable = try await ctl("status", "--ops").stdout
        let findRow = opsTable.split(separator: "\n").first { $0.hasPrefix("dispatch ") && $0.contains(" list.find ") }
        #expect(findRow?.contains("anyone") == true && findRow?.contains("query") == true, "\(opsTable)")
        #expect(findRow.map { Int($0.split(separator: " ", omittingEmptySubsequences: true)[4]) ?? 0 } ?? 0 >= 3, "\(opsTable)")
        let importRow = opsTable.split(separator: "\n").first { $0.hasPrefix("registry ") && $0.contains(" records.import ") }
        #expect(importRow?.contains("department") == true && importRow?.contains("audited") == true, "\(opsTable)")
        let refused = try await ctl("listings", "--status", "live")
        #expect(refused.status != 0 && refused.stderr.contains("--status must be pending, active, removed or any"), "\(refused.stderr)")

        // 5. Disclosure: the black list shows the person masked, the repaired company gone.
        var portal = ""
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/blacklist").0
                return portal.contains("330502********1231") && !portal.contains(Self.company)
            }, "portal: \(portal)")
        #expect(!portal.contains(Self.person))
        let page = try await getRaw(layout.http("disclosure.http") + "/penalties").0
        #expect(page.contains("330102********002X") && !page.contains("33010219750615002X"), "penalty of 王五 not masked on the page")

        // 6. Grading follows the registry: the court debtor's grade fell.
        #expect(
            try await eventually {
                try await ctl("grade", "--subject", Self.company, "--json").stdout.contains(#""score":60"#)
            })

        // 7. tail replays the dispatch stream from seq 1: catalogue, then the two listings.
        let tail = try await ctl("tail", "dispatch", "--from", "1", "--count", "3", "--json")
        let types = tail.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["type"] as? String
        }
        #expect(types == ["catalogue.loaded", "list.added", "list.added"], "\(tail.stdout.prefix(500))\(tail.stderr)")
    }
}
