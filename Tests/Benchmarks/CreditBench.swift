import ArgumentParser
import Foundation
import TestSupport
import ZeroMQ

/// credit-bench: propagation, catch-up, checks and import of the real executables, each beside a
/// reference measured in the same run (raw libzmq PUB/SUB, SQLite, HTTP). Run with `make bench`
/// (release build). Figures are printed; nothing is asserted: these machines are shared and noisy,
/// ratios travel better than absolutes.
@main
struct CreditBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credit-bench",
        abstract: "Measures the suite's executables beside raw libzmq, SQLite and HTTP (docs/PERFORMANCE.md).",
        discussion: """
            Run from inside the repository (or with the executable in its .build): the catalogue is \
            config/catalogue.yaml there. The services measured are the ones built beside credit-bench \
            unless CREDIT_BIN names a directory of others.
            """,
        subcommands: [
            All.self, PropagationPart.self, CatchUpPart.self, ChecksPart.self, ImportPart.self, ImportStagesPart.self, PortalPart.self,
            GradingPart.self, FeedbackPart.self, PeerPart.self, PeerConsumerPart.self,
        ],
        defaultSubcommand: All.self)
}

/// What every part does first.
enum BenchSetup {
    /// Finds the repository and the services to measure, and prints the machine; one clear line
    /// when the repository is not found.
    static func prepare() throws {
        // The services measured are the ones built beside this benchmark (`.build/release` for a
        // release build), unless CREDIT_BIN names others: without it they were `.build/debug`'s,
        // four times slower.
        if ProcessInfo.processInfo.environment["CREDIT_BIN"] == nil, let executable = Bundle.main.executableURL {
            setenv("CREDIT_BIN", executable.resolvingSymlinksInPath().deletingLastPathComponent().path, 0)
        }
        guard BuiltProducts.findPackageRoot() != nil else {
            let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().path ?? CommandLine.arguments[0]
            throw ImportBench.BenchFailure(
                "no repository (Package.swift and config/catalogue.yaml) above \(FileManager.default.currentDirectoryPath) or \(executable); "
                    + "run credit-bench from inside the repository")
        }
        let machine =
            "credit-bench on \(ProcessInfo.processInfo.processorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB, libzmq \(ZMQContext.version)"
        report(machine)
        BenchResults.machine(machine)
    }

    /// What every part does last: the figures into var/bench/results.json.
    static func finish() throws {
        report("results: \(try BenchResults.write())")
    }
}

/// A comma-separated list of interceptor counts (`1,10,50`).
struct InterceptorCounts: ExpressibleByArgument {
    var counts: [Int]

    init?(argument: String) {
        let counts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        self.counts = counts.map { $0! }
    }

    init(_ counts: [Int]) { self.counts = counts }

    var defaultValueDescription: String { counts.map(String.init).joined(separator: ",") }
}

// MARK: - Parts

struct All: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Propagation, checks, catch-up, import and feedback, in that order (what `make bench` runs).")

    @Option(help: "Interceptor counts for propagation, comma-separated.")
    var interceptors = InterceptorCounts([1, 10, 50])
    @Option(help: "Active listings a fresh interceptor catches up on.")
    var listings = 1_000_000
    @Option(name: .customLong("check-listings"), help: "Active listings in the checked replica.")
    var checkListings = 1_000_000
    @Option(name: .customLong("import-rows"), help: "Penalty rows imported.")
    var importRows = 1_000_000
    @Flag(name: .customLong("import-random-subjects"), help: "Import subjects in random order, as a department's export has them.")
    var importRandomSubjects = false

    func validate() throws {
        for (name, value) in [("--listings", listings), ("--check-listings", checkListings), ("--import-rows", importRows)] where value < 1
        {
            throw ValidationError("\(name) must be at least 1")
        }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await BenchParts.propagation(interceptors: interceptors.counts)
        try await ChecksBench.run(listings: checkListings)
        try await BenchParts.catchUp(listings: listings)
        try await ImportBench.run(rows: importRows, randomSubjects: importRandomSubjects)
        try await FeedbackBench.run(seconds: 15, connections: 4, listings: 100)
        try BenchSetup.finish()
    }
}

