import CreditDomain
import Foundation
import HTTPSupport
import Hummingbird
import Logging
import MeshProtocol

/// The local HTTP API a department's business system calls:
/// `POST /v1/checks` → decision; `POST /v1/checks/batch` → many; `GET /v1/health` → replica age and
/// seq; `GET /v1/checks?limit=N` → the log.
///
/// With `tokens`, every route (`/metrics` too) first needs an active API token, and each check's
/// audit entry names the system that presented it.
enum InterceptorRoutes {
    static func router(
        checker: Checker, health: @escaping @Sendable () -> Health, tokens: APITokenStore? = nil,
        logger: Logger = Logger(label: "interceptor")
    ) -> Router<InterceptorRequestContext> {
        let router = Router(context: InterceptorRequestContext.self)
        if let tokens { router.add(middleware: APITokenMiddleware(store: tokens, logger: logger)) }
        router.post("/v1/checks") { request, context -> Response in
            do throws(ReplyError) {
                let body = try CheckRequest(body: try await JSONResponses.body(of: request))
                return JSONResponses.ok(json: try await checker.check(body, caller: context.caller).jsonBytes)
            } catch {
                return JSONResponses.failure(error)
            }
        }
        router.post("/v1/checks/batch") { request, context -> Response in
            struct Body: Decodable { var checks: [CheckRequest] }
            do throws(ReplyError) {
                let body = try await JSONResponses.decode(Body.self, from: request, limit: 4 << 20)
                return JSONResponses.ok(json: try await checker.checkBatch(body.checks, caller: context.caller).bytes)
            } catch {
                return JSONResponses.failure(error)
            }
        }
        // The cheapest answer the server gives: the floor the check API is measured against.
        router.get("/v1/ping") { _, _ -> Response in
            JSONResponses.ok(["ok": true])
        }
        router.get("/v1/health") { _, _ -> Response in
            JSONResponses.ok(health())
        }
        router.get("/v1/notices") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            guard (1...1_000).contains(limit) else {
                return JSONResponses.failure(ReplyError(.invalid, "limit must be 1…1000, got \(limit)"))
            }
            do {
                return JSONResponses.ok(JSONValue.array(try await checker.notices(limit: limit)))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the notices could not be read"))
            }
        }
        router.get("/v1/checks") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            guard (1...1_000).contains(limit) else {
                return JSONResponses.failure(ReplyError(.invalid, "limit must be 1…1000, got \(limit)"))
            }
            do {
                return JSONResponses.ok(try await checker.recentChecks(limit: limit))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the check log could not be read"))
            }
        }
        return router
    }
}
