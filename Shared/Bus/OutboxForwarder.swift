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
    /// The op that takes many events in one request (`{"events": [...]}`), when the receiver has one.
    private let batchOp: String?
    /// Set when the receiver answered `unknown-op` to `batchOp` (it predates it): one event per request.
    private let batchUnsupported = Atomic<Bool>(false)
    private let department: String?
    private let security: SocketSecurity
    private let logger: Logger
    private let clock: ServiceClock
    /// How often the log is looked at without a commit to wake the forwarder (a commit by another
    /// process, or a delivery to retry).
    private let pollInterval: Duration
    /// How long a wake waits before reading, so that the events committed meanwhile go in the same
    /// request: between half and one and a half times this, at random each time, so that the
    /// processes woken by one broadcast do not all send at once.
    private let linger: Duration
    private let pendingCount = Atomic<Int64>(0)

    /// - Parameters:
    ///   - target: a name for the position row, e.g. `dispatch.feedback`.
    ///   - types: event types to forward; other events are skipped.
    ///   - op: the request op; its body is `{"event": <the event>}`.
    ///   - batchOp: an op taking every event of a read in one request, body `{"events": [...]}`, reply
    ///     `{"results": [{"id", "error"?: {code, message}}]}` in the order sent (dispatch's
    ///     `feedback.batch`, protocol 1.3); nil to send one event per request.
    ///   - linger: how long, on average, to gather events after a commit before sending them (none by
    ///     default); each wait is drawn between half and one and a half times it.
    public init(
        target: String, log: EventLog, writer: any DatabaseWriter, types: Set<String>, endpoint: String, op: String,
        batchOp: String? = nil, department: String?, security: SocketSecurity = .none, pollInterval: Duration = .seconds(1),
        linger: Duration = .zero, clock: ServiceClock = .system,
        logger: Logger
    ) {
        self.clock = clock
        self.pollInterval = pollInterval
        self.linger = linger
        self.security = security
        self.target = target
        self.log = log
        self.writer = writer
        self.types = types
        self.endpoint = endpoint
        self.op = op
        self.batchOp = batchOp
        self.department = department
        self.logger = logger
    }

    /// Events written but not yet acknowledged (including ones of other types not yet skipped).
    public var pending: Int64 { pendingCount.load(ordering: .relaxed) }

    public func run() async throws {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Only a commit with an event to forward wakes it; the others are skipped (and the position
        // moved past them) on the next wake or poll.
        log.onCommit { [types] events in
            if events.contains(where: { types.contains($0.type) }) { wake.yield(()) }
        }
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
                if linger > .zero { try? await clock.sleep(for: linger * Double.random(in: 0.5...1.5)) }
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

    /// Events read from the log at a time: with `batchOp`, what one request carries.
    private var readLimit: Int { batchOp == nil || batchUnsupported.load(ordering: .relaxed) ? 200 : 500 }

    /// Sends the next batch; returns whether there may be more.
    private func forwardBatch(_ client: BusClient) async throws -> Bool {
        let limit = readLimit
        let (position, events, head) = try await writer.read { [log, target] db in
            let position =
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT seq FROM bus_forward_positions WHERE target = ?"), arguments: [target]) ?? 0
            return (position, try log.events(db, after: position, limit: limit), try log.head(db))
        }
        pendingCount.store(head - position, ordering: .relaxed)
        guard let last = events.last else { return false }
        let chosen = events.filter { types.contains($0.type) }
        if let batchOp, !batchUnsupported.load(ordering: .relaxed), !chosen.isEmpty,
            try await sendAll(chosen, op: batchOp, client: client, through: last.seq)
        {
            pendingCount.store(head - last.seq, ordering: .relaxed)
            return events.count == limit
        }
        for event in chosen {
            do {
                _ = try await client.request(op, as: department, body: .object(["event": event.json]))
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
        return events.count == limit
    }

    /// Sends `events` in one request of `op` and, when the receiver has answered for each, keeps the
    /// ones it refused for good in `bus_dead_letters` and advances to `seq`, in one transaction.
    /// Returns false, having changed nothing, when the receiver refused the request as a whole for
    /// good (then each event goes alone, which isolates one it refuses) or has no such op.
    /// Throws, to retry the whole request, when the reply is missing or says to retry: the receiver
    /// records each event once, so a resend is harmless.
    private func sendAll(_ events: [Event], op batchOp: String, client: BusClient, through seq: Int64) async throws -> Bool {
        let result: JSONValue
        do {
            result = try await client.request(
                batchOp, as: department, body: .object(["events": .array(events.map(\.json))]))
        } catch BusClientError.refused(let reply) where !reply.code.isRetryable {
            if reply.code == .unknownOp {
                batchUnsupported.store(true, ordering: .relaxed)
                logger.warning(
                    "Receiver has no batch op (it predates it: feedback.batch came with protocol revision 1.3, ack.batch with 1.5); sending one event per request",
                    metadata: ["outbox.target": "\(target)", "outbox.op": "\(batchOp)", "error": "\(reply)"])
            } else {
                logger.warning(
                    "Batch refused as a whole; sending its events one at a time",
                    metadata: ["outbox.target": "\(target)", "outbox.op": "\(batchOp)", "error": "\(reply)"])
            }
            return false
        }
        guard let results = result["results"]?.arrayValue, results.count == events.count else {
            throw BusClientError.malformedReply(
                endpoint: endpoint, reason: "\(batchOp) result has no results for the \(events.count) events sent")
        }
        var refused: [(Event, ReplyError)] = []
        for (event, answer) in zip(events, results) {
            guard let error = answer["error"] else { continue }
            let reply = (try? error.decode(ReplyError.self)) ?? ReplyError(.internal, "\(error)")
            // Retried with the whole batch; what was recorded is not recorded twice.
            if reply.code.isRetryable { throw BusClientError.refused(reply) }
            refused.append((event, reply))
        }
        try await writer.write { [target, refused] db in
            for (event, reply) in refused {
                try DeadLetters.record(db, event: event, reason: "\(batchOp) refused: \(reply)")
            }
            try Self.setPosition(db, target: target, seq: seq)
        }
        for (event, reply) in refused {
            logger.error(
                "Outbox event refused by the receiver; kept in bus_dead_letters",
                metadata: ["outbox.target": "\(target)", "event.id": "\(event.id)", "error": "\(reply)"])
        }
        return true
    }

    private func advance(to seq: Int64) async throws {
        try await writer.write { [target] db in try Self.setPosition(db, target: target, seq: seq) }
    }

    private static func setPosition(_ db: Database, target: String, seq: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO bus_forward_positions(target, seq, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(target) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
                """
        ).execute(arguments: [target, seq, WireTimeNow.text()])
    }
}
