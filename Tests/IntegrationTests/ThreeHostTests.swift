import Foundation
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

/// Three hosts, each a network namespace with only its own key files and the roster: the centre
/// (registry, sanction-dispatch, repair, grading, disclosure), finance (its interceptor, with the
/// check API on its network over TLS and API tokens) and market (its interceptor, called on its own
/// loopback). The court's system submits from the test's own namespace with the court's key alone.
@Suite(.serialized, .enabled(if: NetworkLab.sayWhenSkipped("ThreeHostTests (the centre and two department hosts)")))
struct ThreeHostTests {
    static let company = "91330500MA2D7E8F2D"
    static let person = "330502198001011231"

    /// Where each party runs: its namespace (none for the court, in the test's), keys and data.
    struct Sites {
        let hosts: NetworkLab.Hosts
        let layout: TestSuiteLayout
        let endpoints: [String: String]

        init(hosts: NetworkLab.Hosts, layout: TestSuiteLayout) throws {
            self.hosts = hosts
            self.layout = layout
            let parties = [
                "centre": CentralService.allCases.map(\.rawValue) + ["operator"], "finance": ["finance"], "market": ["market"],
                "court": ["court"],
            ]
            let manager = FileManager.default
            for (site, names) in parties {
                let keys = layout.directory.appendingPathComponent("sites/\(site)/keys")
                try manager.createDirectory(at: keys, withIntermediateDirectories: true)
                try manager.copyItem(at: layout.rosterFile, to: keys.appendingPathComponent("roster.yaml"))
                for name in names {
                    try manager.copyItem(
                        at: layout.keysDirectory.appendingPathComponent("\(name).key"), to: keys.appendingPathComponent("\(name).key"))
                }
            }
            var endpoints: [String: String] = [:]
            for (key, port) in layout.ports {
                let owner = key.hasPrefix("interceptors.finance") ? "finance" : key.hasPrefix("interceptors.market") ? "market" : "centre"
                // Market's business system runs on market's host: its check API stays on loopback.
                let address = key == "interceptors.market.http" ? "127.0.0.1" : hosts.address(owner)
                endpoints[SuiteConfig.environmentName(for: key)] =
                    key.hasSuffix(".http") || key.hasSuffix(".metrics") ? "\(address):\(port)" : "tcp://\(address):\(port)"
            }
            self.endpoints = endpoints
        }

        func environment(_ site: String) -> [String: String] {
            let root = layout.directory.appendingPathComponent("sites/\(site)")
            return endpoints.merging([
                "CREDIT_SECURITY_KEYS_DIR": root.appendingPathComponent("keys").path,
                "CREDIT_DATA_DIR": root.appendingPathComponent("data").path,
            ]) { $1 }
        }

        func launcher(_ site: String) -> [String] { site == "court" ? [] : hosts.launcher(site) }

        func start(
            _ executable: String, _ arguments: [String] = [], on site: String, name: String? = nil, extra: [String: String] = [:]
        )
            throws -> SuiteProcess
        {
            try SuiteProcess(
                executable, arguments, name: name, layout: layout, environment: environment(site).merging(extra) { $1 },
                launcher: launcher(site))
        }

        /// creditctl run at a site, with that site's keys.
        func ctl(_ site: String, _ arguments: [String]) async throws -> CommandResult {
            let creditctl = BuiltProducts.directory().appendingPathComponent("creditctl").path
            let environment = layout.environment.merging(environment(site)) { $1 }
            let command = launcher(site) + [creditctl] + arguments
            return try await Commands.run(
                path: "/usr/bin/env", command, environment: environment, in: BuiltProducts.packageRoot.path)
        }
    }

    @Test func theWholeLoopRunsAcrossHostsAndACutDepartmentAnswersStaleThenConverges() async throws {
        let hosts = try NetworkLab.Hosts(["centre", "finance", "market"])
        defer { hosts.remove() }
        let layout = try TestSuiteLayout(departments: ["finance", "market"])
        defer { layout.remove() }
        let sites = try Sites(hosts: hosts, layout: layout)
        let finance = hosts.address("finance")
        let (certificate, key) = try await CheckAPITLSTests.makeCertificate(in: layout.directory, addresses: [finance])

        var processes: [SuiteProcess] = []
        defer { processes.forEach { $0.stop() } }
        for service in ["registry", "sanction-dispatch", "repair", "grading", "disclosure"] {
            processes.append(try sites.start(service, on: "centre"))
        }
        processes.append(
            try sites.start(
                "interceptor", ["--dept", "finance"], on: "finance", name: "interceptor-finance",
                extra: [
                    "CREDIT_INTERCEPTORS_FINANCE_TLS_CERTIFICATE": certificate, "CREDIT_INTERCEPTORS_FINANCE_TLS_KEY": key,
                    "CREDIT_INTERCEPTORS_FINANCE_AUTH": "tokens",
                ]))
        processes.append(try sites.start("interceptor", ["--dept", "market"], on: "market", name: "interceptor-market"))
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }

        let status = try await sites.ctl("centre", ["status", "--wait", "60"])
        try #require(status.status == 0, "the hosts did not come up:\n\(status.stdout)\(status.stderr)\n\(logs())")

        // The court's system submits its list from outside the centre, with the court's key.
        let shixin = BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json").path
        let imported = try await sites.ctl("court", ["import", "--as", "court", "--format", "shixin", shixin])
        #expect(imported.stdout.contains("2 rows read, 2 stored"), "\(imported.stdout)\(imported.stderr)")

