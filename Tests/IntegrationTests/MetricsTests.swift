import Foundation
import MeshMetrics
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// `/metrics` of the real processes after real work: imports at the registry, checks at an
/// interceptor, feedback and acknowledgements at sanction-dispatch; the same numbers in `status`.
@Suite(.serialized)
struct MetricsTests {
    static let company = "91330500MA2D7E8F2D"

    /// The samples a process serves at `/metrics`, and the content type it says they are in.
    static func scrape(_ url: String) async throws -> (samples: [MetricSample], contentType: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        let contentType = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") ?? ""
        return (PrometheusText.samples(in: String(decoding: data, as: UTF8.self)), contentType)
    }

    static func value(_ samples: [MetricSample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func servicesAndAnInterceptorCountTheirWorkInMetrics() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let processes = [
            try SuiteProcess("registry", layout: layout),
            try SuiteProcess("sanction-dispatch", layout: layout),
            try SuiteProcess("repair", layout: layout),
            try SuiteProcess("grading", layout: layout),
            try SuiteProcess("disclosure", layout: layout),
            try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout),
        ]
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(3_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let up = try await ctl("status", "--wait", "60")
        try #require(up.status == 0, "suite did not come up:\n\(up.stdout)\(up.stderr)\n\(logs())")

        // Imports: the court's list twice (2 stored, then 2 already present), penalties with one bad row.
        let root = BuiltProducts.packageRoot
        for (arguments, expected) in [
            (["--as", "court", "--format", "shixin", "demo/court-shixin.json"], "2 rows read, 2 stored, 0 already present, 0 refused"),
            (["--as", "court", "--format", "shixin", "demo/court-shixin.json"], "2 rows read, 0 stored, 2 already present, 0 refused"),
            (["--as", "market", "--format", "xzcf", "demo/penalties.csv"], "3 rows read, 2 stored, 0 already present, 1 refused"),
        ] {
            let path = root.appendingPathComponent(arguments[4]).path
            let result = try await Commands.run("creditctl", ["import", "--no-report"] + arguments.prefix(4) + [path], layout: layout)
            #expect(result.stdout.contains(expected), "\(result.stdout)\(result.stderr)")
        }
        let registry = try await Self.scrape(layout.metricsURL("registry"))
        if let promtool = PrometheusRulesTests.promtool {
            // Prometheus's own linter on what the interceptor serves: names, types, help texts.
            let (text, _) = try await getRaw(layout.metricsURL("interceptors.finance"))
            let input = layout.directory.appendingPathComponent("interceptor.metrics")
            try text.write(to: input, atomically: true, encoding: .utf8)
            let lint = try await Commands.run(
                path: "/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", promtool, input.path],
                environment: ProcessInfo.processInfo.environment)
            #expect(lint.status == 0, "promtool check metrics:\n\(lint.stdout)\(lint.stderr)")
        }
        #expect(registry.contentType.hasPrefix("text/plain; version=0.0.4"), "\(registry.contentType)")
        for (outcome, rows) in [("stored", 4.0), ("already-present", 2), ("corrected", 0), ("refused", 1)] {
            #expect(Self.value(registry.samples, "credit_import_rows_total", ["outcome": outcome]) == rows, "\(outcome)")
        }
        let imports = try #require(Self.value(registry.samples, "credit_requests_total", ["op": "records.import", "outcome": "ok"]))
        #expect(imports >= 3)
        #expect(Self.value(registry.samples, "credit_request_seconds_count", ["op": "records.import"]) == imports)
        #expect(try #require(Self.value(registry.samples, "credit_stream_head", ["stream": "registry"])) >= 4)
        #expect(Self.value(registry.samples, "credit_dead_letters_total", ["service": "registry"]) == 0)
        #expect(Self.value(registry.samples, "credit_follower_applied_seq", ["follower": "registry", "stream": "repair"]) == 0)

        // status reports the registry's counts from the same metrics.
        let suite = SuiteClient(layout: layout)
        let client = try suite.client("registry")
        defer { client.close() }
        let status = try await suite.request(client, "status").get()
        #expect(status["details"]?["importRows"]?["stored"] == 4 && status["details"]?["importRows"]?["refused"] == 1, "\(status)")
        let afterStatus = try await Self.scrape(layout.metricsURL("registry"))
        #expect(
            status["ops"]?["records.import"]?["ok"]?.intValue.map(Double.init)
                == Self.value(afterStatus.samples, "credit_requests_total", ["op": "records.import", "outcome": "ok"]))

