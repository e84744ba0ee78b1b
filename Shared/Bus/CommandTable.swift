import CoreMetrics
import Logging
import MeshMetrics
import MeshProtocol
import Synchronization

/// Whether a command leaves an entry in the service's audit chain. Every declaration states it:
/// there is no default, so a new command cannot forget it.
public enum Audit: String, Sendable, Codable {
    /// Changes state: the bus server appends who, what and the outcome to the audit chain once the
    /// command is answered (accepted or refused).
    case audited
    /// Changes nothing; not audited.
    case query
    /// The handler writes its own audit entry in the transaction that makes the change (an
    /// interceptor's check is logged with its decision).
    case byHandler = "by-handler"
}

/// Who may send a command, checked before its body is read. Rules that depend on the body (a
/// department's authority over a list or a record kind) are the handler's, and come after.
public struct Access: Sendable {
    /// How `status` and the unknown-op reply describe the rule.
    public let summary: String
    let verify: @Sendable (_ op: String, _ context: RequestContext) throws(ReplyError) -> Void

    public init(_ summary: String, verify: @escaping @Sendable (_ op: String, _ context: RequestContext) throws(ReplyError) -> Void) {
        self.summary = summary
        self.verify = verify
    }

    /// Any party the bus accepts: every key in the roster over CURVE, anyone in insecure mode.
    public static let anyone = Access("anyone") { _, _ throws(ReplyError) in }

    /// A department acting for itself: the request names one (over CURVE, its key does), and a
    /// service's or an operator's key is refused. The handler's `Caller.department` is that name.
    public static let department = Access("department") { op, context throws(ReplyError) in
        _ = try context.requireDepartment(for: op)
    }

    /// Every role but the ones named, e.g. `.except(.service)` for what operators and departments do.
    public static func except(_ refused: PeerRole, because reason: String) -> Access {
        Access("anyone but a \(refused.rawValue) key") { op, context throws(ReplyError) in
            if context.role == refused {
                throw ReplyError(.forbidden, "\(op): \(context.department ?? "?") holds \(refused.withArticle) key; \(reason)")
            }
        }
    }
}

/// Who sent a request, as the handler of a command sees it.
public struct Caller: Sendable {
    public let context: RequestContext
    /// The service's logger with `request.id`, `request.op` and, when known, `request.department`
    /// in its metadata: what a handler logs is tied to the request (and to its reply, which carries
    /// the same id).
    public let logger: Logger
    /// The department the request acts for: with `.department` access the authenticated (or, in
    /// insecure mode, claimed) department, never empty; otherwise what the request named, or "".
    public var department: String { context.department ?? "" }
}

/// A body for commands that take none; any object is accepted and ignored.
public struct NoBody: Codable, Sendable {
    public init() {}
}

/// A service's commands, each declared once with its name, body and reply types, who may call it
/// and whether it is audited — the way Hummingbird declares routes. The bus server dispatches,
/// checks access, audits, counts and lists the ops in `status` from this table alone.
///
/// ```swift
/// var commands = CommandTable(service: "repair")
/// commands.on("repair.get", access: .anyone, audit: .query, body: GetBody.self) { body, _ in
///     try await application(body.application)
/// }
/// ```
public struct CommandTable: Sendable {
    public struct Command: Sendable {
        public let name: String
        public let access: Access
        public let audit: Audit
        /// Decodes the body, runs the handler and encodes its reply.
        let run: @Sendable (_ body: JSONValue, _ caller: Caller) async throws -> Output
    }

    /// A command's result: a value, or JSON text already written (`EncodedJSON`), which the bus
    /// server puts into the reply frame as it is.
    public enum Output: Sendable {
        case value(JSONValue)
        case encoded([UInt8])

        /// The result as a value (an encoded one parsed).
        public func value() throws -> JSONValue {
            switch self {
            case .value(let value): value
            case .encoded(let bytes): try JSONReader.value(bytes)
            }
        }
    }

    public let service: String
    /// In declaration order.
    public private(set) var commands: [Command] = []
    private var byName: [String: Int] = [:]

    public init(service: String) {
        self.service = service
    }

    /// Declares one command. `Body` is decoded from the request's body (a field that is missing or
    /// of the wrong type is refused as `bad-request` naming it; `JSONValue` passes the body through
    /// unread); `Reply` is encoded as the reply's result (`JSONValue` as it is).
    public mutating func on<Body: Decodable & Sendable, Reply: Encodable & Sendable>(
        _ name: String, access: Access, audit: Audit, body: Body.Type,
        _ handler: @escaping @Sendable (_ body: Body, _ caller: Caller) async throws -> Reply
    ) {
        add(
            Command(name: name, access: access, audit: audit) { value, caller in
                let body: Body
                if let passThrough = value as? Body {
                    body = passThrough
                } else {
                    body = try value.decodeBody(Body.self, op: name)
                }
                let reply = try await handler(body, caller)
                if let value = reply as? JSONValue { return .value(value) }
                if let encoded = reply as? EncodedJSON { return .encoded(encoded.bytes) }
                return .value(try JSONValue(encoding: reply))
            })
    }