        // Finance's procurement system calls over the department's network with its token.
        let issued = try await sites.ctl("finance", ["token", "add", "procurement-portal", "--dept", "finance"])
        try #require(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let financeURL = "https://\(finance):\(layout.ports["interceptors.finance.http"]!)"
        func financeCheck() async throws -> JSONValue {
            let answer = try await CheckAPITLSTests.curl([
                "--cacert", certificate, "-H", "Authorization: Bearer \(token)", "-H", "Content-Type: application/json", "-d",
                #"{"subject":"\#(Self.company)","action":"government-procurement"}"#, "\(financeURL)/v1/checks",
            ])
            return (try? WireCoding.decode(JSONValue.self, from: Array(answer.body.utf8))) ?? .string(answer.body)
        }
        func financeHealth() async throws -> JSONValue {
            let answer = try await CheckAPITLSTests.curl(
                ["--cacert", certificate, "-H", "Authorization: Bearer \(token)", "\(financeURL)/v1/health"])
            return (try? WireCoding.decode(JSONValue.self, from: Array(answer.body.utf8))) ?? .null
        }
        // Market's business system asks on market's own host.
        func marketCheck() async throws -> JSONValue {
            let marketURL = "http://127.0.0.1:\(layout.ports["interceptors.market.http"]!)"
            let result = try await Commands.run(
                path: "/usr/bin/env",
                hosts.launcher("market") + [
                    "curl", "-sS", "--max-time", "5", "-H", "Content-Type: application/json", "-d",
                    #"{"subject":"\#(Self.company)","action":"change-legal-representative"}"#, "\(marketURL)/v1/checks",
                ], environment: ProcessInfo.processInfo.environment)
            return (try? WireCoding.decode(JSONValue.self, from: Array(result.stdout.utf8))) ?? .string(result.stdout + result.stderr)
        }

        var answer: JSONValue = .null
        #expect(
            try await eventually(timeout: .seconds(60)) {
                answer = try await financeCheck()
                return answer["decision"] == "block"
            }, "finance never blocked: \(answer)\n\(logs())")
        #expect(answer["initiator"] == "court" && answer["measure"] == "finance.procurement-ban", "\(answer)")
        let listing = try #require(answer["listing"]?.stringValue)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await marketCheck()
                return answer["decision"] == "block"
            }, "market never blocked: \(answer)")
        // Finance's block reaches dispatch on the centre as feedback.
        #expect(
            try await eventually {
                try await sites.ctl("centre", ["feedback", "--json"]).stdout.contains(#""finance":{"block":"#)
            }, "no feedback from finance\n\(logs())")

        // The cut: finance and the centre cannot reach each other; the repair lifts the listing.
        try hosts.separate("finance", "centre")
        var application = JSONValue.null
        #expect(
            try await eventually {
                let result = try await sites.ctl(
                    "centre", ["repair", "apply", "--listing", listing, "--commitment", "已履行全部义务，承诺今后依法诚信经营", "--json"])
                application = (try? WireCoding.decode(JSONValue.self, from: Array(result.stdout.utf8))) ?? .null
                return application["application"]?["status"] == "pending"
            }, "repair apply: \(application)")
        let approved = try await sites.ctl("court", ["repair", "approve", try #require(application["id"]?.stringValue), "--as", "court"])
        #expect(approved.status == 0, "\(approved.stdout)\(approved.stderr)")
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await marketCheck()
                return answer["decision"] == "allow"
            }, "market still blocks after the repair: \(answer)")
        // Finance answers from its replica, as it was before the cut, and says that it is stale.
        #expect(
            try await eventually(timeout: .seconds(30), every: .milliseconds(500)) {
                answer = try await financeCheck()
                return answer["replica"]?["stale"] == .bool(true)
            }, "no stale answer during the cut: \(answer)")
        #expect(answer["decision"] == "block", "the lift cannot have reached finance: \(answer)")
        #expect(try await financeHealth()["pendingFeedback"]?.intValue ?? 0 > 0, "the block during the cut waits in finance's outbox")

        // Healing: finance catches up, its feedback is delivered, both replicas are at one seq.
        try hosts.join("finance", "centre")
        #expect(
            try await eventually(timeout: .seconds(90), every: .milliseconds(500)) {
                answer = try await financeCheck()
                return answer["decision"] == "allow" && answer["replica"]?["stale"] == .bool(false)
            }, "finance did not converge: \(answer)\n\(logs())")
        var health = JSONValue.null
        var marketSeq: Int64?
        #expect(
            try await eventually(timeout: .seconds(60), every: .milliseconds(500)) {
                health = try await financeHealth()
                marketSeq = try await marketCheck()["replica"]?["seq"]?.intValue
                return health["pendingFeedback"] == .int(0) && health["replica"]?["seq"]?.intValue == marketSeq
                    && health["replica"]?["seq"] == health["replica"]?["publisherHead"]
            }, "finance \(health), market seq \(marketSeq.map(String.init) ?? "?")")

        // Disclosure on the centre, read from outside: the person masked, the repaired company gone.
        let portal = "http://\(hosts.address("centre")):\(layout.ports["disclosure.http"]!)/api/v1/blacklist"
        var page = ""
        #expect(
            try await eventually {
                page = try await CheckAPITLSTests.curl([portal]).body
                return page.contains("330502********1231") && !page.contains(Self.company)
            }, "portal: \(page)")
    }
}
