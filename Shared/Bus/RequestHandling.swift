import Foundation
import MeshProtocol

/// Who a request comes from. Over CURVE, `department` is the roster name of the key the
/// connection authenticated with (the ZAP user id is that key); without CURVE (a service started
/// with the explicit `--insecure`) it is what the request claimed in `as`.
public struct RequestContext: Sendable {
    public var department: String?
    public var authenticated: Bool
    /// The roster role of the authenticated key (`department`, `service`, `operator`).
    public var role: PeerRole?
    public var peerAddress: String?

    public init(department: String?, authenticated: Bool, role: PeerRole? = nil, peerAddress: String? = nil) {
        self.department = department
        self.authenticated = authenticated
        self.role = role
        self.peerAddress = peerAddress
    }

    /// The department, or a `forbidden` error when the request named none.
    public func requireDepartment(for op: String) throws(ReplyError) -> String {
        guard let department, !department.isEmpty else {
            throw ReplyError(.forbidden, "\(op) is made on behalf of a department; none was given (set \"as\")")
        }
        if let role, role != .department {
            throw ReplyError(.forbidden, "\(op) is made by a department; \(department) holds \(role.withArticle) key")
        }
        return department
    }
}

/// A service's commands and queries. The bus server answers `ping`, `replay`, `snapshot`, `status`
/// and `audit.verify` itself and every other op from the handler's command table.
public protocol RequestHandler: Sendable {
    /// Every op of the service, declared once (`CommandTable.on`). Read once, when the bus server
    /// is made.
    var commands: CommandTable { get }

    /// One chunk of the current state for `snapshot`, or nil when the service offers none.
    func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk?

    /// The same chunk written as the JSON of a `SnapshotChunk`, for a service that keeps its state as
    /// JSON and passes it through unparsed; `span` as `SnapshotRequest` says (nil: `limit` items).
    /// The default encodes `snapshot(cursor:limit:)` and ignores `span`.
    func encodedSnapshot(cursor: String?, limit: Int, span: Int?) async throws -> EncodedJSON?

    /// Service-specific status, returned in the `status` reply under `details`.
    func status() async -> JSONValue
}

extension RequestHandler {
    public func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk? { nil }
    public func encodedSnapshot(cursor: String?, limit: Int, span: Int?) async throws -> EncodedJSON? {
        try await snapshot(cursor: cursor, limit: limit).map { EncodedJSON(bytes: JSONText.bytes(try JSONValue(encoding: $0))) }
    }
    public func status() async -> JSONValue { .object([:]) }

    /// Runs one op through the command table with its access rule, as the bus server does but
    /// without auditing or counting it: for callers in the same process (tests, tools).
    public func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        try await commands.perform(op, body: body, context: context)
    }
}