    /// Declares a command that takes no body (any object is accepted and ignored).
    public mutating func on<Reply: Encodable & Sendable>(
        _ name: String, access: Access, audit: Audit, _ handler: @escaping @Sendable (_ caller: Caller) async throws -> Reply
    ) {
        on(name, access: access, audit: audit, body: NoBody.self) { _, caller in try await handler(caller) }
    }

    /// Adds the commands of another table (the bus server's own ops beside a handler's).
    public mutating func include(_ other: CommandTable) {
        for command in other.commands { add(command) }
    }

    private mutating func add(_ command: Command) {
        precondition(byName[command.name] == nil, "\(service) declares the op \(command.name) twice")
        precondition(!command.name.isEmpty && command.name.count <= 64, "an op name is 1–64 characters: \(command.name)")
        byName[command.name] = commands.count
        commands.append(command)
    }

    public subscript(name: String) -> Command? {
        byName[name].map { commands[$0] }
    }

    public var names: [String] { commands.map(\.name) }

    /// The refusal of an op the table does not declare, listing those it does.
    public func unknown(_ op: String) -> ReplyError {
        ReplyError(.unknownOp, "\(service) has no op \(op); it offers \(names.joined(separator: ", "))")
    }

    /// Checks access and runs the named command. Throws `unknown-op` for an undeclared name.
    public func perform(
        _ op: String, body: JSONValue, context: RequestContext, logger: Logger = Logger(label: "command")
    ) async throws -> JSONValue {
        try await performOutput(op, body: body, context: context, logger: logger).value()
    }

    /// `perform(_:body:context:logger:)` with the result as the command gave it: what the bus
    /// server frames (an encoded result is not parsed).
    public func performOutput(
        _ op: String, body: JSONValue, context: RequestContext, logger: Logger = Logger(label: "command")
    ) async throws -> Output {
        guard let command = self[op] else { throw unknown(op) }
        try command.access.verify(op, context)
        return try await command.run(body, Caller(context: context, logger: logger))
    }
}

/// Per-op counts and time of the requests a bus server answered: `credit_requests_total{op,outcome}`
/// and `credit_request_seconds{op}` of the service's metrics. `status` reads them back from there
/// (`snapshot()`), so its counts and `/metrics` are one set of numbers.
public final class RequestStats: Sendable {
    public enum Outcome: String, Sendable, CaseIterable {
        /// Answered with a result.
        case ok
        /// Refused with a reason (`ReplyError`): bad input, authority, conflicts.
        case refused
        /// Failed inside the service (`internal`).
        case failed
    }

    public struct Counts: Codable, Sendable, Equatable {
        public var ok: Int64 = 0
        public var refused: Int64 = 0
        public var failed: Int64 = 0
        /// Time spent answering, all outcomes.
        public var seconds: Double = 0
    }

    /// One op's counters and timer, made on its first request (an op's label set is made once).
    private struct OpMetrics: Sendable {
        let outcomes: [Outcome: Counter]
        let time: Timer
    }

    public let metrics: ServiceMetrics
    private let ops = Mutex<[String: OpMetrics]>([:])

    public init(metrics: ServiceMetrics) {
        self.metrics = metrics
    }

    public func record(_ op: String, _ outcome: Outcome, duration: Duration) {
        let entry = ops.withLock { ops in
            if let entry = ops[op] { return entry }
            let entry = OpMetrics(
                outcomes: Dictionary(
                    uniqueKeysWithValues: Outcome.allCases.map { ($0, metrics.counter(.requests, [("op", op), ("outcome", $0.rawValue)])) }),
                time: metrics.timer(.requestSeconds, [("op", op)]))
            ops[op] = entry
            return entry
        }
        entry.outcomes[outcome]?.increment()
        let (seconds, attoseconds) = duration.components
        entry.time.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The counts by op, as the metrics have them now.
    public func snapshot() -> [String: Counts] {
        var counts: [String: Counts] = [:]
        for sample in metrics.samples(named: .requests) {
            guard let op = sample.labels["op"], let outcome = sample.labels["outcome"].flatMap(Outcome.init) else { continue }
            let value = Int64(sample.value)
            switch outcome {
            case .ok: counts[op, default: Counts()].ok = value
            case .refused: counts[op, default: Counts()].refused = value
            case .failed: counts[op, default: Counts()].failed = value
            }
        }
        for sample in metrics.samples(named: .requestSeconds, suffix: "_sum") {
            guard let op = sample.labels["op"] else { continue }
            counts[op, default: Counts()].seconds = sample.value
        }
        return counts
    }
}
