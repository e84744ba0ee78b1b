import CreditDomain
import Foundation
import GRDB
import InterceptorCore
import MeshProtocol
import ServiceKit
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Interceptor checks against 1,000,000 active listings with 3,000,000 related-person links:
/// in-process decisions beside a raw dictionary lookup, and the real HTTP API beside a raw hello
/// (`GET /v1/ping`) on the same server.
enum ChecksBench {
    static func personID(_ n: Int) -> String {
        // Resident IDs with valid birth dates and check digits: 1,000 per birth date from 1950-01-01.
        let birth = Date(timeIntervalSince1970: -631_152_000 + Double(n / 1_000) * 86_400)
        let day = FieldDates.isoDate(birth).replacingOccurrences(of: "-", with: "")
        let body = "330102" + day + String(format: "%03d", n % 1_000)
        return body + String(Identifiers.residentIDCheckCharacter(for: body)!)
    }

    static func listings(_ count: Int) -> [Listing] {
        (0..<count).map { n in
            Listing(
                id: String(format: "L-%07d", n + 1), list: .black, subjectID: GeneratedSubjects.uscc(n), subjectName: "企业\(n)",
                subjectKind: .enterprise, initiator: .court, basis: "bench", document: "B-\(n)", start: "2026-01-01", until: "2030-12-31",
                relatedPersons: [
                    RelatedPerson(role: .legalRepresentative, name: "法人\(n)", personID: personID(3 * n)),
                    RelatedPerson(role: .principal, name: "负责人\(n)", personID: personID(3 * n + 1)),
                    RelatedPerson(role: .actualController, name: "实控人\(n)", personID: personID(3 * n + 2)),
                ])
        }
    }

    static func run(listings count: Int) async throws {
        let catalogue = try CatalogueLoader.load(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("config/catalogue.yaml"))
        var started = monotonicMicros()
        let all = listings(count)
        report(
            String(
                format: "  (setup: %d listings with %d related-person links generated in %.1f s)", count, 3 * count,
                (monotonicMicros() - started) / 1e6))

        // In-process: the interceptor's index and decider.
        let index = ReplicaIndex()
        started = monotonicMicros()
        index.upsert(all)
        index.setCatalogueForTesting(catalogue)
        report(String(format: "  (index built in %.1f s)", (monotonicMicros() - started) / 1e6))
        // A mix: listed companies, their related persons, unknown subjects.
        let probes = 1_000_000
        let keys: [String] = (0..<probes).map { i in
            switch i % 3 {
            case 0: GeneratedSubjects.uscc((i * 7_919) % count)
            case 1: personID((i * 104_729) % (3 * count))
            default: GeneratedSubjects.uscc(count + i)
            }
        }
        var blocks = 0
        started = monotonicMicros()
        for key in keys {
            let outcome = index.decide(department: .commerce, action: "hotel-booking-4star", today: "2026-11-23", subject: key)
            if outcome?.decision == .block { blocks += 1 }
        }
        let decideSeconds = (monotonicMicros() - started) / 1e6
        var raw: [String: Listing] = [:]
        raw.reserveCapacity(count)
        for listing in all { raw[listing.subjectID] = listing }
        var hits = 0
        started = monotonicMicros()
        for key in keys where raw[key] != nil { hits += 1 }
        let rawSeconds = (monotonicMicros() - started) / 1e6
        report(
            String(
                format: "checks in process: %.0f decisions/s (%d of %d blocked); raw dictionary lookup %.0f lookups/s; ratio %.0f×",
                Double(probes) / decideSeconds, blocks, probes, Double(probes) / rawSeconds, decideSeconds / rawSeconds))
        BenchResults.record(
            "checks.in-process.rate", Double(probes) / decideSeconds, unit: "decisions/s",
            reference: ("raw-dictionary-lookup.rate", Double(probes) / rawSeconds))
        _ = hits

        // Over HTTP: the real interceptor with the same replica in its database.
        let layout = try TestSuiteLayout(departments: ["commerce"])
        defer { layout.remove() }
        let data = layout.directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        started = monotonicMicros()
        let database = try ServiceDatabase.open(path: data.appendingPathComponent("interceptor-commerce.sqlite").path) {
            InterceptorSchema.register(in: &$0)
        }
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO replica_catalogue(id, version, data) VALUES (1, ?, ?)",
                arguments: [catalogue.version, String(decoding: try WireCoding.encode(catalogue), as: UTF8.self)])
            for listing in all {
                try db.execute(
                    sql: "INSERT INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)",
                    arguments: [listing.id, listing.subjectID, String(decoding: try WireCoding.encode(listing), as: UTF8.self)])
            }
        }
        try database.close()
        report(String(format: "  (replica database written in %.1f s)", (monotonicMicros() - started) / 1e6))
        started = monotonicMicros()
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "commerce"], name: "interceptor-commerce", layout: layout,
            environment: ["CREDIT_LOG_LEVEL": "warning"])
        defer { interceptor.stop() }
        let port = layout.ports["interceptors.commerce.http"]!
        while (try? HTTPLoad.request(port: port, method: "GET", path: "/v1/ping")) == nil { usleep(100_000) }
        report(String(format: "  (interceptor started and loaded its replica in %.1f s)", (monotonicMicros() - started) / 1e6))
        let connections = 4
        let hello = try HTTPLoad.run(port: port, connections: connections, seconds: 10) { _ in ("GET", "/v1/ping", nil) }
        let checks = try HTTPLoad.run(port: port, connections: connections, seconds: 10) { i in
            ("POST", "/v1/checks", #"{"subject":"\#(keys[i % keys.count])","action":"hotel-booking-4star","requester":"bench"}"#)
        }
        report(
            String(
                format: "raw HTTP hello (GET /v1/ping, %d connections): %.0f req/s, p50 %.2f ms, p99 %.2f ms",
                connections, hello.rate, hello.latency.p50 / 1_000, hello.latency.p99 / 1_000))
        report(
            String(
                format:
                    "checks over HTTP (POST /v1/checks, logged): %.0f checks/s, p50 %.2f ms, p99 %.2f ms; p50 %.1f× the hello, rate %.2f of it",
                checks.rate, checks.latency.p50 / 1_000, checks.latency.p99 / 1_000, checks.latency.p50 / hello.latency.p50,
                checks.rate / hello.rate))
        BenchResults.record("checks.http.rate", checks.rate, unit: "checks/s", reference: ("http-ping.rate", hello.rate))
        BenchResults.record(
            "checks.http.rate-ratio-to-ping", checks.rate / hello.rate, unit: "ratio", reference: ("http-ping.rate", hello.rate),
            ratio: checks.rate / hello.rate)
        BenchResults.record(
            "checks.http.p99-ms", checks.latency.p99 / 1_000, unit: "ms", reference: ("http-ping.p99-ms", hello.latency.p99 / 1_000))
    }
}

