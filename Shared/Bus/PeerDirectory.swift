/// What a key may be in the roster: a department (submits records, initiates, checks, answers for its
/// listings), a central service (talks to the others), or the credit office's operators (watch, verify).
public enum PeerRole: String, Codable, Sendable, CaseIterable {
    case department
    case service
    case `operator`

    /// "a department key", "an operator key": for messages.
    public var withArticle: String { self == .operator ? "an \(rawValue)" : "a \(rawValue)" }
}

/// An authenticated party: its roster name and role.
public struct Peer: Sendable, Equatable {
    public var name: String
    public var role: PeerRole

    public init(name: String, role: PeerRole) {
        self.name = name
        self.role = role
    }
}

/// The live roster as a server consults it: for every handshake (through the ZAP handler) and every
/// request (so a revoked key stops working on connections it already has).
public protocol PeerDirectory: Sendable {
    /// The party that holds `publicKey` (Z85), or nil when the key is unknown or revoked.
    func peer(forKey publicKey: String) -> Peer?

    /// A counter that grows whenever a key is revoked or removed. Publishers drop their subscribers'
    /// connections when it changes, so a revoked subscriber must handshake again — and is refused.
    var revocations: Int { get }
}
