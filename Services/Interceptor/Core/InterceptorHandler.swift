import Bus
import CreditDomain
import Foundation
import MeshProtocol

/// The interceptor's ZeroMQ ops: `check` (same body and answer as `POST /v1/checks`) and `health`.
struct InterceptorHandler: RequestHandler {
    let checker: Checker
    let replicaState: @Sendable () -> ReplicaState
    let pendingFeedback: @Sendable () -> Int64

    /// A check acts for this department (its block becomes the department's feedback), so over CURVE
    /// only the department's own keys and the credit office's operators may ask; other departments
    /// ask their own interceptors.
    var mayCheck: Access {
        let department = checker.department.rawValue
        return Access("\(department) or an operator") { op, context throws(ReplyError) in
            guard let role = context.role, role != .operator else { return }
            guard role == .department, context.department == department else {
                throw ReplyError(
                    .forbidden,
                    "\(op): this is \(department)'s interceptor; \(context.department ?? "?") asks its own (or the credit office asks with an operator key)"
                )
            }
        }
    }

    var commands: CommandTable {
        struct Batch: Decodable, Sendable { var checks: [CheckRequest] }
        struct Page: Decodable, Sendable { var after: String?; var limit: Int? }
        var commands = CommandTable(service: "interceptor")
        // Checks are audited by the checker, in the transaction that logs them.
        // Answers go into the reply as the text they were written as (`CheckAnswer.jsonBytes`).
        commands.on("check", access: mayCheck, audit: .byHandler, body: CheckRequest.self) { request, _ in
            EncodedJSON(bytes: try await checker.check(request).jsonBytes)
        }
        commands.on("check.batch", access: mayCheck, audit: .byHandler, body: Batch.self) { request, _ in
            try await checker.checkBatch(request.checks)
        }
        commands.on("health", access: .anyone, audit: .query) { _ in health() }
        commands.on("replica.ids", access: .anyone, audit: .query, body: Page.self) { request, _ -> JSONValue in
            let limit = min(max(request.limit ?? 1_000, 1), 10_000)
            let ids = try await checker.replicaIDs(after: request.after ?? "", limit: limit)
            return .object(["ids": .array(ids.map(JSONValue.string)), "next": ids.count == limit ? .string(ids.last!) : .null])
        }
        commands.on("checks.stats", access: .anyone, audit: .query) { _ in try await checker.stats() }
        commands.on("notices.list", access: mayCheck, audit: .query, body: Page.self) { request, _ -> JSONValue in
            .array(try await checker.notices(limit: min(max(request.limit ?? 50, 1), 1_000)))
        }
        return commands
    }

    func health() -> Health {
        Health(department: checker.department.rawValue, replica: replicaState(), pendingFeedback: pendingFeedback())
    }

    /// The health answer, and the checks answered since start by decision (`credit_checks_total`).
    func status() async -> JSONValue {
        var status = (try? JSONValue(encoding: health()))?.objectValue ?? [:]
        status["checksSinceStart"] = checker.checksSinceStart()
        return .object(status)
    }
}

/// `GET /v1/health`: the replica's seq and age, and feedback not yet acknowledged by dispatch.
public struct Health: Codable, Sendable {
    public var department: String
    public var replica: ReplicaState
    public var pendingFeedback: Int64
}
