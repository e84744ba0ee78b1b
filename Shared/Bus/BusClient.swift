import Foundation
import MeshProtocol
import Synchronization
import ZeroMQ

/// Why a request to another service did not get an answer or was refused.
public enum BusClientError: Error, Sendable, CustomStringConvertible {
    /// No connection to the endpoint could be made before the deadline.
    case unreachable(endpoint: String, op: String, after: Duration)
    /// The CURVE handshake failed: the server refused this client's key (unknown or revoked), or
    /// (`wrongServerKey`) the server is not the one whose public key the client was given.
    case keyRefused(endpoint: String, op: String, wrongServerKey: Bool)
    /// The request went out but no reply came back before the deadline.
    case timedOut(endpoint: String, op: String, after: Duration)
    /// The service answered with an error.
    case refused(ReplyError)
    /// The reply could not be read.
    case malformedReply(endpoint: String, reason: String)
    case closed

    public var description: String {
        switch self {
        case .unreachable(let endpoint, let op, let after):
            "no connection to \(endpoint) within \(after.seconds)s for \(op) (is the service running there?)"
        case .keyRefused(let endpoint, let op, false):
            "\(endpoint) refused this key for \(op): it is not in the centre's roster or has been revoked "
                + "(creditctl keys list; creditctl keys register)"
        case .keyRefused(let endpoint, let op, true):
            "the handshake with \(endpoint) failed for \(op): the server's public key in the roster does not match the server "
                + "listening there, or one side runs with --insecure and the other does not"
        case .timedOut(let endpoint, let op, let after):
            "\(op) sent to \(endpoint) got no reply within \(after.seconds)s"
        case .refused(let error): error.description
        case .malformedReply(let endpoint, let reason): "unreadable reply from \(endpoint): \(reason)"
        case .closed: "the client was closed"
        }
    }
}

extension Duration {
    var seconds: String {
        let (s, atto) = components
        let value = Double(s) + Double(atto) / 1e18
        return value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}

/// Sends requests to one service's ROUTER over a DEALER socket and matches replies by id.
///
/// `ZMQ_IMMEDIATE` is on, so a request is only queued once the connection is complete; until then
/// sending is retried every 25 ms, which lets the caller tell "nobody there" from "no answer".
public final class BusClient: Sendable {
    public let endpoint: String
    private let loop: SocketLoop
    private let dealer: SocketLoop.SocketHandle
    /// Requests awaiting their reply frame, by id. The frame is read by the waiting task, not on the
    /// socket's thread.
    private let pending = Mutex<[String: CheckedContinuation<[UInt8], any Error>]>([:])
    private let closed = Atomic<Bool>(false)
    private let handshakes = HandshakeFailures()

    /// - Parameter security: `.curveClient` with the server's public key and this party's key pair,
    ///   or `.none` for a server started with `--insecure`.
    public init(endpoint: String, security: SocketSecurity = .none, maxMessageSize: Int64 = 64 << 20) throws {
        self.endpoint = endpoint
        let socket = try ZMQSocket(type: .dealer)
        try socket.setImmediate(true)
        try socket.setMaxMessageSize(maxMessageSize)
        try socket.setReconnect(interval: 100, maximum: 2_000)
        try socket.setHighWaterMarks(send: 0, receive: 0)
        try security.apply(to: socket)
        let monitor = try socket.monitorHandshakeFailures()
        try socket.connect(endpoint)
        let loop = try SocketLoop(name: "client")
        self.loop = loop
        // The handler needs `self`; route through a box set right after init.
        let box = ReplySink()
        self.dealer = loop.add(socket) { box.deliver($0) }
        do {
            loop.add(monitor) { [handshakes] event in handshakes.note(event) }
        }
        box.client.withLock { $0 = WeakClient(self) }
        loop.start()
    }

    deinit { close() }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        loop.stop()
        let waiting = pending.withLock { map -> [CheckedContinuation<[UInt8], any Error>] in
            defer { map.removeAll() }
            return Array(map.values)
        }
        waiting.forEach { $0.resume(throwing: BusClientError.closed) }
    }

    /// Sends one request and returns its result, throwing `BusClientError.refused` for an error reply.
    public func request(
        _ op: String, as department: String? = nil, body: JSONValue = .object([:]), timeout: Duration = .seconds(10)
    ) async throws -> JSONValue {
        let reply = try await send(Request(id: UUID().uuidString, op: op, as: department, body: body), timeout: timeout)
        if let result = reply.result, reply.ok { return result }
        throw BusClientError.refused(reply.error ?? ReplyError(.internal, "error reply without details"))
    }

    /// Sends a request and decodes its result.
    public func request<T: Decodable>(
        _ op: String, as department: String? = nil, body: some Encodable, decoding: T.Type, timeout: Duration = .seconds(10)
    ) async throws -> T {
        let result = try await request(op, as: department, body: JSONValue(encoding: body), timeout: timeout)
        do {
            return try result.decode(T.self)
        } catch {
            throw BusClientError.malformedReply(endpoint: endpoint, reason: "\(op) result: \(error)")
        }
    }

    /// Sends a request and reads its result by hand (events, replays: no `Codable` round trip).
    public func request<T: JSONValueReadable>(
        _ op: String, as department: String? = nil, body: some Encodable, decoding: T.Type, timeout: Duration = .seconds(10)
    ) async throws -> T {
        let result = try await request(op, as: department, body: JSONValue(encoding: body), timeout: timeout)
        do {
            return try T(json: result)
        } catch {
            throw BusClientError.malformedReply(endpoint: endpoint, reason: "\(op) result: \(error)")
        }
    }

