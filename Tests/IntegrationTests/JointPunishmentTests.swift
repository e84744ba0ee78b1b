import Foundation
import GRDB
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Joint punishment in depth across the real processes: related persons, name-only checks, batch
/// checks, responses (acknowledgements) and lifts confirmed by every department.
@Suite(.serialized)
struct JointPunishmentTests {
    static let company = "91330500MA2D7E8F2D"
    static let legalRepresentative = "330502198505051237"

    @Test func legalRepresentativeIsBlockedWhereTheCatalogueSaysAndARevocationIsConfirmedByEveryDepartment() async throws {
        let layout = try TestSuiteLayout(departments: ["finance", "commerce", "market"])
        defer { layout.remove() }
        var processes = [try SuiteProcess("registry", layout: layout), try SuiteProcess("sanction-dispatch", layout: layout)]
        for department in layout.departments {
            processes.append(try SuiteProcess("interceptor", ["--dept", department], name: "interceptor-\(department)", layout: layout))
        }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        func check(_ department: String, _ subject: String, _ action: String) async throws -> JSONValue {
            let output = try await ctl("check", "--dept", department, "--subject", subject, "--action", action, "--json").stdout
            return (try? WireCoding.decode(JSONValue.self, from: Array(output.utf8))) ?? .null
        }
        // Only registry, dispatch and interceptors run here; each command below waits for its service.

        // The registry learns the company's legal representative from a penalty record …
        let penalty = layout.directory.appendingPathComponent("penalty.csv")
        try """
        CF_WSH,CF_XDR_MC,CF_XDR_SHXYM,CF_FRDB,CF_FR_ZJHM,CF_CFLB,CF_NR_FK,CF_JDRQ,CF_CFJG
        湖市监罚〔2026〕501号,湖州示例建设工程有限公司,\(Self.company),张建国,\(Self.legalRepresentative),罚款,1,2026-08-01,湖州市市场监督管理局
        """.write(to: penalty, atomically: true, encoding: .utf8)
        #expect(try await ctl("import", "--as", "market", "--format", "xzcf", penalty.path).status == 0)
        // … and the court then lists the company.
        let shixin = BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json").path
        #expect(try await ctl("import", "--as", "court", "--format", "shixin", shixin).status == 0)

        // The company is blocked at commerce, and so is its legal representative (Huzhou Judgment-Debtor
        // Opinions 三, 市商务局: 失信被执行人的法定代表人 …).
        #expect(
            try await eventually { try await check("commerce", Self.company, "hotel-booking-4star")["decision"] == "block" }, "\(logs())")
        let representative = try await check("commerce", Self.legalRepresentative, "hotel-booking-4star")
        #expect(representative["decision"] == "block", "\(representative)")
        #expect(representative["matchedBy"] == "related-person")
        #expect(representative["matched"]?.arrayValue?.first?["target"] == "legal-representative")
        // A check acts for its department: market's key cannot ask commerce's interceptor.
        let marketKey = layout.keysDirectory.appendingPathComponent("market.key").path
        let foreign = try await ctl(
            "check", "--dept", "commerce", "--subject", Self.company, "--action", "hotel-booking-4star", "--key", marketKey)
        #expect(foreign.status != 0 && foreign.stderr.contains("commerce's interceptor"), "\(foreign.stderr)")
        // Market regulation's measure on changing the legal representative targets the company only.
        #expect(try await check("market", Self.legalRepresentative, "change-legal-representative")["decision"] == "allow")
        #expect(try await check("market", Self.company, "change-legal-representative")["decision"] == "block")

        // Name-only checks match the exact (normalised) name and say so.
        let byName = try await ctl("check", "--dept", "commerce", "--name", " 湖州示例建设工程有限公司 ", "--action", "hotel-booking-4star", "--json")
            .stdout
        #expect(byName.contains(#""decision":"block""#) && byName.contains(#""matchedBy":"name""#), "\(byName)")
        let nearName = try await ctl("check", "--dept", "commerce", "--name", "湖州示例建设工程公司", "--action", "hotel-booking-4star", "--json")
            .stdout
        #expect(nearName.contains(#""decision":"allow""#), "a similar name is not a match: \(nearName)")

        // Nightly screening: many subjects in one call over HTTP.
        let (batch, status) = try await postRaw(
            layout.http("interceptors.finance.http") + "/v1/checks/batch",
            #"{"checks":[{"subject":"\#(Self.company)","action":"government-procurement"},{"subject":"91330502MA28K6XY14","action":"government-procurement"},{"subject":"bad","action":"x"}]}"#
        )
        #expect(status == 200)
        let answers = try WireCoding.decode(JSONValue.self, from: Array(batch.utf8))["answers"]?.arrayValue ?? []
        #expect(answers.map { $0["decision"] ?? $0["error"]?["code"] ?? .null } == ["block", "allow", "invalid"], "\(batch)")

        // Revocation: the court removes the listing; every department lifts it and confirms the lift.
        let listing = try #require(try await check("finance", Self.company, "government-procurement")["listing"]?.stringValue)
        #expect(try await ctl("remove", "--as", "court", "--listing", listing, "--reason", "judgment performed").status == 0)
        // Each department asks about an action of its own: finance never knew hotel bookings (an
        // unknown action is refused, not allowed, so it would prove nothing about the lift).
        let actions = ["finance": "government-procurement", "commerce": "hotel-booking-4star", "market": "change-legal-representative"]
        for department in layout.departments {
            #expect(
                try await eventually {
                    try await check(department, Self.company, actions[department]!)["decision"] == "allow"
                }, "\(department) did not lift \(listing)")
        }
        var report: JSONValue = .null
        let confirmed = try await eventually(timeout: .seconds(30)) {
            report = try WireCoding.decode(
                JSONValue.self, from: Array(try await getRaw(layout.http("dispatch.http") + "/v1/compliance").0.utf8))
            let rows = report["departments"]?.arrayValue ?? []
            return rows.count == 3
                && rows.allSatisfy {
                    $0["liftsPushed"] == 1 && $0["liftsConfirmed"] == 1 && $0["listingsPushed"] == 2 && $0["listingsAcknowledged"] == 2
                        && $0["flagged"] == false
                }
        }
        #expect(confirmed, "compliance: \(report)")
        let table = try await ctl("compliance")
        #expect(table.stdout.contains("finance") && table.stdout.contains("black-list share"), "\(table.stdout)")

        // The audit chains hold every command, check and listing change; an edit is found and named.
        for service in ["registry", "dispatch", "interceptor.commerce"] {
            let verified = try await ctl("audit", "verify", service)
            #expect(verified.status == 0 && verified.stdout.contains("intact"), "\(service): \(verified.stdout)\(verified.stderr)")
        }
        let dispatchDB = layout.directory.appendingPathComponent("data/dispatch.sqlite").path
        try await tamper(dispatchDB, "UPDATE audit_log SET actor = actor || '-forged' WHERE seq = 2")  // whoever it was
        let broken = try await ctl("audit", "verify", "dispatch")
        #expect(broken.status == 1 && broken.stdout.contains("entry 2 was altered"), "\(broken.stdout)\(broken.stderr)")
    }
}

/// Edits a service's database behind its back, as an intruder with file access would.
func tamper(_ path: String, _ sql: String) async throws {
    let database = try DatabasePool(path: path)
    try await database.write { try $0.execute(sql: sql) }
    try database.close()
}