        // Checks at finance: wait for the court's listing, then blocks and allows, each counted once.
        var decisions: [String: Double] = [:]
        func check(_ subject: String) async throws -> String? {
            let (body, code) = try await postRaw(
                layout.http("interceptors.finance.http") + "/v1/checks", #"{"subject":"\#(subject)","action":"government-procurement"}"#)
            guard code == 200, let decision = try JSONReader.value(Array(body.utf8))["decision"]?.stringValue else { return nil }
            decisions[decision, default: 0] += 1
            return decision
        }
        let blocked = try await eventually { try await check(Self.company) == "block" }
        try #require(blocked, "finance never blocked\n\(logs())")
        for _ in 0..<2 { #expect(try await check(Self.company) == "block") }
        for number in 1...3 { #expect(try await check(GeneratedSubjects.uscc(number)) == "allow") }
        #expect(decisions["block"] == 3)

        let interceptor = try await Self.scrape(layout.metricsURL("interceptors.finance"))
        for decision in ["allow", "block", "review", "fast-track"] {
            #expect(
                Self.value(interceptor.samples, "credit_checks_total", ["dept": "finance", "decision": decision]) == decisions[decision]
                    ?? 0,
                "\(decision)")
        }
        // Its replica is at dispatch's head (which feedback does not move: protocol 1.3), live;
        // its feedback and acknowledgements get delivered.
        let follower = ["follower": "interceptor.finance", "stream": "dispatch"]
        var last: [MetricSample] = []
        var dispatchHead: Double?
        let settled = try await eventually {
            dispatchHead = Self.value(
                try await Self.scrape(layout.metricsURL("dispatch")).samples, "credit_stream_head", ["stream": "dispatch"])
            last = try await Self.scrape(layout.metricsURL("interceptors.finance")).samples
            return dispatchHead.map { $0 >= 2 } == true && Self.value(last, "credit_follower_applied_seq", follower) == dispatchHead
                && Self.value(last, "credit_follower_lag", follower) == 0
                && Self.value(last, "credit_outbox_pending", ["service": "interceptor.finance"]) == 0
        }
        #expect(
            settled,
            "dispatch head \(dispatchHead ?? -1); \(last.filter { $0.name.hasPrefix("credit_follower") || $0.name.hasPrefix("credit_outbox") })\n\(logs())"
        )
        #expect(Self.value(last, "credit_follower_state", follower.merging(["state": "live"]) { $1 }) == 1)
        #expect(try #require(Self.value(last, "credit_follower_silent_seconds", follower)) < 5)
        #expect(Self.value(last, "credit_dead_letters_total", ["service": "interceptor.finance"]) == 0)
        #expect(Self.value(last, "credit_pub_dropped_total", ["stream": "dispatch"]) != nil)

        // sanction-dispatch took the three blocks as feedback (in batches, on its stream feedback), and
        // finance owes no acknowledgement.
        var dispatch: [MetricSample] = []
        let fedBack = try await eventually {
            dispatch = try await Self.scrape(layout.metricsURL("dispatch")).samples
            return Self.value(dispatch, "credit_stream_head", ["stream": "feedback"]) == 3
                && (Self.value(dispatch, "credit_requests_total", ["op": "feedback.batch", "outcome": "ok"]) ?? 0) >= 1
        }
        #expect(fedBack, "\(dispatch.filter { $0.name == "credit_requests_total" })")
        #expect(Self.value(dispatch, "credit_acks_overdue", ["dept": "finance"]) == 0)
        #expect(Self.value(dispatch, "credit_follower_applied_seq", ["follower": "dispatch", "stream": "registry"]) != nil)

        // Every process serves its own stream's head and its followers' positions.
        for (section, stream, followed) in [("grading", "grading", "registry"), ("disclosure", "disclosure", "dispatch")] {
            let samples = try await Self.scrape(layout.metricsURL(section)).samples
            #expect(Self.value(samples, "credit_stream_head", ["stream": stream]) != nil, "\(section)")
            #expect(Self.value(samples, "credit_follower_applied_seq", ["follower": stream, "stream": followed]) != nil, "\(section)")
        }

        // disclosure: its pages are rendered (the gauge is there, and the backlog drains to 0).
        let rendered = try await eventually {
            Self.value(try await Self.scrape(layout.metricsURL("disclosure")).samples, "credit_portal_pages_dirty") == 0
        }
        #expect(rendered, "disclosure's credit_portal_pages_dirty did not drain to 0")

        // repair: nothing open, nothing overdue.
        let repair = try await Self.scrape(layout.metricsURL("repair")).samples
        for name in ["credit_objections_open", "credit_objections_overdue", "credit_repairs_open", "credit_repairs_overdue"] {
            #expect(Self.value(repair, name) == 0, "\(name)")
        }
        #expect(processes.allSatisfy { $0.isRunning }, "\(logs())")
    }

