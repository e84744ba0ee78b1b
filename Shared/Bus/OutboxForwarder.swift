import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// Delivers chosen events of a service's own log to another service as requests, until each is
/// acknowledged: the outbox half of "written first, resent until acknowledged, deduplicated by id".
/// The position acknowledged so far lives in `bus_forward_positions`, so a restart resumes exactly
/// where it stopped; the receiver deduplicates by event id, so a resend after a lost reply is harmless.
public final class OutboxForwarder: Service {
    public let target: String
    private let log: EventLog
    private let writer: any DatabaseWriter
    private let types: Set<String>
    private let endpoint: String
    private let op: String
    private let department: String?
    private let security: SocketSecurity
    private let logger: Logger
    private let clock: ServiceClock
    /// How often the log is looked at without a commit to wake the forwarder (a commit by another
    /// process, or a delivery to retry).
    private let pollInterval: Duration
    private let pendingCount = Atomic<Int64>(0)

    /// - Parameters:
    ///   - target: a name for the position row, e.g. `dispatch.feedback`.
    ///   - types: event types to forward; other events are skipped.
    ///   - op: the request op; its body is `{"event": <the event>}`.
    public init(
        target: String, log: EventLog, writer: any DatabaseWriter, types: Set<String>, endpoint: String, op: String,
        department: String?, security: SocketSecurity = .none, pollInterval: Duration = .seconds(1), clock: ServiceClock = .system,
        logger: Logger
    ) {
        self.clock = clock
        self.pollInterval = pollInterval
        self.security = security
        self.target = target
        self.log = log
        self.writer = writer
        self.types = types
        self.endpoint = endpoint
        self.op = op
        self.department = department
        self.logger = logger
    }

    /// Events written but not yet acknowledged (including ones of other types not yet skipped).
    public var pending: Int64 { pendingCount.load(ordering: .relaxed) }

    public func run() async throws {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        log.onCommit { _ in wake.yield(()) }
        let client = try BusClient(endpoint: endpoint, security: security)
        defer { client.close() }
        await withDiscardingTaskGroup { group in
            group.addTask { [clock, pollInterval] in
                while (try? await clock.sleep(for: pollInterval)) != nil {
                    wake.yield(())
                }
            }
            var backoff: Duration = .milliseconds(200)
            var failing = false
            for await _ in wakes.cancelOnGracefulShutdown() {
                do {
                    while try await forwardBatch(client) {}
                    if failing { logger.info("Outbox delivering again", metadata: ["outbox.target": "\(target)"]) }
                    failing = false
                    backoff = .milliseconds(200)
                } catch {
                    if !failing {
                        logger.warning(
                            "Outbox delivery failed; will retry",
                            metadata: ["outbox.target": "\(target)", "bus.endpoint": "\(endpoint)", "error": "\(error)"])
                    }
                    failing = true
                    try? await cancelWhenGracefulShutdown { [clock, backoff] in try await clock.sleep(for: backoff) }
                    backoff = min(backoff * 2, .seconds(5))
                    wake.yield(())
                }
            }
            group.cancelAll()
        }
    }

    /// Sends the next batch; returns whether there may be more.
    private func forwardBatch(_ client: BusClient) async throws -> Bool {
        let (position, events, head) = try await writer.read { [log, target] db in
            let position =
                try Int64.fetchOne(
                    db, sql: "SELECT seq FROM bus_forward_positions WHERE target = ?", arguments: [target]) ?? 0
            return (position, try log.events(db, after: position, limit: 200), try log.head(db))
        }
        pendingCount.store(head - position, ordering: .relaxed)
        guard let last = events.last else { return false }
        for event in events where types.contains(event.type) {
            do {
                _ = try await client.request(op, as: department, body: .object(["event": try JSONValue(encoding: event)]))
            } catch BusClientError.refused(let reply) where !reply.code.isRetryable {
                // The receiver will never take this one; keep it for an operator instead of blocking
                // everything queued behind it.
                try await writer.write { db in try DeadLetters.record(db, event: event, reason: "\(op) refused: \(reply)") }
                logger.error(
                    "Outbox event refused by the receiver; kept in bus_dead_letters",
                    metadata: ["outbox.target": "\(target)", "event.id": "\(event.id)", "error": "\(reply)"])
            }
            try await advance(to: event.seq)
        }
        try await advance(to: last.seq)
        pendingCount.store(head - last.seq, ordering: .relaxed)
        return events.count == 200
    }

    private func advance(to seq: Int64) async throws {
        try await writer.write { [target] db in
            try db.execute(
                sql: """
                    INSERT INTO bus_forward_positions(target, seq, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(target) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
                    """,
                arguments: [target, seq, WireTimeNow.text()])
        }
    }
}