    /// Sends a request and reads its result with `reading`, in the one pass over the reply that finds
    /// it (a snapshot chunk, whose listings the caller keeps as their text); throws
    /// `BusClientError.refused` for an error reply.
    public func requestEncoded<T>(
        _ op: String, as department: String? = nil, body: some Encodable, timeout: Duration = .seconds(10),
        reading: (inout JSONCursor) throws -> T
    ) async throws -> T {
        let frame = try await sendFrame(
            Request(id: UUID().uuidString, op: op, as: department, body: JSONValue(encoding: body)), timeout: timeout)
        var ok = false
        var result: T?
        do {
            try JSONCursor.read(frame) { cursor in
                try cursor.members { (member: ReplyMember, cursor) in
                    switch member {
                    case .ok: ok = try cursor.bool()
                    case .result: if try !cursor.null() { result = try reading(&cursor) }
                    }
                }
            }
        } catch {
            throw BusClientError.malformedReply(endpoint: endpoint, reason: "\(op) result: \(error)")
        }
        if ok, let result { return result }
        let reply = try decodeReply(frame)
        throw BusClientError.refused(reply.error ?? ReplyError(.internal, "error reply without details"))
    }

    private enum ReplyMember: String, JSONMembers {
        case ok, result
        static let table = JSONMemberTable<ReplyMember>()
    }

    /// Sends a prepared request and returns the raw reply (ok or not).
    public func send(_ request: Request, timeout: Duration) async throws -> Reply {
        try decodeReply(try await sendFrame(request, timeout: timeout))
    }

    private func decodeReply(_ frame: [UInt8]) throws -> Reply {
        do {
            return try Reply(payload: frame)
        } catch {
            throw BusClientError.malformedReply(endpoint: endpoint, reason: "\(error)")
        }
    }

    /// Sends a prepared request and returns its reply frame.
    private func sendFrame(_ request: Request, timeout: Duration) async throws -> [UInt8] {
        guard !closed.load(ordering: .acquiring) else { throw BusClientError.closed }
        let frames: [[UInt8]] = [[], request.frame]
        let deadline = ContinuousClock.now + timeout
        return try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0[request.id] = continuation }
            attempt(frames, id: request.id, op: request.op, deadline: deadline, timeout: timeout)
        }
    }

    private func attempt(_ frames: [[UInt8]], id: String, op: String, deadline: ContinuousClock.Instant, timeout: Duration) {
        loop.send(frames, on: dealer) { [self] accepted in
            let now = ContinuousClock.now
            if accepted {
                DispatchQueue.global().asyncAfter(deadline: .now() + max(0, (deadline - now).timeInterval)) { [self] in
                    fail(id, BusClientError.timedOut(endpoint: endpoint, op: op, after: timeout))
                }
            } else if handshakes.refused.load(ordering: .relaxed) > 0 {
                fail(id, BusClientError.keyRefused(endpoint: endpoint, op: op, wrongServerKey: false))
            } else if handshakes.failed.load(ordering: .relaxed) > 2 {
                fail(id, BusClientError.keyRefused(endpoint: endpoint, op: op, wrongServerKey: true))
            } else if now < deadline, !closed.load(ordering: .acquiring) {
                DispatchQueue.global().asyncAfter(deadline: .now() + 0.025) { [self] in
                    attempt(frames, id: id, op: op, deadline: deadline, timeout: timeout)
                }
            } else {
                fail(id, BusClientError.unreachable(endpoint: endpoint, op: op, after: timeout))
            }
        }
    }

    private func fail(_ id: String, _ error: BusClientError) {
        pending.withLock { $0.removeValue(forKey: id) }?.resume(throwing: error)
    }

    /// Hands a reply frame to the request it answers, found by its `id` without reading the rest
    /// (the request reads it).
    fileprivate func deliver(_ message: ZMQMessage) {
        guard let frame = message.frames.last, let idRange = try? JSONSkim.firstMember("id", of: frame),
            let id = try? JSONSkim.string(frame, in: idRange)
        else { return }
        pending.withLock { $0.removeValue(forKey: id) }?.resume(returning: frame)
    }
}

/// Failed handshakes seen by a socket's monitor: the server's ZAP refusals, and protocol failures
/// (a CURVE client given the wrong server key).
private final class HandshakeFailures: Sendable {
    let refused = Atomic<Int>(0)
    let failed = Atomic<Int>(0)

    func note(_ event: ZMQMessage) {
        guard let frame = event.frames.first, frame.count >= 2 else { return }
        let code = Int32(frame[0]) | Int32(frame[1]) << 8
        // 0x4000 is ZMQ_EVENT_HANDSHAKE_FAILED_AUTH (zmq.h); Bus does not import the C module.
        if code == 0x4000 {
            refused.add(1, ordering: .relaxed)
        } else {
            failed.add(1, ordering: .relaxed)
        }
    }
}

/// Lets the loop's message handler reach the client without a retain cycle.
private final class ReplySink: Sendable {
    let client = Mutex<WeakClient?>(nil)
    func deliver(_ message: ZMQMessage) {
        client.withLock { $0?.value }?.deliver(message)
    }
}

private struct WeakClient: @unchecked Sendable {
    // @unchecked Sendable: holds only a weak reference to a Sendable class.
    weak var value: BusClient?
    init(_ value: BusClient) { self.value = value }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
