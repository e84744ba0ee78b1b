import Bus
import Foundation
import GRDB
import Logging
import MeshMetrics
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@Suite struct PrometheusTextTests {
    @Test func readsSamplesWithLabelsEscapesAndSpecialValues() {
        let text = """
            # TYPE credit_requests_total counter
            credit_requests_total{op="records.import",outcome="ok"} 12
            credit_stream_head{stream="registry"} 7.0
            credit_odd{note="a \\"quoted\\" \\\\ value\\nnext",le="+Inf"} +Inf
            credit_plain 3 1700000000000

            credit_broken{op="unterminated} 1
            """
        let samples = PrometheusText.samples(in: text)
        #expect(
            samples == [
                MetricSample(name: "credit_requests_total", labels: ["op": "records.import", "outcome": "ok"], value: 12),
                MetricSample(name: "credit_stream_head", labels: ["stream": "registry"], value: 7),
                MetricSample(name: "credit_odd", labels: ["note": "a \"quoted\" \\ value\nnext", "le": "+Inf"], value: .infinity),
                MetricSample(name: "credit_plain", labels: [:], value: 3),
            ])
    }

    @Test func metricNamesAreValidAndPrefixed() {
        for name in MetricName.allCases {
            #expect(name.rawValue.hasPrefix("credit_"))
            #expect(name.rawValue.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }, "\(name.rawValue)")
        }
    }
}

@Suite struct ServiceMetricsTests {
    @Test func aMirroredCounterFollowsItsTotalAndRestartsWhenItShrinks() {
        let metrics = ServiceMetrics(service: "test")
        let counter = metrics.mirroredCounter(.deadLetters, [("service", "test")])
        counter.set(3)
        counter.set(3)
        counter.set(5)
        #expect(metrics.value(.deadLetters, ["service": "test"]) == 5)
        counter.set(2)
        #expect(metrics.value(.deadLetters, ["service": "test"]) == 2)
    }

    @Test func scrapeHooksRunBeforeEachExposition() async {
        let metrics = ServiceMetrics(service: "test")
        let gauge = metrics.gauge(.objectionsOpen)
        let calls = Locked(0)
        metrics.onScrape {
            let count = calls.withLock { value -> Int in
                value += 1
                return value
            }
            gauge.record(count)
        }
        #expect(metrics.value(.objectionsOpen) == 0, "reading back runs no hook")
        _ = await metrics.exposition()
        let text = await metrics.exposition()
        #expect(PrometheusText.samples(in: text).contains(MetricSample(name: "credit_objections_open", labels: [:], value: 2)))
    }
}

/// Every metric is documented in docs/OPERATIONS.md, and the alert rules use only metrics that exist.
@Suite struct MetricsDocumentationTests {
    static let root = BuiltProducts.packageRoot

    @Test func operationsNamesEveryMetric() throws {
        let operations = try String(contentsOf: Self.root.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        let missing = MetricName.allCases.map(\.rawValue).filter { !operations.contains("`\($0)") }
        #expect(missing.isEmpty, "docs/OPERATIONS.md does not describe \(missing)")
    }

    @Test func theAlertRulesUseOnlyMetricsThatExist() throws {
        let rules = try String(
            contentsOf: Self.root.appendingPathComponent("deploy/prometheus/credit-mesh.rules.yml"), encoding: .utf8)
        let known = Set(MetricName.allCases.map(\.rawValue))
        let used = rules.matches(of: #/credit_[a-z_]+/#).map { String($0.output) }
        #expect(!used.isEmpty)
        for name in Set(used) {
            let base = ["_bucket", "_sum", "_count"].reduce(name) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            #expect(known.contains(base), "the rules use \(name), which no service exposes")
        }
    }
}

/// What `status` reports of requests is read from the same metrics that `/metrics` serves.
@Suite struct BusServerMetricsTests {
    @Test func statusCountsAreTheMetricsCounts() async throws {
        let database = try ServiceDatabase.inMemory { _ in }
        let ports = FreePorts.take(2)
        let metrics = ServiceMetrics(service: "test")
        let log = EventLog(stream: "test")
        let server = BusServer(
            service: "test",
            options: BusServerOptions(pubEndpoint: "tcp://127.0.0.1:\(ports[0])", routerEndpoint: "tcp://127.0.0.1:\(ports[1])"),
            log: log, reader: database, handler: NoOps(), metrics: metrics, logger: Logger(label: "test"))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let client = try BusClient(endpoint: "tcp://127.0.0.1:\(ports[1])")
        defer { client.close() }
        try await database.write { db in
            for index in 0..<3 { try log.append(db, type: "thing.happened", json: .object(["n": .int(Int64(index))])) }
        }
        for _ in 0..<3 { _ = try await client.request("echo", body: .object(["x": 1])) }
        await #expect(throws: BusClientError.self) { try await client.request("replay", body: .object(["from": -1])) }
        await #expect(throws: BusClientError.self) { try await client.request("no.such.op") }

        let status = try await client.request("status")
        let samples = PrometheusText.samples(in: await metrics.exposition())
        func sample(_ name: String, _ labels: [String: String]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(sample("credit_requests_total", ["op": "echo", "outcome": "ok"]) == 3)
        #expect(sample("credit_requests_total", ["op": "replay", "outcome": "refused"]) == 1)
        #expect(sample("credit_requests_total", ["op": "(unknown)", "outcome": "refused"]) == 1)
        #expect(sample("credit_request_seconds_count", ["op": "echo"]) == 3)
        #expect(sample("credit_stream_head", ["stream": "test"]) == 3)
        #expect(sample("credit_dead_letters_total", ["service": "test"]) == 0)
        let ops = try #require(status["ops"])
        #expect(ops["echo"]?["ok"] == 3 && ops["replay"]?["refused"] == 1 && ops["(unknown)"]?["refused"] == 1)
        guard case .double(let seconds) = ops["echo"]?["seconds"] else {
            Issue.record("status gives no seconds for echo: \(ops)")
            return
        }
        #expect(seconds > 0 && seconds == sample("credit_request_seconds_sum", ["op": "echo"]))
    }
}
