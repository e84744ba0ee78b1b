import ArgumentParser
import Bus
import CreditDomain
import Foundation
import GRDB
import InterceptorCore
import MeshProtocol
import ServiceKit
import Synchronization
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The peer: what a team would build today with Redis Streams instead of ZeroMQ and SQLite,
/// measured in the same run as ours. A listing broadcast to N consumers (XADD; each consumer XREAD
/// BLOCK and applies into its own SQLite replica), a fresh consumer catching up every listing
/// (XRANGE pages of 10,000, one transaction a page), and what each side loses to a SIGKILL.
enum PeerBench {
    static let stream = "listings"

    static func run(listings: Int, interceptors: [Int]) async throws {
        let server = try RedisServer.executable()
        report("peer: \(server) (\(RedisServer.version(server)))")

        // (a) Propagation: ours, then the peer at the same N.
        try await BenchParts.propagation(interceptors: interceptors)
        for count in interceptors {
            let peer = try redisPropagation(consumers: count, listings: 200)
            report(
                String(
                    format: "peer: XADD → applied at %2d Redis consumers (%d acks): p50 %.2f ms p99 %.2f ms", count, peer.samples,
                    peer.p50 / 1_000, peer.p99 / 1_000))
            let ours = BenchResults.value("propagation.\(count).p99-ms")
            BenchResults.record(
                "peer.redis.propagation.\(count).p99-ms", peer.p99 / 1_000, unit: "ms",
                reference: ours.map { ("propagation.\(count).p99-ms", $0) })
            let ours50 = BenchResults.value("propagation.\(count).p50-ms")
            BenchResults.record(
                "peer.redis.propagation.\(count).p50-ms", peer.p50 / 1_000, unit: "ms",
                reference: ours50.map { ("propagation.\(count).p50-ms", $0) })
        }

        // (b) Catch-up of the same listings, and the kills, on the database our catch-up used.
        let ours = try await CatchUp.measure(listings: listings) { context in
            try await oursKillInterceptor(context)
            try redisCatchUp(context)
        }
        BenchParts.recordCatchUp(listings: listings, ours)
        if let redis = BenchResults.value("peer.redis.catch-up.seconds") {
            report(
                String(format: "peer: catch-up Redis %.1f s, ours %.1f s (Redis / ours %.2f)", redis, ours.seconds, redis / ours.seconds))
            BenchResults.record(
                "peer.redis.catch-up.ratio-to-ours", redis / ours.seconds, unit: "ratio", reference: ("catch-up.seconds", ours.seconds),
                ratio: redis / ours.seconds)
        }

        // The server killed mid-stream.
        for persistence in [RedisServer.Persistence.defaults, .appendOnlyEverySecond] {
            try redisKillServer(persistence)
        }
        try await oursKillDispatch()
    }

    // MARK: Propagation

    static func redisPropagation(consumers count: Int, listings: Int) throws -> Percentiles {
        let directory = try temporaryDirectory("peer-propagation")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try RedisServer(directory: directory, persistence: .appendOnlyEverySecond)
        defer { server.stop() }
        let consumers = try (0..<count).map { number in
            try ConsumerProcess(
                [
                    "--mode", "live", "--port", "\(server.port)", "--database",
                    directory.appendingPathComponent("replica-\(number).sqlite").path,
                ],
                output: directory.appendingPathComponent("consumer-\(number).out"))
        }
        defer { consumers.forEach { $0.stop(signal: SIGKILL) } }
        let redis = try RedisConnection(port: server.port)
        // Every consumer connected and reading from the stream's start (nothing can be missed).
        let ready = Date().addingTimeInterval(120)
        while consumers.contains(where: { !FileManager.default.fileExists(atPath: $0.readyFile) }) {
            guard Date() < ready else { throw ImportBench.BenchFailure("Redis consumers not ready within 120 s") }
            usleep(50_000)
        }
        for number in 0..<listings {
            let listing = try WireCoding.encode(benchListing(number))
            try redis.command([
                Array("XADD".utf8), Array(stream.utf8), Array("*".utf8), Array("n".utf8), Array("\(number)".utf8), Array("t".utf8),
                Array("\(monotonicMicros())".utf8), Array("data".utf8), listing,
            ])
            usleep(20_000)
        }
        try redis.command("XADD", stream, "*", "stop", "1")
        var latencies: [Double] = []
        var missing = 0
        for consumer in consumers {
            consumer.wait(seconds: 30)
            let lines = consumer.output.split(separator: "\n").filter { $0.hasPrefix("applied ") }
            missing += listings - lines.count
            latencies += lines.compactMap { Double($0.split(separator: " ")[2]) }
        }
        if missing > 0 { report("  (\(missing) Redis acknowledgements missing)") }
        return Percentiles(latencies)
    }

