import Foundation
import GRDB
import Logging
import MeshMetrics
import MeshProtocol
import ServiceLifecycle
import ZeroMQ

/// Socket and timing options of a service's bus endpoints.
public struct BusServerOptions: Sendable {
    public var pubEndpoint: String
    public var routerEndpoint: String
    public var heartbeatInterval: Duration = .seconds(1)
    /// PUB send high-water mark per subscriber. PUB drops silently beyond it; subscribers recover
    /// through replay, so this bounds memory, not correctness.
    public var pubHighWaterMark: Int32 = 100_000
    public var maxMessageSize: Int64 = 16 << 20
    /// Upper bound on events per `replay` reply and items per `snapshot` chunk.
    public var maxBatch: Int = 5_000
    /// CURVE server key of both sockets, or `.none` in insecure mode.
    public var security: SocketSecurity = .none
    /// The roster consulted for every request when `security` is CURVE: the department is the
    /// authenticated key's name, a revoked key is refused, a request's `as` must match the key.
    public var peers: (any PeerDirectory)?

    public init(pubEndpoint: String, routerEndpoint: String) {
        self.pubEndpoint = pubEndpoint
        self.routerEndpoint = routerEndpoint
    }
}

/// The one pattern every service follows: publishes its event log live on PUB (frame 0 the event
/// type as topic, frame 1 the event JSON), announces its head seq in heartbeats, and answers requests
/// on ROUTER — `ping`, `replay`, `snapshot`, `status` here, every other op through its handler.
public final class BusServer: Service {
    public let service: String
    public let options: BusServerOptions
    private let log: EventLog
    /// Further streams the service publishes on the same PUB, each with its own log, seq, heartbeat
    /// and `replay` (protocol 1.3; dispatch's `feedback`).
    private let otherLogs: [EventLog]
    private let reader: any DatabaseWriter
    private let handler: any RequestHandler
    private let logger: Logger
    /// Paces heartbeats and dates them.
    private let clock: ServiceClock
    /// The server's own ops and the handler's, one table.
    public let commands: CommandTable
    /// Per-op counts and time, in the service's metrics; reported by `status`.
    public let stats: RequestStats

    /// - Parameters:
    ///   - metrics: the service's metrics (a registry of the server's own by default): the
    ///     requests it answers, its stream's head and its dead letters, read when scraped.
    ///   - alsoPublishing: further streams of the service, published on the same PUB (their logs
    ///     in the same database).
    public init(
        service: String, options: BusServerOptions, log: EventLog, alsoPublishing otherLogs: [EventLog] = [],
        reader: any DatabaseWriter, handler: any RequestHandler, metrics: ServiceMetrics? = nil, clock: ServiceClock = .system,
        logger: Logger
    ) {
        let metrics = metrics ?? ServiceMetrics(service: log.stream)
        self.clock = clock
        self.service = service
        self.options = options
        self.log = log
        self.otherLogs = otherLogs
        self.reader = reader
        self.handler = handler
        self.logger = logger
        let stats = RequestStats(metrics: metrics)
        self.stats = stats
        Self.exposeReadings(of: log, reader: reader, in: metrics, logger: logger)
        for other in otherLogs { Self.exposeHead(of: other, reader: reader, in: metrics, logger: logger) }
        let startedAt = WireTimeNow.text()
        var commands = Self.builtInCommands(
            service: service, logs: [log] + otherLogs, reader: reader, handler: handler, maxBatch: options.maxBatch,
            startedAt: startedAt)
        commands.include(handler.commands)
        let status = Status(
            service: service, log: log, otherLogs: otherLogs, reader: reader, handler: handler,
            security: options.security.isSecure ? "curve" : "insecure",
            stats: stats, commands: commands, startedAt: startedAt)
        commands.on("status", access: .anyone, audit: .query) { _ in try await status.report() }
        self.commands = commands
    }

