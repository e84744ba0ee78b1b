import Bus
import CreditDomain
import DispatchCore
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import TestSupport
import ZeroMQ

// credit-bench: propagation and catch-up of the real executables, each beside a reference measured
// in the same run (raw libzmq PUB/SUB). Run with `make bench` (release build). Figures are printed;
// nothing is asserted: these machines are shared and noisy, ratios travel better than absolutes.

// The services measured are the ones built beside this benchmark (`.build/release` for a release
// build), unless CREDIT_BIN names others: without it they were `.build/debug`'s, four times slower.
if ProcessInfo.processInfo.environment["CREDIT_BIN"] == nil, let executable = Bundle.main.executableURL {
    setenv("CREDIT_BIN", executable.resolvingSymlinksInPath().deletingLastPathComponent().path, 0)
}

let arguments = CommandLine.arguments.dropFirst()
let which = Set(arguments.filter { !$0.hasPrefix("--") })
let all = which.isEmpty
let interceptorCounts = (arguments.first { $0.hasPrefix("--interceptors=") }?.split(separator: "=").last)
    .map { $0.split(separator: ",").compactMap { Int($0) } } ?? [1, 10, 50]
let catchUpListings = (arguments.first { $0.hasPrefix("--listings=") }?.split(separator: "=").last).flatMap { Int($0) } ?? 1_000_000

report("credit-bench on \(ProcessInfo.processInfo.processorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB, libzmq \(ZMQContext.version)")
if all || which.contains("propagation") {
    let plain = try RawPubSub.latency(messages: 2_000)
    report(String(format: "raw libzmq PUB/SUB one-way latency (tcp loopback, plain): p50 %.1f µs  p99 %.1f µs", plain.p50, plain.p99))
    // The suite runs CURVE on every socket, so its floor is the CURVE one.
    let floor = try RawPubSub.latency(messages: 2_000, curve: true)
    report(String(format: "raw libzmq PUB/SUB one-way latency (tcp loopback, CURVE): p50 %.1f µs  p99 %.1f µs", floor.p50, floor.p99))
    for count in interceptorCounts {
        let (request, reply) = try await Propagation.measure(interceptors: count, listings: 200)
        report(
            String(
                format:
                    "propagation to %2d interceptors (%d acks): initiate sent → applied p50 %.2f ms p99 %.2f ms (p50 %.0f× the raw floor); reply received → applied p50 %.2f ms p99 %.2f ms",
                count, request.samples, request.p50 / 1_000, request.p99 / 1_000, request.p50 / floor.p50, reply.p50 / 1_000,
                reply.p99 / 1_000))
    }
}
if all || which.contains("checks") {
    let listings = (arguments.first { $0.hasPrefix("--check-listings=") }?.split(separator: "=").last).flatMap { Int($0) } ?? 1_000_000
    try await ChecksBench.run(listings: listings)
}
if all || which.contains("catch-up") {
    let result = try await CatchUp.measure(listings: catchUpListings)
    report(
        String(
            format: "catch-up: fresh interceptor loads %d active listings in %.1f s (%.0f listings/s); raw SQLite read of the same rows %.1f s (ratio %.1f×)",
            catchUpListings, result.seconds, Double(catchUpListings) / result.seconds, result.rawSeconds, result.seconds / result.rawSeconds))
}
if all || which.contains("import") {
    let rows = (arguments.first { $0.hasPrefix("--import-rows=") }?.split(separator: "=").last).flatMap { Int($0) } ?? 1_000_000
    // --import-random-subjects: subjects in random order, as a real department's export (by decision
    // date) has them; the default keeps them in identifier order, as every figure so far was taken.
    try await ImportBench.run(rows: rows, randomSubjects: arguments.contains("--import-random-subjects"))
}
if which.contains("import-stages") {
    let rows = (arguments.first { $0.hasPrefix("--import-rows=") }?.split(separator: "=").last).flatMap { Int($0) } ?? 200_000
    try ImportBench.stages(rows: rows)
}
