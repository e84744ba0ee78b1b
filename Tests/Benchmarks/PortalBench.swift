import CreditDomain
import DisclosureCore
import Foundation
import MeshProtocol
import TestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The public portal over 1,000,000 published penalties: wrk (Debian's) on the search and on a
/// subject's page, beside a raw hello on the same server (`GET /healthz`: the same process and HTTP
/// stack, no database), in the same run. Ratios of rate; p50 and p99 as wrk measures them.
enum PortalBench {
    struct WrkResult {
        var rate: Double
        var p50Millis: Double
        var p99Millis: Double
    }

    /// A penalty of subject `n` (one per subject; the names share prefixes, as a city's companies do).
    static func event(_ n: Int) -> Event {
        let record = CreditRecord(
            kind: .penalty, subjectID: GeneratedSubjects.uscc(n), subjectScheme: .unifiedSocialCreditCode, subjectKind: .enterprise,
            subjectName: "湖州示例\(n % 1_000)号贸易有限公司\(n)", documentNumber: "湖市监罚〔2026〕\(n)号", authority: "湖州市市场监督管理局",
            legalBasis: "《中华人民共和国反不正当竞争法》第二十条", summary: "虚假宣传", decisionDate: "2026-09-01", severity: .serious, fineAmount: 6,
            category: "罚款")
        let data: JSONValue = .object([
            "id": .string(String(format: "R-%08d", n + 1)), "source": "market", "record": (try? JSONValue(encoding: record)) ?? .null,
        ])
        return Event(
            stream: "registry", seq: Int64(n + 1), id: "registry-\(n)", type: "record.stored", at: "2026-09-03T08:00:00.000Z", data: data)
    }

    static func run(records: Int, seconds: Int, connections: Int) async throws {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ImportBench.BenchFailure("the portal benchmark needs wrk (Debian's package: apt-get install wrk; make bench installs it)")
        }
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let topology = try layout.topology()
        var started = monotonicMicros()
        try DisclosureBulk.publish(
            (0..<records).lazy.map(event), into: try topology.databasePath(for: "disclosure"),
            policy: try DisclosureService.policy(topology.config))
        report(
            String(
                format: "  (setup: %d penalties published into disclosure's database in %.1f s)", records,
                (monotonicMicros() - started) / 1e6))

        let process = try SuiteProcess("disclosure", layout: layout)
        defer { process.stop() }
        let portal = layout.http("disclosure.http")
        started = monotonicMicros()
        while (try? await getText(portal + "/healthz")) == nil {
            guard monotonicMicros() - started < 30e6 else {
                throw ImportBench.BenchFailure("disclosure did not answer: \(process.log.suffix(2_000))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }

        // 10,000 different searches and subject pages, picked at random by wrk.
        var search: [String] = []
        var pages: [String] = []
        var json: [String] = []
        for i in 0..<10_000 {
            let n = (i * 7_919) % records
            let name = "湖州示例\(n % 1_000)号贸易有限公司\(n)"
            search.append("/?q=" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name))
            pages.append("/subjects/" + GeneratedSubjects.uscc(n))
            json.append("/api/v1/subjects/" + GeneratedSubjects.uscc(n))
        }
        func script(_ paths: [String], _ name: String) throws -> String {
            let path = layout.directory.appendingPathComponent("\(name).lua").path
            let table = paths.map { "\"\($0)\"" }.joined(separator: ",\n")
            try "local paths = {\n\(table)\n}\nrequest = function()\n  return wrk.format(\"GET\", paths[math.random(#paths)])\nend\n"
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func load(_ url: String, script: String?) async throws -> WrkResult {
            var arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency"]
            if let script { arguments += ["-s", script] }
            let result = try await Commands.run(path: wrk, arguments + [url], environment: ProcessInfo.processInfo.environment)
            guard result.status == 0, let parsed = parse(result.stdout) else {
                throw ImportBench.BenchFailure("wrk failed: \(result.stdout)\(result.stderr)")
            }
            return parsed
        }
        // A check that each answers what it should before it is measured.
        let probe = try await getText(portal + pages[0])
        guard probe.contains("虚假宣传") else {
            throw ImportBench.BenchFailure("the subject page does not show the penalty: \(probe.prefix(500))")
        }

        let hello = try await load(portal + "/healthz", script: nil)
        report(
            String(
                format: "raw hello (GET /healthz, %d connections): %.0f req/s, p50 %.2f ms, p99 %.2f ms", connections, hello.rate,
                hello.p50Millis, hello.p99Millis))
        BenchResults.record("portal.hello.rate", hello.rate, unit: "requests/s")
        for (label, paths, name) in [
            ("search by name (GET /?q=)", search, "search"), ("subject page (GET /subjects/{code})", pages, "page"),
            ("subject JSON (GET /api/v1/subjects/{code})", json, "json"),
        ] {
            let measured = try await load(portal, script: try script(paths, name))
            report(
                String(
                    format: "portal %@ over %d penalties: %.0f req/s, p50 %.2f ms, p99 %.2f ms; rate %.2f of the hello", label, records,
                    measured.rate, measured.p50Millis, measured.p99Millis, measured.rate / hello.rate))
            BenchResults.record("portal.\(name).rate", measured.rate, unit: "requests/s")
            BenchResults.record(
                "portal.\(name).rate-ratio-to-hello", measured.rate / hello.rate, unit: "ratio",
                reference: ("portal.hello.rate", hello.rate),
                ratio: measured.rate / hello.rate)
            BenchResults.record("portal.\(name).p99-ms", measured.p99Millis, unit: "ms")
        }
    }

    /// Requests/sec and the 50% and 99% latencies of wrk's `--latency` output.
    static func parse(_ output: String) -> WrkResult? {
        func millis(_ text: Substring) -> Double? {
            let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1_000)]
            for (unit, factor) in units where text.hasSuffix(unit) {
                return Double(text.dropLast(unit.count)).map { $0 * factor }
            }
            return nil
        }
        var rate: Double?
        var p50: Double?
        var p99: Double?
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), let value = fields.last { rate = Double(value) }
            if fields.count == 2, fields[0] == "50.000%" || fields[0] == "50%" { p50 = millis(fields[1]) }
            if fields.count == 2, fields[0] == "99.000%" || fields[0] == "99%" { p99 = millis(fields[1]) }
        }
        guard let rate, let p50, let p99 else { return nil }
        return WrkResult(rate: rate, p50Millis: p50, p99Millis: p99)
    }

    static func getText(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }
}