    public func run() async throws {
        let loop = try SocketLoop(name: service)
        let pub = try ZMQSocket(type: .pub)
        try pub.setHighWaterMarks(send: options.pubHighWaterMark)
        try options.security.apply(to: pub)
        try pub.bind(options.pubEndpoint)
        let boundPub = (try? pub.lastEndpoint()) ?? options.pubEndpoint
        let router = try ZMQSocket(type: .router)
        try router.setMaxMessageSize(options.maxMessageSize)
        try router.setHighWaterMarks(send: 0, receive: 10_000)
        try options.security.apply(to: router)
        try router.bind(options.routerEndpoint)

        let (requests, requestInput) = AsyncStream<ZMQMessage>.makeStream()
        // Published by the thread that commits (in commit order: commits are one at a time), not
        // through the loop's thread.
        let publisher = LockedSendSocket(pub)
        defer { publisher.close() }
        let routerHandle = loop.add(router) { requestInput.yield($0) }
        for each in [log] + otherLogs {
            each.onCommit { events in
                publisher.send(all: events.map { [Array($0.type.utf8), $0.payload] })
            }
            try each.load(from: reader)
        }
        loop.start()
        logger.info(
            "Bus server listening",
            metadata: [
                "bus.pub": "\(options.pubEndpoint)", "bus.router": "\(options.routerEndpoint)",
                "stream.name": "\(log.stream)", "stream.head": "\(log.lastCommittedHead)",
            ])

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [self] in
                var revocations = options.peers?.revocations ?? 0
                while !Task.isCancelled {
                    for each in [log] + otherLogs {
                        let last = each.lastCommittedAnchor
                        let beat = Heartbeat(
                            stream: each.stream, head: last?.seq ?? each.lastCommittedHead, at: WireTime.format(clock.date), last: last)
                        if let payload = try? WireCoding.encode(beat) {
                            publisher.send([Array(Heartbeat.topic.utf8), payload])
                        }
                    }
                    if let now = options.peers?.revocations, now != revocations {
                        revocations = now
                        await rebind(publisher, endpoint: boundPub)
                    }
                    try? await clock.sleep(for: options.heartbeatInterval)
                }
            }
            for await message in requests.cancelOnGracefulShutdown() {
                group.addTask { [self] in
                    if let reply = await process(message) {
                        loop.send(reply, on: routerHandle)
                    }
                }
            }
            group.cancelAll()
        }
        loop.stop()
        logger.info("Bus server stopped", metadata: ["stream.name": "\(log.stream)"])
    }

    /// Drops every subscriber connection of the PUB socket by unbinding and binding it again: ZAP
    /// authenticates only handshakes, so a revoked subscriber would otherwise keep receiving. Every
    /// subscriber reconnects (and handshakes again) within its reconnect interval and catches up
    /// what it missed through `replay`; a revoked one is refused by the ZAP handler.
    private func rebind(_ publisher: LockedSendSocket, endpoint: String) async {
        do {
            try publisher.perform { try $0.unbind(endpoint) }
            // The listener closes asynchronously; the port is free again within milliseconds. The
            // socket is held for each attempt only: commits publish meanwhile (to no one) unhindered.
            var attempt = 0
            while true {
                do {
                    try publisher.perform { try $0.bind(endpoint) }
                    break
                } catch  where attempt < 200 {
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            logger.notice(
                "A key was revoked: subscriber connections dropped; each must authenticate again", metadata: ["bus.pub": "\(endpoint)"])
        } catch {
            logger.error(
                "Could not rebind the PUB socket after a revocation", metadata: ["bus.pub": "\(endpoint)", "error": "\(error)"])
        }
    }

    // MARK: - Requests

    /// Validates one ROUTER message and answers it. Returns the reply frames, or nil when the
    /// message carries no routing identity to answer to.
    func process(_ message: ZMQMessage) async -> [[UInt8]]? {
        let frames = message.frames
        guard frames.count >= 2 else { return nil }
        var envelope = [frames[0]]
        var rest = frames.dropFirst()
        if rest.count > 1, rest.first?.isEmpty == true {
            envelope.append([])
            rest = rest.dropFirst()
        }
        guard rest.count == 1, let body = rest.first else {
            let error = ReplyError(
                .badRequest, "expected one JSON frame after the optional empty delimiter, got \(rest.count) frames")
            return envelope + [encodeReply(Reply(id: "", error: error))]
        }
        return envelope + [await answer(body, message: message)]
    }

    /// The reply frame to one request.
    private func answer(_ body: [UInt8], message: ZMQMessage) async -> [UInt8] {
        switch await reply(to: body, message: message) {
        case .reply(let reply): encodeReply(reply)
        case .encoded(let id, let result): Self.replyFrame(id: id, encodedResult: result)
        }
    }

    private enum Answer {
        case reply(Reply)
        /// An ok reply whose result is JSON text already written.
        case encoded(id: String, result: [UInt8])
    }

    /// `{"id":…,"ok":true,"result":…,"v":1}`, keys sorted as `WireCoding` writes a reply, around a
    /// result written beforehand.
    static func replyFrame(id: String, encodedResult: [UInt8]) -> [UInt8] {
        var json = JSONWriter(capacity: encodedResult.count + id.utf8.count + 48)
        json.raw("{\"id\":")
        json.string(id)
        json.raw(",\"ok\":true,\"result\":")
        json.raw(encodedResult)
        json.raw(",\"v\":")
        json.number(Int64(meshProtocolVersion))
        json.raw("}")
        return json.bytes
    }

    private func reply(to body: [UInt8], message: ZMQMessage) async -> Answer {
        let request: Request
        switch RequestParser.parse(body) {
        case .success(let parsed): request = parsed
        case .failure(let failure): return .reply(Reply(id: failure.requestID ?? "", error: failure.error))
        }
        let context: RequestContext
        do {
            context = try identify(request, message: message)
        } catch {
            logger.warning(
                "Request refused by authentication",
                metadata: ["request.op": "\(request.op)", "peer.address": "\(message.peerAddress ?? "?")", "error": "\(error)"])
            await audit(
                request, command: nil,
                context: RequestContext(department: "key:\(message.userID?.prefix(8) ?? "none")", authenticated: false), error: error,
                always: true)
            return .reply(Reply(id: request.id, error: error))
        }
        let started = ContinuousClock.now
        let command = commands[request.op]
        func count(_ outcome: RequestStats.Outcome) {
            stats.record(command == nil ? "(unknown)" : request.op, outcome, duration: ContinuousClock.now - started)
        }
        do {
            var requestLogger = logger
            requestLogger[metadataKey: "request.id"] = "\(request.id)"
            requestLogger[metadataKey: "request.op"] = "\(request.op)"
            if let department = context.department { requestLogger[metadataKey: "request.department"] = "\(department)" }
            let result = try await commands.performOutput(request.op, body: request.body, context: context, logger: requestLogger)
            count(.ok)
            await audit(request, command: command, context: context, error: nil)
            switch result {
            case .value(let value): return .reply(Reply(id: request.id, result: value))
            case .encoded(let bytes): return .encoded(id: request.id, result: bytes)
            }
        } catch let error as ReplyError {
            count(.refused)
            await audit(request, command: command, context: context, error: error)
            logger.debug(
                "Request refused",
                metadata: ["request.op": "\(request.op)", "request.id": "\(request.id)", "error": "\(error)"])
            return .reply(Reply(id: request.id, error: error))
        } catch {
            count(.failed)
            logger.error(
                "Request failed", metadata: ["request.op": "\(request.op)", "request.id": "\(request.id)", "error": "\(error)"])
            return .reply(Reply(id: request.id, error: ReplyError(.internal, "\(request.op) failed inside \(service); see its log")))
        }
    }

    /// Who sent a request. With a roster (CURVE), the key the connection authenticated with names
    /// the party — looked up on every request, so a revoked key stops at once — and `as`, if given,
    /// must be that name. Without one (insecure mode), the department is what `as` claims.
    func identify(_ request: Request, message: ZMQMessage) throws(ReplyError) -> RequestContext {
        guard let peers = options.peers else {
            return RequestContext(department: request.as, authenticated: false, peerAddress: message.peerAddress)
        }
        guard let key = message.userID, !key.isEmpty else {
            throw ReplyError(.forbidden, "\(service) accepts only CURVE-authenticated requests; this one carried no key")
        }
        guard let peer = peers.peer(forKey: key) else {
            throw ReplyError(
                .forbidden, "the key \(key.prefix(8))… this connection authenticated with has been revoked or removed from the roster")
        }
        if let claimed = request.as, claimed != peer.name {
            throw ReplyError(
                .forbidden, "as: \(claimed) does not match the authenticated key, which is \(peer.name)'s; a department is who its key says"
            )
        }
        return RequestContext(department: peer.name, authenticated: true, role: peer.role, peerAddress: message.peerAddress)
    }

    /// `ping`, `replay`, `snapshot`, `audit.verify` and `status`: what every service answers.
    private static func builtInCommands(
        service: String, logs: [EventLog], reader: any DatabaseWriter, handler: any RequestHandler, maxBatch: Int, startedAt: String
    ) -> CommandTable {
        var commands = CommandTable(service: service)
        struct StreamRef: Decodable, Sendable { var stream: String? }
        commands.on("ping", access: .anyone, audit: .query, body: StreamRef.self) { request, _ in
            let log = try Self.log(named: request.stream, among: logs, op: "ping", service: service)
            let head = try await reader.read { try log.head($0) }
            return PingResult(service: service, stream: log.stream, head: head, startedAt: startedAt)
        }
        commands.on("replay", access: .anyone, audit: .query, body: ReplayRequest.self) { replay, _ in
            let log = try Self.log(named: replay.stream, among: logs, op: "replay", service: service)
            guard replay.from >= 0 else { throw ReplyError(.invalid, "replay: from must be ≥ 0, got \(replay.from)") }
            let limit = min(max(replay.limit ?? 1_000, 1), maxBatch)
            return try await reader.read { db in
                ReplayResult(
                    stream: log.stream, events: try log.events(db, after: replay.from, limit: limit), head: try log.head(db),
                    previous: replay.from > 0 ? try log.anchor(db, at: replay.from) : nil)
            }
        }
        commands.on("snapshot", access: .anyone, audit: .query, body: SnapshotRequest.self) { snapshot, _ in
            let limit = min(max(snapshot.limit ?? 1_000, 1), maxBatch)
            let span = try snapshot.span.map { span throws(ReplyError) in
                guard (1...maxBatch).contains(span) else {
                    throw ReplyError(.invalid, "snapshot: span must be 1…\(maxBatch), got \(span)")
                }
                return span
            }
            guard let chunk = try await handler.encodedSnapshot(cursor: snapshot.cursor, limit: limit, span: span) else {
                throw ReplyError(.unknownOp, "\(service) offers no snapshot; use replay from 0")
            }
            return chunk
        }
        commands.on("audit.verify", access: .anyone, audit: .query) { _ -> JSONValue in
            let verification = try await reader.read { try AuditLog.verify($0) }
            switch verification {
            case .intact(let count, let head):
                return .object(["intact": true, "count": .int(count), "head": .string(head), "text": .string(verification.description)])
            case .broken(let seq, let reason):
                return .object(["intact": false, "seq": .int(seq), "reason": .string(reason), "text": .string(verification.description)])
            }
        }
        return commands
    }

    /// The stream a request names (protocol 1.3), the service's own when it names none.
    private static func log(named name: String?, among logs: [EventLog], op: String, service: String) throws(ReplyError) -> EventLog {
        guard let name else { return logs[0] }
        guard let log = logs.first(where: { $0.stream == name }) else {
            throw ReplyError(
                .invalid, "\(op): \(service) publishes no stream \(name); it publishes \(logs.map(\.stream).joined(separator: ", "))")
        }
        return log
    }

    /// What `status` reports: the stream, what the service follows, its dead letters, every op of
    /// its table with counts, and the handler's own details.
    private struct Status: Sendable {
        let service: String
        let log: EventLog
        let otherLogs: [EventLog]
        let reader: any DatabaseWriter
        let handler: any RequestHandler
        let security: String
        let stats: RequestStats
        let commands: CommandTable
        let startedAt: String

        func report() async throws -> JSONValue {
            let (readings, otherHeads) = try await reader.read { [log, otherLogs] db in
                (try Readings(db: db, log: log), try otherLogs.map { ($0.stream, JSONValue.int(try $0.head(db))) })
            }
            let counts = stats.snapshot()
            var ops: [String: JSONValue] = [:]
            for (name, access, audit) in commands.commands.map({ ($0.name, $0.access.summary, $0.audit) }) + [("status", "anyone", .query)]
            {
                let seen = counts[name] ?? RequestStats.Counts()
                ops[name] = .object([
                    "access": .string(access), "audit": .string(audit.rawValue),
                    "ok": .int(seen.ok), "refused": .int(seen.refused), "failed": .int(seen.failed),
                    "seconds": .double(seen.seconds),
                ])
            }
            if let unknown = counts["(unknown)"] { ops["(unknown)"] = .object(["refused": .int(unknown.refused)]) }
            var report: [String: JSONValue] = [
                "service": .string(service), "stream": .string(log.stream), "head": .int(readings.head),
                "startedAt": .string(startedAt),
                "applied": .object(readings.applied.mapValues { .int($0) }),
                "deadLetters": .int(readings.deadLetters),
                "security": .string(security),
                "ops": .object(ops),
                "details": await handler.status(),
            ]
            // The heads of the further streams it publishes (1.3), by name.
            if !otherHeads.isEmpty { report["streams"] = .object(Dictionary(uniqueKeysWithValues: otherHeads)) }
            return .object(report)
        }
    }

    /// What `status` and the metrics both read from the service's database: its stream's head, how
    /// far it applied each stream it follows, and its dead letters.
    struct Readings {
        var head: Int64
        var applied: [String: Int64]
        var deadLetters: Int64

        init(db: Database, log: EventLog) throws {
            head = try log.head(db)
            applied = try Checkpoints.all(db)
            deadLetters = Int64(try DeadLetters.count(db))
        }
    }

    /// `credit_stream_head{stream}` of a further stream the service publishes.
    private static func exposeHead(of log: EventLog, reader: any DatabaseWriter, in metrics: ServiceMetrics, logger: Logger) {
        let head = metrics.gauge(.streamHead, [("stream", log.stream)])
        metrics.onScrape {
            do {
                head.record(try await reader.read { try log.head($0) })
            } catch {
                logger.warning("Metrics could not read the stream head", metadata: ["stream.name": "\(log.stream)", "error": "\(error)"])
            }
        }
    }

    /// `credit_stream_head{stream}` and `credit_dead_letters_total{service}`, read as `status` reads
    /// them when the metrics are scraped.
    private static func exposeReadings(of log: EventLog, reader: any DatabaseWriter, in metrics: ServiceMetrics, logger: Logger) {
        let head = metrics.gauge(.streamHead, [("stream", log.stream)])
        let deadLetters = metrics.mirroredCounter(.deadLetters, [("service", metrics.service)])
        metrics.onScrape {
            do {
                let readings = try await reader.read { try Readings(db: $0, log: log) }
                head.record(readings.head)
                deadLetters.set(readings.deadLetters)
            } catch {
                logger.warning("Metrics could not read the stream head and dead letters", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Appends a command to the audit chain: who (the authenticated department, or the claimed one
    /// in insecure mode), what, and whether it was accepted. Only `audited` commands are written,
    /// and every refusal by authentication (`always`); an unknown op changed nothing.
    private func audit(
        _ request: Request, command: CommandTable.Command?, context: RequestContext, error: ReplyError?, always: Bool = false
    ) async {
        guard always || command?.audit == .audited else { return }
        var detail: [String: JSONValue] = [
            "request": .string(request.id), "ok": .bool(error == nil), "authenticated": .bool(context.authenticated),
        ]
        if let error { detail["error"] = .string(error.code.rawValue) }
        // What the command acted on, by the field that names it.
        if let target = ["listing", "application", "objection", "record"].lazy.compactMap({ request.body[$0]?.stringValue }).first {
            detail["target"] = .string(target)
        }
        let entry = JSONValue.object(detail)
        do {
            _ = try await reader.write { db in
                try AuditLog.append(
                    db, actor: Self.auditText(context.department ?? "anonymous"), action: Self.auditText(request.op), subject: nil,
                    detail: entry)
            }
        } catch {
            logger.error("Audit entry could not be written", metadata: ["request.op": "\(request.op)", "error": "\(error)"])
        }
    }

    /// Audit fields are single lines.
    public static func auditText(_ text: String) -> String {
        // Most texts are short and on one line: nothing to cut or replace (and no trip through NSString).
        if text.utf8.count <= 200, !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) { return text }
        return String(text.prefix(200)).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }

    private func encodeReply(_ reply: Reply) -> [UInt8] {
        (try? WireCoding.encode(reply)) ?? Array(#"{"v":1,"id":"","ok":false}"#.utf8)
    }
}
