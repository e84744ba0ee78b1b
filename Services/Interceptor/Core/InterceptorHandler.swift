import Bus
import CreditDomain
import Foundation
import MeshProtocol

/// The interceptor's ZeroMQ ops: `check` (same body and answer as `POST /v1/checks`) and `health`.
struct InterceptorHandler: RequestHandler {
    let checker: Checker
    let replicaState: @Sendable () -> ReplicaState
    let pendingFeedback: @Sendable () -> Int64

    /// Checks are audited by the checker, in the transaction that logs them.
    var unauditedOps: Set<String> { ["check", "check.batch", "health", "replica.ids", "checks.stats"] }

    /// A check acts for this department (its block becomes the department's feedback), so over CURVE
    /// only the department's own keys and the credit office's operators may ask; other departments
    /// ask their own interceptors.
    func mayCheck(_ op: String, context: RequestContext) throws(ReplyError) {
        guard let role = context.role, role != .operator else { return }
        guard role == .department, context.department == checker.department.rawValue else {
            throw ReplyError(
                .forbidden,
                "\(op): this is \(checker.department)'s interceptor; \(context.department ?? "?") asks its own (or the credit office asks with an operator key)")
        }
    }

    func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        if op == "check" || op == "check.batch" { try mayCheck(op, context: context) }
        switch op {
        case "check":
            return try JSONValue(encoding: try await checker.check(try body.decodeBody(CheckRequest.self, op: op)))
        case "check.batch":
            struct Body: Decodable { var checks: [CheckRequest] }
            return .object(["answers": .array(try await checker.checkBatch(try body.decodeBody(Body.self, op: op).checks))])
        case "health":
            return try JSONValue(encoding: health())
        case "replica.ids":
            struct Body: Decodable { var after: String?; var limit: Int? }
            let request = try body.decodeBody(Body.self, op: op)
            let limit = min(max(request.limit ?? 1_000, 1), 10_000)
            let ids = try await checker.replicaIDs(after: request.after ?? "", limit: limit)
            return .object(["ids": .array(ids.map(JSONValue.string)), "next": ids.count == limit ? .string(ids.last!) : .null])
        case "checks.stats":
            return try await checker.stats()
        default:
            throw ReplyError(.unknownOp, "interceptor has no op \(op); it offers check, check.batch, health, replica.ids, checks.stats, ping, status, replay")
        }
    }

    func health() -> Health {
        Health(department: checker.department.rawValue, replica: replicaState(), pendingFeedback: pendingFeedback())
    }

    func status() async -> JSONValue {
        (try? JSONValue(encoding: health())) ?? .null
    }
}

/// `GET /v1/health`: the replica's seq and age, and feedback not yet acknowledged by dispatch.
public struct Health: Codable, Sendable {
    public var department: String
    public var replica: ReplicaState
    public var pendingFeedback: Int64
}