/// A tiny keep-alive HTTP/1.1 load generator: one thread per connection, sequential requests.
enum HTTPLoad {
    struct Result {
        var rate: Double
        var latency: Percentiles
    }

    static func run(
        port: Int, connections: Int, seconds: Double, request: @escaping @Sendable (Int) -> (String, String, String?)
    ) throws -> Result {
        let latencies = Locked<[Double]>([])
        let group = DispatchGroup()
        let deadline = monotonicMicros() + seconds * 1e6
        for connection in 0..<connections {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let socket = try? Connection(port: port) else { return }
                var mine: [Double] = []
                var i = connection
                while monotonicMicros() < deadline {
                    let (method, path, body) = request(i)
                    let start = monotonicMicros()
                    guard (try? socket.exchange(method: method, path: path, body: body)) != nil else { break }
                    mine.append(monotonicMicros() - start)
                    i += connections
                }
                latencies.withLock { $0 += mine }
            }.start()
        }
        group.wait()
        let all = latencies.value
        return Result(rate: Double(all.count) / seconds, latency: Percentiles(all))
    }

    static func request(port: Int, method: String, path: String) throws -> Int {
        let connection = try Connection(port: port)
        return try connection.exchange(method: method, path: path, body: nil)
    }

    final class Connection {
        let fd: Int32
        var buffer: [UInt8] = []

        init(port: Int) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let result = FreePorts.withLoopbackAddress(port: port) { connect(fd, $0, $1) }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            guard result == 0 else {
                close(fd)
                throw HTTPError.connect
            }
        }

        deinit { close(fd) }

        enum HTTPError: Error { case connect, closed, malformed }

        /// Sends one request and reads the whole response; returns the status code.
        func exchange(method: String, path: String, body: String?) throws -> Int {
            let payload = Array((body ?? "").utf8)
            var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
            let bytes = Array((head + "\r\n").utf8) + payload
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { throw HTTPError.closed }
                sent += n
            }
            // Headers, then Content-Length bytes of body.
            while true {
                if let end = headerEnd() {
                    let header = String(decoding: buffer[..<end], as: UTF8.self)
                    let status = Int(header.split(separator: " ").dropFirst().first ?? "") ?? 0
                    let length =
                        header.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    while buffer.count < end + 4 + length { try fill() }
                    buffer.removeFirst(end + 4 + length)
                    return status
                }
                try fill()
            }
        }

        private func headerEnd() -> Int? {
            guard buffer.count >= 4 else { return nil }
            for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                return i
            }
            return nil
        }

        private func fill() throws {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw HTTPError.closed }
            buffer += chunk[..<n]
        }
    }
}
