import Foundation
import GRDB
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// sanction-dispatch's operator dashboard against a running suite: streams and heads, followers and
/// their lag, a department behind on acknowledgements, dead letters, open objections; the page
/// without JavaScript, the JSON that refreshes it, and the refresh in a real browser.
@Suite(.serialized)
struct DashboardTests {
    /// dispatch (acknowledgement deadline 1 s), repair and finance's interceptor; commerce is in the
    /// roster but its interceptor is not running, so it falls behind on acknowledgements.
    struct Running {
        let layout: TestSuiteLayout
        let suite: SuiteClient
        let processes: [SuiteProcess]
        var dashboard: String { layout.http("dispatch.http") }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }

        init() async throws {
            layout = try TestSuiteLayout(departments: ["finance", "commerce"])
            suite = SuiteClient(layout: layout)
            processes = [
                try SuiteProcess("sanction-dispatch", layout: layout, environment: ["CREDIT_DISPATCH_ACK_DEADLINE_SECONDS": "1"]),
                try SuiteProcess("repair", layout: layout),
                try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout),
            ]
        }

        func stop() {
            processes.forEach { $0.stop() }
            layout.remove()
        }

        func view(_ query: String = "wait=0") async throws -> JSONValue {
            let (body, status) = try await getRaw(dashboard + "/v1/dashboard?" + query)
            #expect(status == 200, "\(body)")
            return try JSONReader.value(Array(body.utf8))
        }
    }

    static func stream(_ view: JSONValue, _ name: String) -> JSONValue? {
        view["streams"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    @Test func showsStreamsFollowersLaggingDepartmentsDeadLettersAndObjections() async throws {
        let running = try await Running()
        defer { running.stop() }
        let ids = try await DeliveryTests.initiate(0..<3, suite: running.suite, concurrency: 1)
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: running.suite)
        let filed = try await Commands.run(
            "creditctl", ["objection", "file", "--listing", ids[0]!, "--reason", "处罚依据有误"], layout: running.layout)
        #expect(filed.status == 0, "\(filed.stderr)")
        // A dead letter at finance's interceptor, as an event it could not apply leaves one.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)  // the running interceptor writes too
        let database = try DatabaseQueue(
            path: running.layout.directory.appendingPathComponent("data/interceptor-finance.sqlite").path, configuration: configuration)
        try await database.write { db in
            try db.execute(
                sql:
                    "INSERT INTO bus_dead_letters(stream, seq, event, reason, at) VALUES ('dispatch', 999999, '{}', 'test', '2026-01-01T00:00:00.000Z')"
            )
        }
        try database.close()

        var view: JSONValue = .null
        let shown = try await eventually(timeout: .seconds(30), every: .milliseconds(500)) {
            view = try await running.view()
            let finance = view["followers"]?.arrayValue?.first {
                $0["follower"]?.stringValue == "interceptor.finance" && $0["stream"]?.stringValue == "dispatch"
            }
            return finance?["lag"]?.intValue == 0 && finance?["state"]?.stringValue == "live"
                && view["departmentsBehind"]?.arrayValue?.first { $0["department"]?.stringValue == "commerce" }?["overdue"]?.intValue == 3
                && view["objections"]?["open"]?.intValue == 1
                && Self.stream(view, "interceptor.finance")?["deadLetters"]?.intValue == 1
        }
        #expect(shown, "\(view)\n\(running.logs())")
        let head = try #require(Self.stream(view, "dispatch")?["head"]?.intValue)
        #expect(head >= 3)
        #expect(Self.stream(view, "dispatch")?["up"] == .bool(true))
        #expect(Self.stream(view, "registry")?["up"] == .bool(false), "registry is not running")
        #expect(view["departmentsBehind"]?.arrayValue?.contains { $0["department"]?.stringValue == "finance" } == false)

        // The page is complete without JavaScript.
        let (page, status) = try await getRaw(running.dashboard + "/")
        #expect(status == 200)
        let pageHead = page.firstMatch(of: /<tr data-stream="dispatch"><td>dispatch<\/td><td class="ok">up<\/td><td data-head>(\d+)<\/td>/)
            .flatMap { Int64($0.1) }
        #expect((pageHead ?? 0) >= head, "\(page)")
        #expect(page.contains(#"data-follower="interceptor.finance" data-stream="dispatch">"#), "\(page)")
        #expect(
            page.contains(#"data-department="commerce""#)
                && page.contains(#"data-dead-letters="interceptor.finance">interceptor.finance: 1"#))
        #expect(page.contains("Being verified: 1;"))
        #expect(page.contains(#"<meta http-equiv="refresh" content="30">"#) && page.contains("<noscript>"))

        // The operator pages through a department's black listings by start date, as JSON.
        func listings(_ arguments: String...) async throws -> CommandResult {
            try await Commands.run("creditctl", ["listings"] + arguments, layout: running.layout)
        }
        let day = { (offset: Double) in String(WireTime.format(Date().addingTimeInterval(offset * 86_400)).prefix(10)) }
        let firstPage = try await listings(
            "--list", "black", "--initiator", "market", "--from", day(-1), "--to", day(1), "--limit", "2", "--json")
        let firstListings = try JSONReader.value(Array(firstPage.stdout.utf8))
        #expect(firstListings["listings"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[0]!, ids[1]!].sorted(), "\(firstPage)")
        let next = try #require(firstListings["next"]?.stringValue)
        let secondPage = try JSONReader.value(
            Array(try await listings("--list", "black", "--initiator", "market", "--after", next, "--json").stdout.utf8))
        #expect(secondPage["listings"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[2]!], "\(secondPage)")
        #expect(secondPage["next"] == .null)
        let none = try JSONReader.value(Array(try await listings("--from", day(2), "--json").stdout.utf8))
        #expect(none["listings"]?.arrayValue?.isEmpty == true, "\(none)")
        let otherDepartment = try JSONReader.value(Array(try await listings("--initiator", "court", "--json").stdout.utf8))
        #expect(otherDepartment["listings"]?.arrayValue?.isEmpty == true)
        let badLimit = try await listings("--limit", "0")
        #expect(badLimit.status != 0 && badLimit.stderr.contains("--limit must be 1–1000"), "\(badLimit.stderr)")

        // Bad input is refused, naming what is wrong.
        let (bad, badStatus) = try await getRaw(running.dashboard + "/v1/dashboard?wait=99")
        #expect(badStatus == 400 && bad.contains("wait must be whole seconds from 0 to 30"), "\(badStatus) \(bad)")
    }

    @Test func theJSONWaitsForTheNextChange() async throws {
        let running = try await Running()
        defer { running.stop() }
        _ = try await DeliveryTests.initiate(0..<1, suite: running.suite, concurrency: 1)
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: running.suite)
        // Settled: the same version twice in a row.
        var version = ""
        #expect(
            try await eventually(timeout: .seconds(30), every: .seconds(1)) {
                let next = try await running.view()["version"]?.stringValue ?? ""
                defer { version = next }
                return next == version
            })
        let before = try await running.view()
        let head = try #require(Self.stream(before, "dispatch")?["head"]?.intValue)
        // Nothing changes: the answer comes when the wait is over, with the same version.
        let started = ContinuousClock.now
        let unchanged = try await running.view("after=\(version)&wait=2")
        #expect(ContinuousClock.now - started >= .seconds(2))
        #expect(unchanged["version"]?.stringValue == version)
        // A change while it waits: the answer comes with it.
        let settled = version
        async let changed = running.view("after=\(settled)&wait=25")
        try await Task.sleep(for: .seconds(2))
        let waitStarted = ContinuousClock.now
        _ = try await DeliveryTests.initiate(1..<2, suite: running.suite, concurrency: 1)
        var after = try await changed
        // Another change can come first (an acknowledgement gathered late): wait on from it.
        while (Self.stream(after, "dispatch")?["head"]?.intValue ?? 0) <= head, ContinuousClock.now - waitStarted < .seconds(20),
            let seen = after["version"]?.stringValue
        {
            after = try await running.view("after=\(seen)&wait=25")
        }
        #expect(ContinuousClock.now - waitStarted < .seconds(20), "answered at the change, not at the end of the wait")
        #expect(after["version"]?.stringValue != version)
        #expect((Self.stream(after, "dispatch")?["head"]?.intValue ?? 0) > head, "\(after)")
        #expect(after["html"]?["streams"]?.stringValue?.contains("data-head") == true)
    }

    @Test func thePageRefreshesItselfInABrowser() async throws {
        guard let browser = BrowserTests.browser else {
            if ProcessInfo.processInfo.environment["CREDIT_REQUIRE_BROWSER"] == "1" {
                Issue.record("Chromium is required (make test-deps installs Debian's chromium)")
            } else {
                print("SKIPPED: the dashboard's browser test needs Debian's chromium (make test-deps installs it)")
            }
            return
        }
        let running = try await Running()
        defer { running.stop() }
        _ = try await DeliveryTests.initiate(0..<1, suite: running.suite, concurrency: 1)
        try await DeliveryTests.expectReplicasConverge(["finance"], suite: running.suite)
        var version = ""
        #expect(
            try await eventually(timeout: .seconds(30), every: .seconds(1)) {
                let next = try await running.view()["version"]?.stringValue ?? ""
                defer { version = next }
                return next == version
            })
        let head = try #require(Self.stream(try await running.view(), "dispatch")?["head"]?.intValue)
        let profile = running.layout.directory.appendingPathComponent("chromium")
        // The browser loads the page (head as it is now) and its script waits for the next change; a
        // listing made meanwhile must appear in the page's DOM without a reload. Virtual time stands
        // still while the script's request is open, so the DOM is read after the answer came.
        async let dom = BrowserTests.chromium(
            browser, ["--virtual-time-budget=1000", "--dump-dom", running.dashboard + "/?wait=25"], profile: profile)
        try await Task.sleep(for: .seconds(4))
        _ = try await DeliveryTests.initiate(1..<2, suite: running.suite, concurrency: 1)
        let newHead = try #require(Self.stream(try await running.view(), "dispatch")?["head"]?.intValue)
        #expect(newHead > head)
        let result = try await dom
        #expect(result.status == 0, "\(result.stderr.suffix(500))")
        #expect(result.stdout.contains(#"data-refreshes="1""#), "\(result.stdout)")
        #expect(result.stdout.contains("updated without reloading"), "\(result.stdout)")
        let shownHead = result.stdout.firstMatch(of: /<tr data-stream="dispatch">.*?<td data-head="">(\d+)<\/td>/).flatMap { Int64($0.1) }
        #expect((shownHead ?? 0) > head, "the page shows the head after the change (was \(head)): \(result.stdout)")
    }
}
