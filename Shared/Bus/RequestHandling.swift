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
            throw ReplyError(.forbidden, "\(op) is made by a department; \(department) holds a \(role.rawValue) key")
        }
        return department
    }
}

/// A service's commands and queries. The bus server answers `ping`, `replay`, `snapshot` and the
/// common part of `status` itself and passes every other op here.
public protocol RequestHandler: Sendable {
    /// Handles one op. Throw `ReplyError` to refuse with a reason; any other error is reported as
    /// `internal` without its details.
    func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue

    /// One chunk of the current state for `snapshot`, or nil when the service offers none.
    func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk?

    /// Service-specific status, returned in the `status` reply under `details`.
    func status() async -> JSONValue

    /// Ops that change nothing (queries) or that the handler audits itself; every other op is
    /// appended to the service's audit chain by the bus server after it is answered.
    var unauditedOps: Set<String> { get }
}

extension RequestHandler {
    public func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk? { nil }
    public func status() async -> JSONValue { .object([:]) }
    public var unauditedOps: Set<String> { [] }
}

extension JSONValue {
    /// Decodes a request body, turning decoding failures into a `bad-request` that names the field.
    public func decodeBody<T: Decodable>(_ type: T.Type, op: String) throws(ReplyError) -> T {
        do {
            return try decode(T.self)
        } catch let error as DecodingError {
            throw ReplyError(.badRequest, "\(op): \(error.fieldDescription)")
        } catch {
            throw ReplyError(.badRequest, "\(op): \(error)")
        }
    }
}

extension DecodingError {
    /// A one-line description naming the field path, for error replies.
    public var fieldDescription: String {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let parts = (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            let joined = parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
            return joined.isEmpty ? "body" : "body.\(joined)"
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath, key)) is missing"
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) is null (expected \(type))"
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