struct PropagationPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propagation", abstract: "list.initiate → applied at 1, 10, 50 interceptors, beside raw PUB/SUB latency.")

    @Option(help: "Interceptor counts, comma-separated.")
    var interceptors = InterceptorCounts([1, 10, 50])

    func run() async throws {
        try BenchSetup.prepare()
        try await BenchParts.propagation(interceptors: interceptors.counts)
        try BenchSetup.finish()
    }
}

struct CatchUpPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catch-up", abstract: "A fresh interceptor loads every active listing, beside a raw SQLite read of the same rows.")

    @Option(help: "Active listings to catch up on.")
    var listings = 1_000_000
    @Option(help: "Related persons on every listing, 0 to 3 (3: the national-scale memory figure, interceptor.rss-mib).")
    var links = 0

    func validate() throws {
        guard listings >= 1 else { throw ValidationError("--listings must be at least 1") }
        guard (0...3).contains(links) else { throw ValidationError("--links must be 0 to 3") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await BenchParts.catchUp(listings: listings, linksPerListing: links)
        try BenchSetup.finish()
    }
}

struct ChecksPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks", abstract: "Checks against an interceptor's replica over HTTP, beside an HTTP floor.")

    @Option(name: [.customLong("listings"), .customLong("check-listings")], help: "Active listings in the replica.")
    var listings = 1_000_000

    func validate() throws {
        guard listings >= 1 else { throw ValidationError("--listings must be at least 1") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await ChecksBench.run(listings: listings)
        try BenchSetup.finish()
    }
}

struct FeedbackPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback",
        abstract:
            "A burst of blocking checks at one department: feedback recorded at dispatch beside checks answered, and events an interceptor applies per feedback."
    )

    @Option(help: "Seconds of the burst.") var seconds = 15
    @Option(help: "HTTP connections checking.") var connections = 4
    @Option(help: "Black listings the checks hit.") var listings = 100

    func validate() throws {
        guard seconds >= 1, connections >= 1, listings >= 1 else {
            throw ValidationError("--seconds, --connections and --listings must be at least 1")
        }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await FeedbackBench.run(seconds: Double(seconds), connections: connections, listings: listings)
        try BenchSetup.finish()
    }
}

struct PortalPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal", abstract: "The public portal's search and subject pages under wrk, beside a hello on the same server.")

    @Option(help: "Penalties published.") var records = 1_000_000
    @Option(help: "Seconds of each wrk run.") var seconds = 10
    @Option(help: "wrk connections.") var connections = 8

    func validate() throws {
        guard records >= 10_000 else { throw ValidationError("--records must be at least 10000") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await PortalBench.run(records: records, seconds: seconds, connections: connections)
        try BenchSetup.finish()
    }
}

struct GradingPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grading", abstract: "A new evaluation model regrades every subject, beside a raw scan of the same rows.")

    @Option(help: "Subjects graded (two records each).") var subjects = 1_000_000

    func validate() throws {
        guard subjects >= 1_000 else { throw ValidationError("--subjects must be at least 1000") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await GradingBench.run(subjects: subjects)
        try BenchSetup.finish()
    }
}

struct ImportPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Penalty rows creditctl → registry end to end, beside a raw SQLite batched insert.")

    @Option(name: [.customLong("rows"), .customLong("import-rows")], help: "Penalty rows to import.")
    var rows = 1_000_000
    @Flag(
        name: [.customLong("random-subjects"), .customLong("import-random-subjects")],
        help: "Subjects in random order, as a department's export (by decision date) has them.")
    var randomSubjects = false

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try await ImportBench.run(rows: rows, randomSubjects: randomSubjects)
        try BenchSetup.finish()
    }
}

struct ImportStagesPart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-stages",
        abstract: "The registry's import path in this process, one stage at a time, and its JSON beside Foundation's coders.")

    @Option(name: [.customLong("rows"), .customLong("import-rows")], help: "Penalty rows.")
    var rows = 200_000

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1") }
    }

    func run() async throws {
        try BenchSetup.prepare()
        try ImportBench.stages(rows: rows)
        try BenchSetup.finish()
    }
}

