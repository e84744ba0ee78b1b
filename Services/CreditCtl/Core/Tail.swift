import ArgumentParser
import Bus
import Foundation
import Logging
import MeshProtocol
import ServiceKit
import Synchronization

struct Tail: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow streams: replay from a seq, then live, with no gap and no duplicate at the seam.",
        discussion: """
            Streams: registry, grading, dispatch, feedback (feedback recorded at dispatch), repair, disclosure, interceptor.<dept>.
            One line per event: stream, seq, time, type, data. --json prints each event as one JSON object a line.
            Without --from, starts at the stream's current head (live only).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Streams to follow.")
    var streams: [String]
    @Option(help: "First seq to print (replays history from there, then follows live).")
    var from: Int64?
    @Option(help: "Stop after this many events.")
    var count: Int?
    @Option(help: "Only events whose type starts with this prefix, e.g. list.")
    var topic: String?
    @Flag var json = false

    func validate() throws {
        guard !streams.isEmpty else { throw ValidationError("name at least one stream, e.g. dispatch") }
        if let from, from < 1 { throw ValidationError("--from must be ≥ 1") }
        if let count, count < 1 { throw ValidationError("--count must be ≥ 1") }
    }

    func run() async throws {
        let topology = try global.topology()
        var logger = Logger(label: "creditctl.tail")
        logger.logLevel = .error
        let printer = Printer(json: json, topic: topic, limit: count)
        var subscribers: [StreamSubscriber] = []
        let security = try global.security(as: nil)
        for stream in streams {
            let endpoints = try topology.endpoints(ofStream: stream)
            let start: Int64
            if let from {
                start = from - 1
            } else {
                let client = try security.busClient(toward: endpoints)
                defer { client.close() }
                // A further stream of a service is named (protocol 1.3); the service's own needs no name.
                let ping = try await client.request(
                    "ping", body: JSONValue.object(stream == "feedback" ? ["stream": .string(stream)] : [:]), decoding: PingResult.self,
                    timeout: global.timeoutDuration)
                guard ping.stream == stream else {
                    throw ValidationError("\(ping.service) publishes no stream \(stream) (stream feedback needs protocol revision 1.3)")
                }
                start = ping.head
            }
            subscribers.append(
                StreamSubscriber(
                    stream: stream, options: try security.subscriber(toward: endpoints),
                    sink: PrintingSink(start: start, printer: printer), logger: logger))
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for subscriber in subscribers { group.addTask { try await subscriber.run() } }
            group.addTask { await printer.finished() }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// Prints events as they are applied; ends the tail after `limit` printed events.
final class Printer: Sendable {
    let json: Bool
    let topic: String?
    let limit: Int?
    private let printed = Mutex(0)
    private let done = AsyncStream<Void>.makeStream()

    init(json: Bool, topic: String?, limit: Int?) {
        self.json = json
        self.topic = topic
        self.limit = limit
    }

    func print(_ event: Event) throws {
        if let topic, !event.type.hasPrefix(topic) { return }
        let reachedLimit = try printed.withLock { count -> Bool in
            if let limit, count >= limit { return true }
            if json {
                try printJSON(event)
            } else {
                let data = String(decoding: try WireCoding.encode(event.data), as: UTF8.self)
                say("\(event.stream) \(event.seq) \(event.at) \(event.type) \(data)")
            }
            count += 1
            return limit.map { count >= $0 } ?? false
        }
        if reachedLimit { done.continuation.finish() }
    }

    func finished() async {
        for await _ in done.stream {}
        // Without a limit the tail runs until interrupted.
        if limit == nil { try? await Task.sleep(for: .seconds(86_400 * 365)) }
    }
}

final class PrintingSink: StreamSink {
    let start: Int64
    let printer: Printer
    private let applied: Mutex<Int64>

    init(start: Int64, printer: Printer) {
        self.start = start
        self.printer = printer
        self.applied = Mutex(start)
    }

    func appliedSeq() async throws -> Int64 { applied.withLock { $0 } }

    func apply(_ events: [Event]) async throws {
        for event in events {
            try printer.print(event)
            applied.withLock { $0 = event.seq }
        }
    }
}