    // MARK: Catch-up

    /// Fills a Redis stream with the texts dispatch stored, then times a fresh consumer process.
    static func redisCatchUp(_ context: CatchUp.Context) throws {
        let directory = try temporaryDirectory("peer-catch-up")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try RedisServer(directory: directory, persistence: .appendOnlyEverySecond)
        defer { server.stop() }
        let redis = try RedisConnection(port: server.port)
        var started = monotonicMicros()
        var bytes = 0
        let pool = try DatabasePool(path: context.dispatchDatabase)
        try pool.read { db in
            let cursor = try String.fetchCursor(db, sql: "SELECT data FROM listings WHERE status = 'active' ORDER BY rowid")
            var batch: [[[UInt8]]] = []
            while let text = try cursor.next() {
                bytes += text.utf8.count
                batch.append([Array("XADD".utf8), Array(stream.utf8), Array("*".utf8), Array("data".utf8), Array(text.utf8)])
                if batch.count == 1_000 {
                    _ = try redis.pipeline(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { _ = try redis.pipeline(batch) }
        }
        try pool.close()
        // An AOF rewrite or snapshot forked by the fill would share the cores with the timed consumer.
        while let info = try redis.command("INFO", "persistence").string,
            info.contains("aof_rewrite_in_progress:1") || info.contains("rdb_bgsave_in_progress:1")
        {
            usleep(100_000)
        }
        let length = try redis.command("XLEN", stream).integer ?? 0
        report(
            String(
                format: "  (peer setup: %d entries of %.0f bytes on average XADDed in %.1f s)", length,
                Double(bytes) / Double(max(length, 1)),
                (monotonicMicros() - started) / 1e6))

        started = monotonicMicros()
        let consumer = try ConsumerProcess(
            ["--mode", "catch-up", "--port", "\(server.port)", "--database", directory.appendingPathComponent("fresh.sqlite").path],
            output: directory.appendingPathComponent("fresh.out"))
        consumer.wait(seconds: 3_600)
        let seconds = (monotonicMicros() - started) / 1e6
        let summary = consumer.output.split(separator: "\n").last.map(String.init) ?? "(no output)"
        report(
            String(
                format: "peer: fresh Redis consumer catches up %d entries in %.1f s (%.0f/s): ", length, seconds, Double(length) / seconds)
                + summary)
        BenchResults.record("peer.redis.catch-up.seconds", seconds, unit: "s", reference: ("catch-up.seconds", context.seconds))

        // The consumer killed halfway and started again: it resumes after the entry id it stored
        // with its last page.
        let killed = try ConsumerProcess(
            ["--mode", "catch-up", "--port", "\(server.port)", "--database", directory.appendingPathComponent("killed.sqlite").path],
            output: directory.appendingPathComponent("killed-1.out"))
        usleep(useconds_t(seconds / 2 * 1e6))
        killed.stop(signal: SIGKILL)
        let again = try ConsumerProcess(
            ["--mode", "catch-up", "--port", "\(server.port)", "--database", directory.appendingPathComponent("killed.sqlite").path],
            output: directory.appendingPathComponent("killed-2.out"))
        again.wait(seconds: 3_600)
        let rows = try DatabaseQueue(path: directory.appendingPathComponent("killed.sqlite").path).read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM replica_listings") ?? 0
        }
        report(
            "peer: Redis consumer killed (SIGKILL) halfway through catch-up, restarted: \(rows) of \(length) entries applied, \(length - rows) missing"
        )
        BenchResults.record("peer.redis.kill-consumer.missing", Double(length - rows), unit: "entries")
    }

    // MARK: Kills

    /// Streams listings into a Redis server for 10 s, SIGKILLs it, starts it again on the same
    /// directory and counts the acknowledged entries that are gone.
    static func redisKillServer(_ persistence: RedisServer.Persistence) throws {
        let directory = try temporaryDirectory("peer-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try RedisServer(directory: directory, persistence: persistence)
        defer { server.stop() }
        let redis = try RedisConnection(port: server.port)
        let text = try WireCoding.encode(benchListing(0))
        let entry = [Array("XADD".utf8), Array(stream.utf8), Array("*".utf8), Array("data".utf8), text]
        var acknowledged = 0
        let start = monotonicMicros()
        // 10,000 entries a second in batches of 100, then the kill with a batch in flight.
        while monotonicMicros() - start < 10e6 {
            acknowledged += try redis.pipeline(Array(repeating: entry, count: 100)).count
            usleep(10_000)
        }
        var inFlight: [UInt8] = []
        for _ in 0..<100 { RESPReader.encode(entry, into: &inFlight) }
        try redis.send(inFlight)
        server.kill()
        try server.start()
        let after = try RedisConnection(port: server.port).command("XLEN", stream).integer ?? 0
        let lost = max(0, acknowledged - after)
        report(
            "peer: redis-server (\(persistence.label)) killed (SIGKILL) after 10 s of 10,000 XADD/s: \(acknowledged) acknowledged, \(after) there after restart, \(lost) lost"
        )
        BenchResults.record("peer.redis.kill-server.\(persistence.name).lost", Double(lost), unit: "entries")
        BenchResults.record("peer.redis.kill-server.\(persistence.name).acknowledged", Double(acknowledged), unit: "entries")
    }

    /// Our interceptor killed halfway through catching up, started again: listings missing once it
    /// reports itself in sync.
    static func oursKillInterceptor(_ context: CatchUp.Context) async throws {
        let environment = ["CREDIT_LOG_LEVEL": "warning"]
        let first = try SuiteProcess(
            "interceptor", ["--dept", "audit"], name: "interceptor-audit", layout: context.layout, environment: environment)
        try await Task.sleep(for: .milliseconds(Int(context.seconds / 2 * 1_000)))
        first.stop(signal: SIGKILL)
        let second = try SuiteProcess(
            "interceptor", ["--dept", "audit"], name: "interceptor-audit-2", layout: context.layout, environment: environment)
        defer { second.stop() }
        let health = try context.suite.client("interceptors.audit")
        defer { health.close() }
        let deadline = Date().addingTimeInterval(max(120, context.seconds * 10))
        var active: Int64 = -1
        while Date() < deadline {
            let answer = try? await health.request("health", timeout: .seconds(5))
            active = answer?["replica"]?["activeListings"]?.intValue ?? -1
            if answer?["replica"]?["seq"]?.intValue == context.head, active == Int64(context.listings) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let missing = Int64(context.listings) - max(active, 0)
        report(
            "ours: interceptor killed (SIGKILL) halfway through catch-up, restarted: \(max(active, 0)) of \(context.listings) listings in its replica, \(missing) missing"
        )
        BenchResults.record("peer.ours.kill-interceptor.missing", Double(missing), unit: "listings")
    }

    /// Dispatch taking `list.initiate` requests one after another, SIGKILLed after 10 s: listings
    /// whose initiation was answered that are not in its database afterwards.
    static func oursKillDispatch() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: ["CREDIT_LOG_LEVEL": "warning"])
        defer { dispatch.stop() }
        let suite = SuiteClient(layout: layout)
        let client = try suite.client("dispatch", as: "market")
        defer { client.close() }
        guard case .success = try await suite.request(client, "ping") else { throw CatchUp.CtlFailure("dispatch did not answer") }
        let killed = Locked(false)
        let killer = Task {
            try await Task.sleep(for: .seconds(10))
            killed.withLock { $0 = true }
            dispatch.stop(signal: SIGKILL)
        }
        var answered: [String] = []
        var number = 0
        while !killed.value {
            let reply = try? await client.request("list.initiate", as: "market", body: Propagation.body(number), timeout: .seconds(2))
            if let id = reply?["id"]?.stringValue { answered.append(id) }
            number += 1
        }
        _ = try await killer.value
        let path = layout.directory.appendingPathComponent("data/dispatch.sqlite").path
        let stored = Set(try await DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT id FROM listings") })
        let lost = answered.filter { !stored.contains($0) }.count
        report(
            "ours: dispatch killed (SIGKILL) after 10 s of list.initiate: \(answered.count) answered, \(lost) of them missing after the kill"
        )
        BenchResults.record("peer.ours.kill-dispatch.lost", Double(lost), unit: "listings")
        BenchResults.record("peer.ours.kill-dispatch.acknowledged", Double(answered.count), unit: "listings")
    }

    // MARK: Helpers

    static func benchListing(_ number: Int) -> Listing {
        Listing(
            id: String(format: "L-%06d", number + 1), list: .black, subjectID: GeneratedSubjects.uscc(number), subjectName: "企业\(number)",
            subjectKind: .enterprise, initiator: .market, basis: "bench", document: "B-\(number)", start: "2026-01-01", until: "2030-12-31")
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// A `redis-server` of Debian's package on a free loopback port with its own directory.
final class RedisServer {
    enum Persistence {
        /// No configuration file: Redis's default snapshot rules (`save 3600 1 300 100 60 10000`), no AOF.
        case defaults
        /// `appendonly yes`, `appendfsync everysec`.
        case appendOnlyEverySecond

        var name: String { self == .defaults ? "default" : "appendonly-everysec" }
        var label: String { self == .defaults ? "default persistence" : "appendonly everysec" }
    }

    let port: Int
    let directory: URL
    private let executable: String
    private let arguments: [String]
    private var process: Process?

    /// The server's path, or one line saying it is missing.
    static func executable() throws -> String {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin"]
        for directory in paths where FileManager.default.isExecutableFile(atPath: directory + "/redis-server") {
            return directory + "/redis-server"
        }
        throw ImportBench.BenchFailure("redis-server not found: install Debian's redis-server (make bench BENCH=peer installs it)")
    }

    static func version(_ path: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "?" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first { $0.hasPrefix("v=") }.map(String.init) ?? "?"
    }

    init(directory: URL, persistence: Persistence) throws {
        executable = try Self.executable()
        self.directory = directory
        port = FreePorts.take(1)[0]
        var arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path, "--daemonize", "no", "--logfile",
            directory.appendingPathComponent("redis.log").path,
        ]
        if persistence == .appendOnlyEverySecond { arguments += ["--appendonly", "yes", "--appendfsync", "everysec"] }
        self.arguments = arguments
        try start()
    }

    /// Starts the server (again, on the same directory) and waits until it answers PING, its data loaded.
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let connection = try? RedisConnection(port: port), (try? connection.command("PING"))?.string == "PONG" { return }
            usleep(20_000)
        }
        throw ImportBench.BenchFailure("redis-server did not answer on port \(port) within 120 s (see \(directory.path)/redis.log)")
    }

    func kill(signal: Int32 = SIGKILL) {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    /// SIGKILL: a child started from a dispatch thread has SIGTERM blocked (the mask is inherited).
    func stop() { kill(signal: SIGKILL) }

    deinit { kill() }
}

/// A consumer of the peer: this executable's `peer-consumer` subcommand in its own process, as
/// our interceptors are processes.
final class ConsumerProcess {
    let process = Process()
    let outputFile: URL
    let readyFile: String

    init(_ arguments: [String], output: URL) throws {
        outputFile = output
        readyFile = arguments[(arguments.firstIndex(of: "--database") ?? 0) + 1] + ".ready"
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.executableURL = Bundle.main.executableURL
        process.arguments = ["peer-consumer"] + arguments
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = process.standardOutput
        try process.run()
    }

    var output: String { (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "" }

    func wait(seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        stop(signal: SIGKILL)
    }

    func stop(signal: Int32) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    deinit { stop(signal: SIGKILL) }
}

// MARK: - Subcommands

struct PeerPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Redis Streams beside ours in the same run: propagation, catch-up, and entries lost to a SIGKILL.")

    @Option(help: "Listings caught up on.") var listings = 1_000_000
    @Option(help: "Consumer counts for propagation, comma-separated.") var interceptors = InterceptorCounts([1, 10, 50])

    func validate() throws {
        guard listings >= 1 else { throw ValidationError("--listings must be at least 1") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        _ = try RedisServer.executable()
        try await PeerBench.run(listings: listings, interceptors: interceptors.counts)
        try BenchSetup.finish()
    }
}

/// One consumer of the peer's stream: `live` applies what XREAD BLOCK brings until a `stop` entry
/// and prints each entry's XADD → committed latency; `catch-up` reads the stream by XRANGE pages
/// from where its database left off, then builds the interceptor's index.
struct PeerConsumerPart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer-consumer", abstract: "A Redis Streams consumer into a SQLite replica (run by `peer`).", shouldDisplay: false)

    @Option var mode: String
    @Option var port: Int
    @Option var database: String
    @Option var page = 10_000

    func run() throws {
        let pool = try ServiceDatabase.open(path: database) { migrator in
            InterceptorSchema.register(in: &migrator)
            migrator.registerMigration("peer-cursor") { db in
                try db.execute(sql: "CREATE TABLE peer_cursor(id INTEGER PRIMARY KEY, entry TEXT NOT NULL)")
            }
        }
        var cursor = try pool.read { try String.fetchOne($0, sql: "SELECT entry FROM peer_cursor WHERE id = 1") } ?? "0-0"
        let redis = try RedisConnection(port: port)
        _ = FileManager.default.createFile(atPath: database + ".ready", contents: nil)

        /// One transaction: each entry's listing decoded (as the interceptor does, for its index)
        /// and stored as received, and the stream position.
        func apply(_ entries: [(id: String, fields: [String: [UInt8]])]) throws -> [Listing] {
            try pool.write { db in
                var listings: [Listing] = []
                listings.reserveCapacity(entries.count)
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)")
                for entry in entries {
                    guard let data = entry.fields["data"] else { continue }
                    let listing = try WireCoding.decode(Listing.self, from: data)
                    try insert.run([.text(listing.id), .text(listing.subjectID), .utf8(data)])
                    listings.append(listing)
                }
                if let last = entries.last {
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO peer_cursor(id, entry) VALUES (1, ?)").run([.text(last.id)])
                }
                return listings
            }
        }

        if mode == "live" {
            var lines: [String] = []
            live: while true {
                let reply = try redis.command("XREAD", "COUNT", "1000", "BLOCK", "0", "STREAMS", PeerBench.stream, cursor)
                guard let streams = reply.array, let first = streams.first?.array, first.count == 2 else { continue }
                let entries = streamEntries(first[1])
                guard let last = entries.last else { continue }
                cursor = last.id
                _ = try apply(entries)
                let now = monotonicMicros()
                for entry in entries {
                    if entry.fields["stop"] != nil { break live }
                    if let n = entry.fields["n"], let t = Double(String(decoding: entry.fields["t"] ?? [], as: UTF8.self)) {
                        lines.append("applied \(String(decoding: n, as: UTF8.self)) \(now - t)")
                    }
                }
            }
            print(lines.joined(separator: "\n"))
            return
        }

        let start = monotonicMicros()
        var all: [Listing] = []
        while true {
            let reply = try redis.command("XRANGE", PeerBench.stream, "(" + cursor, "+", "COUNT", "\(page)")
            let entries = streamEntries(reply)
            guard let last = entries.last else { break }
            all += try apply(entries)
            cursor = last.id
        }
        let read = (monotonicMicros() - start) / 1e6
        let index = ReplicaIndex()
        index.upsert(all)
        let indexed = (monotonicMicros() - start) / 1e6 - read
        let memory = ProcessMemory.current()
        print(
            String(
                format: "%d entries read and applied in %.1f s, index built in %.1f s; RSS %.0f MiB (peak %.0f MiB)", all.count, read,
                indexed,
                memory.rssMiB, memory.peakMiB))
    }
}

/// VmRSS and VmHWM of a process from /proc/<pid>/status.
struct ProcessMemory {
    var rssMiB: Double
    var peakMiB: Double

    static func current() -> ProcessMemory { of(pid: getpid()) ?? ProcessMemory(rssMiB: .nan, peakMiB: .nan) }

    static func of(pid: Int32) -> ProcessMemory? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func kib(_ key: String) -> Double? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
            return line.split(separator: " ").compactMap { Double($0) }.first
        }
        guard let rss = kib("VmRSS"), let peak = kib("VmHWM") else { return nil }
        return ProcessMemory(rssMiB: rss / 1_024, peakMiB: peak / 1_024)
    }
}
