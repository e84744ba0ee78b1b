import Bus
import CreditDomain
import DispatchCore
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Synchronization
import TestSupport
import ZeroMQ

/// Prints a line at once (stdout is block-buffered when piped, e.g. through tee).
func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func monotonicMicros() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) * 1e6 + Double(time.tv_nsec) / 1e3
}

struct Percentiles {
    var samples: Int
    var p50: Double
    var p99: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        samples = sorted.count
        p50 = sorted.isEmpty ? .nan : sorted[sorted.count / 2]
        p99 = sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    }
}

/// The transport's floor: one PUB, one SUB on loopback TCP, a timestamp per message, paced; with
/// `curve`, both sockets use CurveZMQ as the suite does (no ZAP handler: encryption cost only).
enum RawPubSub {
    static func latency(messages: Int, curve: Bool = false) throws -> Percentiles {
        let pub = try ZMQSocket(type: .pub)
        let sub = try ZMQSocket(type: .sub)
        if curve {
            let server = try CurveKeyPair.generate()
            try SocketSecurity.curveServer(secretKey: server.secretKey).apply(to: pub)
            try SocketSecurity.curveClient(serverKey: server.publicKey, keys: try CurveKeyPair.generate()).apply(to: sub)
        }
        try pub.bind("tcp://127.0.0.1:*")
        let endpoint = try pub.lastEndpoint()
        try sub.subscribe("")
        try sub.connect(endpoint)
        let received = Locked<[Double]>([])
        let loop = try SocketLoop(name: "raw-sub")
        loop.add(sub) { message in
            let now = monotonicMicros()
            guard let sent = Double(String(decoding: message.frames[1], as: UTF8.self)), sent > 0 else { return }
            received.withLock { $0.append(now - sent) }
        }
        loop.start()
        defer { loop.stop() }
        // Wait until the subscription is through (slow joiner).
        while received.value.isEmpty {
            try pub.send([Array("t".utf8), Array("\(monotonicMicros())".utf8)])
            usleep(2_000)
        }
        received.withLock { $0.removeAll() }
        for _ in 0..<messages {
            try pub.send([Array("t".utf8), Array("\(monotonicMicros())".utf8)])
            usleep(500)
        }
        usleep(100_000)
        return Percentiles(received.value)
    }
}

/// From the reply to `list.initiate` to each interceptor's `listing.applied` acknowledgement (which
/// it publishes after committing the listing to its replica).
enum Propagation {
    /// Latencies from sending `list.initiate` and from receiving its reply to each acknowledgement.
    static func measure(interceptors count: Int, listings: Int) async throws -> (fromRequest: Percentiles, fromReply: Percentiles) {
        let departments = (1...count).map { "bench\($0)" }
        let layout = try TestSuiteLayout(departments: departments)
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let environment = ["CREDIT_LOG_LEVEL": "warning"]
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: environment)
        defer { dispatch.stop() }
        let processes = try departments.map {
            try SuiteProcess("interceptor", ["--dept", $0], name: "interceptor-\($0)", layout: layout, environment: environment)
        }
        defer { processes.forEach { $0.stop() } }

        let applied = Locked<[String: [Double]]>([:])
        let loop = try SocketLoop(name: "bench-acks")
        for department in departments {
            let sub = try ZMQSocket(type: .sub)
            try suite.security(toward: "interceptors.\(department)").apply(to: sub)
            try sub.subscribe("listing.applied")
            try sub.connect("tcp://127.0.0.1:\(layout.ports["interceptors.\(department).pub"]!)")
            loop.add(sub) { message in
                let now = monotonicMicros()
                guard let event = try? Event(payload: message.frames[1]),
                    let listing = event.data["listingID"]?.stringValue
                else { return }
                applied.withLock { $0[listing, default: []].append(now) }
            }
        }
        loop.start()
        defer { loop.stop() }

        let client = try suite.client("dispatch", as: "market")
        defer { client.close() }
        // Warm-up: every interceptor live and subscribed (its acknowledgement of a first listing seen).
        var warm = 0
        while true {
            _ = try await suite.request(client, "list.initiate", as: "market", body: body(9_000_000 + warm))
            warm += 1
            try await Task.sleep(for: .milliseconds(200))
            if applied.value.values.contains(where: { $0.count == count }) { break }
        }
        var replyTimes: [String: Double] = [:]
        var requestTimes: [String: Double] = [:]
        for number in 0..<listings {
            let sent = monotonicMicros()
            guard case .success(let listing) = try await suite.request(client, "list.initiate", as: "market", body: body(number)),
                let id = listing["id"]?.stringValue
            else { continue }
            replyTimes[id] = monotonicMicros()
            requestTimes[id] = sent
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .seconds(2))
        let acks = applied.value
        var fromReply: [Double] = []
        var fromRequest: [Double] = []
        var missing = 0
        for (id, replied) in replyTimes {
            let times = acks[id] ?? []
            missing += count - times.count
            fromReply += times.map { $0 - replied }
            fromRequest += times.map { $0 - requestTimes[id]! }
        }
        if missing > 0 { report("  (\(missing) acknowledgements not seen within 2 s)") }
        return (Percentiles(fromRequest), Percentiles(fromReply))
    }

    static func body(_ number: Int) -> JSONValue {
        .object([
            "list": "black", "subject": .string(GeneratedSubjects.uscc(number)), "basis": "bench", "document": .string("B-\(number)"),
            "until": "2030-12-31",
        ])
    }
}