/// The parts whose measuring and printing were the benchmark's main.
enum BenchParts {
    static func propagation(interceptors: [Int]) async throws {
        let plain = try RawPubSub.latency(messages: 2_000)
        report(String(format: "raw libzmq PUB/SUB one-way latency (tcp loopback, plain): p50 %.1f µs  p99 %.1f µs", plain.p50, plain.p99))
        // The suite runs CURVE on every socket, so its floor is the CURVE one.
        let floor = try RawPubSub.latency(messages: 2_000, curve: true)
        report(String(format: "raw libzmq PUB/SUB one-way latency (tcp loopback, CURVE): p50 %.1f µs  p99 %.1f µs", floor.p50, floor.p99))
        for count in interceptors {
            let (request, reply) = try await Propagation.measure(interceptors: count, listings: 200)
            report(
                String(
                    format:
                        "propagation to %2d interceptors (%d acks): initiate sent → applied p50 %.2f ms p99 %.2f ms (p50 %.0f× the raw floor); reply received → applied p50 %.2f ms p99 %.2f ms",
                    count, request.samples, request.p50 / 1_000, request.p99 / 1_000, request.p50 / floor.p50, reply.p50 / 1_000,
                    reply.p99 / 1_000))
            BenchResults.record(
                "propagation.\(count).p99-ms", request.p99 / 1_000, unit: "ms", reference: ("raw-pubsub-curve.p99-ms", floor.p99 / 1_000))
            BenchResults.record(
                "propagation.\(count).p50-ms", request.p50 / 1_000, unit: "ms", reference: ("raw-pubsub-curve.p50-ms", floor.p50 / 1_000))
        }
    }

    static func catchUp(listings: Int, linksPerListing: Int = 0) async throws {
        let result = try await CatchUp.measure(listings: listings, linksPerListing: linksPerListing)
        recordCatchUp(listings: listings, linksPerListing: linksPerListing, result)
    }

    /// The catch-up figures; the interceptor's memory once in sync as `interceptor.rss-mib.<N>`
    /// (`1m` for 1,000,000 listings) with three related persons a listing, else with `-links-<k>`.
    static func recordCatchUp(listings: Int, linksPerListing: Int = 0, _ result: CatchUp.Result) {
        report(
            String(
                format:
                    "catch-up: fresh interceptor loads %d active listings in %.1f s (%.0f listings/s); raw SQLite read of the same rows %.1f s (ratio %.1f×)",
                listings, result.seconds, Double(listings) / result.seconds, result.rawSeconds, result.seconds / result.rawSeconds))
        BenchResults.record("catch-up.seconds", result.seconds, unit: "s", reference: ("raw-sqlite-read.seconds", result.rawSeconds))
        BenchResults.record(
            "catch-up.ratio-to-raw-read", result.seconds / result.rawSeconds, unit: "ratio",
            reference: ("raw-sqlite-read.seconds", result.rawSeconds), ratio: result.seconds / result.rawSeconds)
        BenchResults.record("catch-up.listings", Double(listings), unit: "listings")
        guard let memory = result.memory else { return }
        let size = listings % 1_000_000 == 0 ? "\(listings / 1_000_000)m" : listings % 1_000 == 0 ? "\(listings / 1_000)k" : "\(listings)"
        let label = size + (linksPerListing == 3 ? "" : "-links-\(linksPerListing)")
        report(
            String(
                format:
                    "catch-up: interceptor memory in sync with %d listings, %d related-person links: RSS %.0f MiB, peak %.0f MiB (%.0f bytes a listing)",
                listings, listings * linksPerListing, memory.rssMiB, memory.peakMiB, memory.rssMiB * 1_048_576 / Double(listings)))
        BenchResults.record("interceptor.rss-mib.\(label)", memory.rssMiB, unit: "MiB")
        BenchResults.record("interceptor.hwm-mib.\(label)", memory.peakMiB, unit: "MiB")
    }
}
