import CLibZMQ
import Foundation
import Synchronization

/// The socket types the suite uses.
public enum ZMQSocketType: Sendable {
    case pub, sub, router, dealer, req, rep, push, pull, pair

    var rawValue: Int32 {
        switch self {
        case .pub: ZMQ_PUB
        case .sub: ZMQ_SUB
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .req: ZMQ_REQ
        case .rep: ZMQ_REP
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        }
    }
}

/// One received multipart message, with the properties libzmq attaches to it.
public struct ZMQMessage: Sendable {
    public var frames: [[UInt8]]
    /// The ZAP user id of the authenticated peer (`User-Id` property), when a ZAP handler set one.
    public var userID: String?
    /// The peer's address (`Peer-Address` property), when the transport provides one.
    public var peerAddress: String?

    public init(frames: [[UInt8]], userID: String? = nil, peerAddress: String? = nil) {
        self.frames = frames
        self.userID = userID
        self.peerAddress = peerAddress
    }
}

/// A libzmq socket. Not thread-safe, like the socket it wraps: create it, then use it from one
/// thread only (normally a `SocketLoop`).
public final class ZMQSocket {
    let handle: UnsafeMutableRawPointer
    public let type: ZMQSocketType
    private var closed = false

    public init(context: ZMQContext = .shared, type: ZMQSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        self.handle = handle
        self.type = type
        // A socket that lingers makes shutdown hang; every message we care about is durable elsewhere.
        try setOption(ZMQ_LINGER, 0)
    }

    deinit { close() }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: - Options

    public func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    public func setOption(_ option: Int32, int64 value: Int64) throws {
        var value = value
        guard zmq_setsockopt(handle, option, &value, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws {
        let result = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard result == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    public func setOption(_ option: Int32, string: String) throws {
        try setOption(option, bytes: Array(string.utf8))
    }

    public func subscribe(_ prefix: String = "") throws { try setOption(ZMQ_SUBSCRIBE, string: prefix) }
    public func unsubscribe(_ prefix: String = "") throws { try setOption(ZMQ_UNSUBSCRIBE, string: prefix) }

    /// Send and receive high-water marks (0 means no limit).
    public func setHighWaterMarks(send: Int32? = nil, receive: Int32? = nil) throws {
        if let send { try setOption(ZMQ_SNDHWM, send) }
        if let receive { try setOption(ZMQ_RCVHWM, receive) }
    }

    /// The largest inbound message accepted; larger ones drop the connection.
    public func setMaxMessageSize(_ bytes: Int64) throws { try setOption(ZMQ_MAXMSGSIZE, int64: bytes) }

    /// With immediate on, messages queue only on completed connections: sending with no peer fails
    /// at once (EAGAIN) instead of queueing for a peer that may never come.
    public func setImmediate(_ on: Bool) throws { try setOption(ZMQ_IMMEDIATE, on ? 1 : 0) }

    public func setIdentity(_ identity: String) throws { try setOption(ZMQ_ROUTING_ID, string: identity) }

    /// Reconnect back-off: starts at `interval` ms and doubles up to `maximum` ms.
    public func setReconnect(interval: Int32, maximum: Int32) throws {
        try setOption(ZMQ_RECONNECT_IVL, interval)
        try setOption(ZMQ_RECONNECT_IVL_MAX, maximum)
    }

    /// Transport-level heartbeats so dead peers are noticed (`ZMQ_HEARTBEAT_*`).
    public func setHeartbeat(interval: Int32, timeout: Int32) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, interval)
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, timeout)
    }

    /// Makes this socket a CURVE server with the given Z85 secret key.
    public func makeCurveServer(secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVER, Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    /// Makes this socket a CURVE client of the server with `serverKey`, using its own key pair.
    public func makeCurveClient(serverKey: String, publicKey: String, secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, string: serverKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, string: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    public func setZAPDomain(_ domain: String) throws { try setOption(ZMQ_ZAP_DOMAIN, string: domain) }

    /// The endpoint actually bound (resolves `tcp://127.0.0.1:*` to a concrete port).
    public func lastEndpoint() throws -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else {
            throw ZMQError.last("zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        }
        return String(cString: buffer)
    }

    /// Starts libzmq's monitor for failed handshakes of this socket and returns the PAIR socket that
    /// receives them: frame 0 is the 16-bit event (little-endian) and 32-bit value, frame 1 the endpoint.
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH` (value: the ZAP status) means the server refused this key;
    /// `…_PROTOCOL` during a CURVE handshake usually means a wrong server key.
    public func monitorHandshakeFailures(context: ZMQContext = .shared) throws -> ZMQSocket {
        let address = "inproc://monitor-\(UInt(bitPattern: handle))-\(Self.monitorCounter.add(1, ordering: .relaxed).newValue)"
        let events = ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        guard zmq_socket_monitor(handle, address, events) == 0 else { throw ZMQError.last("zmq_socket_monitor") }
        let pair = try ZMQSocket(context: context, type: .pair)
        try pair.connect(address)
        return pair
    }

    private static let monitorCounter = Atomic<Int>(0)

    // MARK: - Endpoints

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else {
            throw ZMQError(operation: "bind \(endpoint)", code: zmq_errno())
        }
    }

    /// Stops listening on `endpoint` and closes the connections accepted there.
    public func unbind(_ endpoint: String) throws {
        guard zmq_unbind(handle, endpoint) == 0 else {
            throw ZMQError(operation: "unbind \(endpoint)", code: zmq_errno())
        }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else {
            throw ZMQError(operation: "connect \(endpoint)", code: zmq_errno())
        }
    }

    public func disconnect(_ endpoint: String) throws {
        guard zmq_disconnect(handle, endpoint) == 0 else {
            throw ZMQError(operation: "disconnect \(endpoint)", code: zmq_errno())
        }
    }

    // MARK: - Messages

    /// Sends a multipart message. With `dontWait`, a full queue throws `wouldBlock` instead of blocking.
    public func send(_ frames: [[UInt8]], dontWait: Bool = true) throws {
        guard !frames.isEmpty else { throw ZMQError(operation: "zmq_send of a message with no frames", code: EINVAL) }
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let result = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if result < 0 { throw ZMQError.last("zmq_send") }
        }
    }

    /// Receives one multipart message, or nil when nothing is waiting (with `dontWait`).
    public func receive(dontWait: Bool = true) throws -> ZMQMessage? {
        var frames: [[UInt8]] = []
        var userID: String?
        var peerAddress: String?
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            let size = zmq_msg_recv(&message, handle, dontWait ? ZMQ_DONTWAIT : 0)
            if size < 0 {
                let error = ZMQError.last("zmq_msg_recv")
                if error.wouldBlock && frames.isEmpty { return nil }
                throw error
            }
            let data = zmq_msg_data(&message)
            let frame: [UInt8] =
                if let data, size > 0 {
                    Array(UnsafeRawBufferPointer(start: data, count: Int(size)))
                } else {
                    []
                }
            frames.append(frame)
            // A ROUTER's routing-id frame is made locally and carries no metadata; the peer's frames do.
            if userID == nil, let value = zmq_msg_gets(&message, "User-Id") { userID = String(cString: value) }
            if peerAddress == nil, let value = zmq_msg_gets(&message, "Peer-Address") { peerAddress = String(cString: value) }
            if zmq_msg_more(&message) == 0 { break }
        }
        return ZMQMessage(frames: frames, userID: userID, peerAddress: peerAddress)
    }
}
