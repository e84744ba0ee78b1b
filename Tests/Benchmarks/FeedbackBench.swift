import Bus
import Foundation
import MeshProtocol
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A burst of blocking checks at one department: how fast dispatch records the feedback beside how
/// fast the checks were answered in the same run, and how many events each feedback makes another
/// department's interceptor (and the checking one) apply.
enum FeedbackBench {
    struct Figures {
        var checks: Int
        var checkSeconds: Double
        var drainSeconds: Double
        var recordedAtBurstEnd: Int64
        var appliedPerFeedback: Double
        var checkP99: Double
        /// CPU the other department's interceptor spent per feedback recorded, beyond its idle rate:
        /// receiving the `feedback` stream's messages on dispatch's PUB and passing them by.
        var observerMicrosPerFeedback: Double
    }

    /// User + system CPU seconds of a process so far (`/proc/<pid>/stat`).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func run(seconds: Double, connections: Int, listings: Int) async throws {
        let figures = try await measure(seconds: seconds, connections: connections, listings: listings)
        let checkRate = Double(figures.checks) / figures.checkSeconds
        let feedbackRate = Double(figures.checks) / (figures.checkSeconds + figures.drainSeconds)
        report(
            String(
                format:
                    "feedback: %d blocking checks over HTTP in %.1f s (%.0f checks/s, %d connections, p99 %.2f ms); dispatch recorded all %d within %.2f s of the burst's end (%lld at its end): %.0f recorded/s, %.2f of the check rate",
                figures.checks, figures.checkSeconds, checkRate, connections, figures.checkP99 / 1_000, figures.checks,
                figures.drainSeconds, figures.recordedAtBurstEnd, feedbackRate, feedbackRate / checkRate))
        report(
            String(
                format:
                    "feedback: events applied at an interceptor per feedback recorded: %.3f; CPU of the other department's interceptor per feedback beyond idle: %.1f µs",
                figures.appliedPerFeedback, figures.observerMicrosPerFeedback))
        BenchResults.record(
            "feedback.rate-ratio-to-checks", feedbackRate / checkRate, unit: "ratio", reference: ("checks.http.blocking.rate", checkRate),
            ratio: feedbackRate / checkRate)
        BenchResults.record("feedback.rate", feedbackRate, unit: "feedback/s", reference: ("checks.http.blocking.rate", checkRate))
        BenchResults.record("feedback.drain-seconds", figures.drainSeconds, unit: "s")
        BenchResults.record("feedback.events-applied-per-feedback", figures.appliedPerFeedback, unit: "events")
        BenchResults.record("feedback.observer-cpu-us-per-feedback", figures.observerMicrosPerFeedback, unit: "µs")
    }

    static func measure(seconds: Double, connections: Int, listings: Int) async throws -> Figures {
        let layout = try TestSuiteLayout(departments: ["finance", "commerce"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let environment = ["CREDIT_LOG_LEVEL": "warning"]
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: environment)
        defer { dispatch.stop() }
        let interceptors = try ["finance", "commerce"].map {
            try SuiteProcess("interceptor", ["--dept", $0], name: "interceptor-\($0)", layout: layout, environment: environment)
        }
        defer { interceptors.forEach { $0.stop() } }

        let client = try suite.client("dispatch", as: "market")
        defer { client.close() }
        for number in 0..<listings {
            _ = try await suite.request(client, "list.initiate", as: "market", body: Propagation.body(number)).get()
        }
        let head = try await suite.request(client, "ping").get()["head"]?.intValue ?? 0
        func applied() async throws -> [Int64] {
            var applied: [Int64] = []
            for department in ["finance", "commerce"] {
                let interceptor = try suite.client("interceptors.\(department)")
                defer { interceptor.close() }
                applied.append(try await suite.request(interceptor, "status").get()["applied"]?["dispatch"]?.intValue ?? -1)
            }
            return applied
        }
        guard try await eventually(timeout: .seconds(60), every: .milliseconds(200), { try await applied().allSatisfy { $0 >= head } })
        else { throw ImportBench.BenchFailure("the interceptors did not apply dispatch's \(head) events within 60 s") }
        let appliedBefore = try await applied()
        func recorded() async throws -> Int64 { try await suite.request(client, "feedback.stats").get()["total"]?.intValue ?? -1 }
        let recordedBefore = try await recorded()
        let checker = try suite.client("interceptors.finance")
        defer { checker.close() }
        func blocks() async throws -> Int64 { try await suite.request(checker, "checks.stats").get()["block"]?.intValue ?? 0 }
        let blocksBefore = try await blocks()

        // The other department's interceptor at rest, for its idle CPU rate.
        let observer = interceptors[1].pid
        let idleStart = (cpu: cpuSeconds(observer), at: monotonicMicros())
        try await Task.sleep(for: .seconds(3))
        let idleRate = (cpuSeconds(observer) - idleStart.cpu) / ((monotonicMicros() - idleStart.at) / 1e6)
        let observerBefore = cpuSeconds(observer)

        let port = layout.ports["interceptors.finance.http"]!
        let subjects = (0..<listings).map { GeneratedSubjects.uscc($0) }
        let started = monotonicMicros()
        let load = try HTTPLoad.run(port: port, connections: connections, seconds: seconds) { i in
            ("POST", "/v1/checks", #"{"subject":"\#(subjects[i % subjects.count])","action":"government-procurement","requester":"bench"}"#)
        }
        let burstEnd = monotonicMicros()
        let recordedAtBurstEnd = try await recorded() - recordedBefore
        let checks = Int(try await blocks() - blocksBefore)
        guard checks > 0, abs(Double(checks) - load.rate * seconds) < 1 else {
            throw ImportBench.BenchFailure("\(checks) blocks logged at finance for \(Int(load.rate * seconds)) checks answered")
        }
        var drained = burstEnd
        while try await recorded() - recordedBefore < Int64(checks) {
            guard monotonicMicros() - burstEnd < 120e6 else {
                throw ImportBench.BenchFailure("dispatch had not recorded the \(checks) blocks 120 s after the burst")
            }
            try await Task.sleep(for: .milliseconds(20))
            drained = monotonicMicros()
        }
        let observerBusy = cpuSeconds(observer) - observerBefore - idleRate * ((drained - started) / 1e6)
        // Heartbeats carry on: anything an interceptor would apply has reached it within a couple of seconds.
        try await Task.sleep(for: .seconds(3))
        let appliedAfter = try await applied()
        let moved = zip(appliedAfter, appliedBefore).map { $0 - $1 }.max() ?? 0
        return Figures(
            checks: checks, checkSeconds: (burstEnd - started) / 1e6, drainSeconds: (drained - burstEnd) / 1e6,
            recordedAtBurstEnd: recordedAtBurstEnd, appliedPerFeedback: Double(moved) / Double(checks), checkP99: load.latency.p99,
            observerMicrosPerFeedback: max(observerBusy, 0) * 1e6 / Double(checks))
    }
}