/// A fresh interceptor against a dispatch that already holds `listings` active listings.
enum CatchUp {
    struct Result {
        var seconds: Double
        var rawSeconds: Double
        /// The interceptor's VmRSS and VmHWM once in sync.
        var memory: ProcessMemory?
    }

    /// What `then` gets, with dispatch still running on the database caught up from.
    struct Context {
        var layout: TestSuiteLayout
        var suite: SuiteClient
        var dispatchDatabase: String
        var head: Int64
        var listings: Int
        var seconds: Double
    }

    /// `linksPerListing` related persons (0–3) on every listing; `then` runs once the timed
    /// interceptor has stopped (a second department, `audit`, is in the layout for it).
    static func measure(listings: Int, linksPerListing: Int = 0, then: ((Context) async throws -> Void)? = nil) async throws -> Result {
        let layout = try TestSuiteLayout(departments: then == nil ? ["finance"] : ["finance", "audit"])
        defer { layout.remove() }
        let data = layout.directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let path = data.appendingPathComponent("dispatch.sqlite").path
        let started = monotonicMicros()
        try populate(path: path, listings: listings, linksPerListing: linksPerListing)
        report(
            String(
                format: "  (setup: %d listings with %d related-person links written into dispatch's database in %.1f s)", listings,
                listings * linksPerListing, (monotonicMicros() - started) / 1e6))

        // The reference: reading and decoding the same rows straight from SQLite in this process.
        let rawStart = monotonicMicros()
        let pool = try DatabasePool(path: path)
        let rows = try await pool.read { (db: Database) -> Int in
            var count = 0
            let cursor = try String.fetchCursor(db, sql: "SELECT data FROM listings WHERE status = 'active'")
            while let text = try cursor.next() {
                _ = try WireCoding.decode(Listing.self, from: Array(text.utf8))
                count += 1
            }
            return count
        }
        let rawSeconds = (monotonicMicros() - rawStart) / 1e6
        try pool.close()
        precondition(rows == listings)

        let environment = ["CREDIT_LOG_LEVEL": "warning"]
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: environment)
        defer { dispatch.stop() }
        let suite = SuiteClient(layout: layout)
        let client = try suite.client("dispatch")
        defer { client.close() }
        guard case .success(let ping) = try await suite.request(client, "ping") else { throw CtlFailure("dispatch did not answer") }
        let head = ping["head"]?.intValue ?? 0
        let start = monotonicMicros()
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout, environment: environment)
        defer { interceptor.stop() }
        let health = try suite.client("interceptors.finance")
        defer { health.close() }
        var lastReport = monotonicMicros()
        while true {
            let answer = try? await health.request("health", timeout: .seconds(5))
            if answer?["replica"]?["seq"]?.intValue == head, answer?["replica"]?["activeListings"]?.intValue == Int64(listings) {
                break
            }
            if monotonicMicros() - lastReport > 10e6 {
                lastReport = monotonicMicros()
                report(
                    "  (waiting: dispatch head \(head), interceptor replica seq \(answer?["replica"]?["seq"]?.intValue ?? -1), \(answer?["replica"]?["activeListings"]?.intValue ?? -1) listings)"
                )
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let seconds = (monotonicMicros() - start) / 1e6
        let memory = ProcessMemory.of(pid: interceptor.pid)
        if let then {
            interceptor.stop()
            try await then(
                Context(layout: layout, suite: suite, dispatchDatabase: path, head: head, listings: listings, seconds: seconds))
        }
        return Result(seconds: seconds, rawSeconds: rawSeconds, memory: memory)
    }

    static func populate(path: String, listings: Int, linksPerListing: Int = 0) throws {
        let database = try ServiceDatabase.open(path: path) { DispatchSchema.register(in: &$0) }
        let log = EventLog(stream: "dispatch")
        let store = ListingStore(log: log)
        let catalogue = try CatalogueLoader.load(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("config/catalogue.yaml"))
        _ = try database.write { try CatalogueStore.install(catalogue, in: $0, log: log) }
        for batch in stride(from: 0, to: listings, by: 20_000) {
            try database.write { db in
                for number in batch..<min(listings, batch + 20_000) {
                    _ = try store.add(
                        Listing(
                            id: "", list: .black, subjectID: GeneratedSubjects.uscc(number), subjectName: "企业\(number)",
                            subjectKind: .enterprise, initiator: .market, basis: "bench", document: "B-\(number)",
                            start: "2026-01-01", until: "2030-12-31", relatedPersons: relatedPersons(number, linksPerListing)),
                        in: db)
                }
            }
        }
        try database.close()
    }

    /// A legal representative, a principal and an actual controller, as the checks bench has them.
    static func relatedPersons(_ n: Int, _ count: Int) -> [RelatedPerson]? {
        guard count > 0 else { return nil }
        let people = [
            RelatedPerson(role: .legalRepresentative, name: "法人\(n)", personID: ChecksBench.personID(3 * n)),
            RelatedPerson(role: .principal, name: "负责人\(n)", personID: ChecksBench.personID(3 * n + 1)),
            RelatedPerson(role: .actualController, name: "实控人\(n)", personID: ChecksBench.personID(3 * n + 2)),
        ]
        return Array(people.prefix(count))
    }

    struct CtlFailure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
