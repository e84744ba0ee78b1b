/// How a socket authenticates its connections.
///
/// A CURVE server socket must only bind after the process's `ZAPHandler` runs, or libzmq accepts
/// any client key (docs/SECURITY.md).
public enum SocketSecurity: Sendable, Equatable {
    /// No encryption, no authentication: only behind a service's explicit `--insecure`.
    case none
    /// A CURVE server with its own secret key (Z85).
    case curveServer(secretKey: String)
    /// A CURVE client: the server's public key and the client's own key pair.
    case curveClient(serverKey: String, keys: CurveKeyPair)

    /// Sets the socket's options; call before `bind`/`connect`.
    public func apply(to socket: ZMQSocket) throws {
        switch self {
        case .none: break
        case .curveServer(let secretKey): try socket.makeCurveServer(secretKey: secretKey)
        case .curveClient(let serverKey, let keys):
            try socket.makeCurveClient(serverKey: serverKey, publicKey: keys.publicKey, secretKey: keys.secretKey)
        }
    }

    public var isSecure: Bool { self != .none }
}
