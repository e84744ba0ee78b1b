import Foundation

/// The ZAP handler (RFC 27) of a process: authenticates every CURVE handshake on the context's
/// server sockets by the client's public key.
///
/// A CURVE server without a ZAP handler accepts any client key, so this must be started before any
/// CURVE server socket binds. `authenticate` maps a client's Z85 public key to the user id libzmq
/// then attaches to each of its messages (`ZMQMessage.userID`), or refuses it with nil.
public final class ZAPHandler: Sendable {
    public typealias Authenticate = @Sendable (_ request: ZAPRequest) -> String?

    /// What a handshake presents.
    public struct ZAPRequest: Sendable {
        public var domain: String
        public var address: String
        public var mechanism: String
        /// Z85 public key of a CURVE client.
        public var publicKey: String?
    }

    public static let endpoint = "inproc://zeromq.zap.01"
    private let loop: SocketLoop

    public init(context: ZMQContext = .shared, authenticate: @escaping Authenticate) throws {
        let router = try ZMQSocket(context: context, type: .router)
        try router.bind(Self.endpoint)
        let loop = try SocketLoop(name: "zap")
        self.loop = loop
        let handle = Box<SocketLoop.SocketHandle?>(nil)
        let socketHandle = loop.add(router) { message in
            guard let reply = Self.reply(to: message.frames, authenticate: authenticate), let handle = handle.value else { return }
            loop.send(reply, on: handle)
        }
        handle.value = socketHandle
        loop.start()
    }

    public func stop() { loop.stop() }

    /// Frames in: routing id, empty, "1.0", request id, domain, address, identity, mechanism,
    /// credentials…; out: routing id, empty, "1.0", request id, status, text, user id, metadata.
    static func reply(to frames: [[UInt8]], authenticate: Authenticate) -> [[UInt8]]? {
        guard frames.count >= 8, frames[1].isEmpty else { return nil }
        let text = { (index: Int) in String(decoding: frames[index], as: UTF8.self) }
        let requestID = frames[3]
        guard text(2) == "1.0" else {
            return [frames[0], [], Array("1.0".utf8), requestID, Array("400".utf8), Array("unsupported ZAP version".utf8), [], []]
        }
        let mechanism = text(7)
        let key = mechanism == "CURVE" && frames.count >= 9 ? CurveKeyPair.z85(frames[8]) : nil
        let request = ZAPRequest(domain: text(4), address: text(5), mechanism: mechanism, publicKey: key)
        if let user = authenticate(request) {
            return [frames[0], [], Array("1.0".utf8), requestID, Array("200".utf8), Array("OK".utf8), Array(user.utf8), []]
        }
        return [frames[0], [], Array("1.0".utf8), requestID, Array("400".utf8), Array("unknown key".utf8), [], []]
    }
}

/// A value set once after a closure that reads it is created.
final class Box<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: written once before the loop starts, read only on the loop thread after.
    var value: Value
    init(_ value: Value) { self.value = value }
}
