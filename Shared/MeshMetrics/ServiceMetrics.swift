import CoreMetrics
import Prometheus
import Synchronization

/// One service's metrics: swift-metrics counters, gauges and timers backed by a Prometheus registry of
/// its own, served as `/metrics` (`exposition()`), and read back by `status` (`samples(named:)`), so
/// that what `status` reports and what Prometheus scrapes are the same numbers.
///
/// Each service builds one and hands it to its parts (bus server, followers, outboxes, its handler).
/// It is passed explicitly, not bootstrapped into `MetricsSystem`: the tests run several services in
/// one process, each with its own. Every name is declared in `MetricName`.
///
/// Values that are cheap to read where they live (a stream's head, open objections) are read when
/// scraped: a part registers a hook with `onScrape`, which sets its gauges before each exposition.
public final class ServiceMetrics: Sendable {
    /// The service's name as its stream is named (`registry`, `dispatch`, `interceptor.finance`):
    /// the `service` label and the `follower` label of its followers.
    public let service: String
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let hooks = Mutex<[@Sendable () async -> Void]>([])

    /// Request durations range from a check answered in tens of microseconds to an import batch of
    /// seconds; swift-prometheus's default buckets start at 5 ms.
    public static let requestBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500), .seconds(5), .seconds(10),
    ]

    public init(service: String) {
        self.service = service
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.requestBuckets
        self.factory = factory
    }

    public func counter(_ name: MetricName, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        Counter(label: name.rawValue, dimensions: labels, factory: factory)
    }

    public func gauge(_ name: MetricName, _ labels: [(String, String)] = []) -> CoreMetrics.Gauge {
        Gauge(label: name.rawValue, dimensions: labels, factory: factory)
    }

    public func timer(_ name: MetricName, _ labels: [(String, String)] = []) -> CoreMetrics.Timer {
        Timer(label: name.rawValue, dimensions: labels, factory: factory)
    }

    /// A counter whose total is kept elsewhere (rows of a table): `set` moves it to the total.
    public func mirroredCounter(_ name: MetricName, _ labels: [(String, String)] = []) -> MirroredCounter {
        MirroredCounter(counter(name, labels))
    }

    /// Runs `hook` before each exposition; it reads what it reports and sets its gauges. A hook
    /// that cannot read leaves the last values (and says so in its own log).
    public func onScrape(_ hook: @escaping @Sendable () async -> Void) {
        hooks.withLock { $0.append(hook) }
    }

    /// The Prometheus text exposition (format 0.0.4) of every metric, scrape hooks run first.
    public func exposition() async -> String {
        for hook in hooks.withLock({ $0 }) { await hook() }
        return Self.withHelp(registry.emitToString())
    }

    /// The exposition with a `# HELP` line before each metric's `# TYPE` line: swift-metrics carries
    /// no help text, and Prometheus tools want one.
    static func withHelp(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 4_096)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE "), let name = line.dropFirst(7).split(separator: " ").first,
                let metric = MetricName(rawValue: String(name))
            {
                result += "# HELP \(name) \(metric.help)\n"
            }
            result += line
            result += "\n"
        }
        return result
    }

    /// The current samples of one metric, as the exposition has them, without running the scrape
    /// hooks: how `status` reads counters it shares with `/metrics`. A histogram's series are read
    /// with their suffix (`_sum`, `_count`, `_bucket`).
    public func samples(named name: MetricName, suffix: String = "") -> [MetricSample] {
        let full = name.rawValue + suffix
        return PrometheusText.samples(in: registry.emitToString()).filter { $0.name == full }
    }

    /// The values of one metric by the value of one of its labels, among the samples whose other
    /// labels include `matching` (`checks` by `decision` for `["dept": "finance"]`).
    public func values(_ name: MetricName, by label: String, matching: [String: String] = [:]) -> [String: Double] {
        var values: [String: Double] = [:]
        for sample in samples(named: name) where matching.allSatisfy({ sample.labels[$0.key] == $0.value }) {
            if let key = sample.labels[label] { values[key] = sample.value }
        }
        return values
    }

    /// The value of one counter or gauge with exactly these labels; 0 when it has none yet.
    public func value(_ name: MetricName, _ labels: [String: String] = [:]) -> Double {
        samples(named: name).first { $0.labels == labels }?.value ?? 0
    }
}

/// A counter that follows a total kept elsewhere, such as the rows of `bus_dead_letters`: each `set`
/// adds what the total grew by. A total that shrank (rows deleted by hand) restarts the counter at
/// it, which Prometheus reads as a counter reset.
public final class MirroredCounter: Sendable {
    private let counter: CoreMetrics.Counter
    private let last = Mutex<Int64>(0)

    init(_ counter: CoreMetrics.Counter) {
        self.counter = counter
    }

    public func set(_ total: Int64) {
        last.withLock { last in
            if total >= last {
                if total > last { counter.increment(by: total - last) }
            } else {
                counter.reset()
                if total > 0 { counter.increment(by: total) }
            }
            last = total
        }
    }
}
