import Bus
import CreditDomain
import Foundation
import MeshProtocol

/// The interceptor's ZeroMQ ops: `check` (same body and answer as `POST /v1/checks`) and `health`.
struct InterceptorHandler: RequestHandler {
    let checker: Checker
    let replicaState: @Sendable () -> ReplicaState
    let pendingFeedback: @Sendable () -> Int64

    func handle(op: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        switch op {
        case "check":
            return try JSONValue(encoding: try await checker.check(try body.decodeBody(CheckRequest.self, op: op)))
        case "health":
            return try JSONValue(encoding: health())
        default:
            throw ReplyError(.unknownOp, "interceptor has no op \(op); it offers check, health, ping, status, replay")
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