    @Test func aBadMetricsAddressStopsStartUpNamingTheKey() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        var environment = layout.environment
        environment["CREDIT_REGISTRY_METRICS"] = "localhost"
        let path = BuiltProducts.directory().appendingPathComponent("registry").path
        let bad = try await Commands.run(path: path, [], environment: environment, in: BuiltProducts.packageRoot.path)
        #expect(bad.status == 78)
        #expect(
            bad.stderr.contains(
                #"registry: cannot start: config registry.metrics (from environment CREDIT_REGISTRY_METRICS): "localhost" is not host:port"#
            ),
            "\(bad.stderr)")

        // A port another process holds: the listener names its key and address.
        let port = layout.ports["registry.metrics"]!
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        try #require(FreePorts.withLoopbackAddress(port: port) { bind(holder, $0, $1) } == 0 && listen(holder, 1) == 0)
        let taken = try await Commands.run(path: path, [], environment: layout.environment, in: BuiltProducts.packageRoot.path)
        #expect(taken.status == 1)
        #expect(
            taken.stderr.contains("config registry.metrics: cannot serve HTTP on 127.0.0.1:\(port): ")
                && taken.stderr.contains("Address already in use"), "\(taken.stderr)")
    }
}

/// The alert rules of deploy/prometheus are valid, and fire as their tests say, by Prometheus's own
/// `promtool` (Debian's prometheus package; `make test-deps` installs it).
@Suite struct PrometheusRulesTests {
    static let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(
        .enabled(
            if: promtool != nil,
            "SKIPPED: promtool is not installed, so deploy/prometheus/credit-mesh.rules.yml is NOT checked; install Debian's prometheus package (make test-deps does)"
        ))
    func promtoolChecksTheRulesTheConfigAndTheRuleTests() async throws {
        let directory = BuiltProducts.packageRoot.appendingPathComponent("deploy/prometheus").path
        for arguments in [
            ["check", "rules", "credit-mesh.rules.yml"], ["check", "config", "prometheus.yml"],
            ["test", "rules", "credit-mesh.rules.test.yml"],
        ] {
            let result = try await Commands.run(
                path: try #require(Self.promtool), arguments, environment: ProcessInfo.processInfo.environment, in: directory)
            #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")):\n\(result.stdout)\(result.stderr)")
        }
    }
}
