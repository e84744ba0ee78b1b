import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Hummingbird
import Logging
import MeshProtocol
import ServiceKit
import ServiceLifecycle

/// The public portal: `GET /` (HTML), `GET /api/v1/penalties?q=`, `GET /api/v1/blacklist?q=`,
/// `GET /api/v1/redlist?q=`, `GET /notices/{listing}?code=` (a listing's notice, 告知书, for whoever holds
/// its notice code), `GET /healthz`. Only masked identifiers are ever stored or shown.
enum DisclosureRoutes {
    /// Fetches a listing's notice from sanction-dispatch (`notice.get`).
    typealias NoticeSource = @Sendable (_ listing: String, _ code: String) async throws -> JSONValue

    static func router(queries: DisclosureQueries, notices: @escaping NoticeSource) -> Router<BasicRequestContext> {
        let router = Router()
        @Sendable func limit(_ request: Request) -> Int {
            min(max(request.uri.queryParameters.get("limit", as: Int.self) ?? 100, 1), 1_000)
        }
        router.get("/api/v1/penalties") { request, _ -> Response in
            do {
                return JSONResponses.ok(try await queries.penalties(matching: request.uri.queryParameters.get("q"), limit: limit(request)))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "penalties could not be read"))
            }
        }
        for (path, list) in [("/api/v1/blacklist", "black"), ("/api/v1/redlist", "red")] {
            router.get(RouterPath(path)) { request, _ -> Response in
                do {
                    return JSONResponses.ok(
                        try await queries.listings(list: list, matching: request.uri.queryParameters.get("q"), limit: limit(request)))
                } catch {
                    return JSONResponses.failure(ReplyError(.internal, "the \(list) list could not be read"))
                }
            }
        }
        router.get("/healthz") { _, _ -> Response in JSONResponses.ok(["status": "ok"]) }
        // The notice is personal: shown only to whoever gives its notice code (printed on the notice the
        // subject receives). A wrong code and an unknown listing get the same answer.
        router.get("/notices/{listing}") { request, context -> Response in
            let listing = context.parameters.get("listing") ?? ""
            guard let code = request.uri.queryParameters.get("code").map({ String($0) }), !code.isEmpty else {
                return JSONResponses.html(PortalPage.noticeForm(listing: listing, message: nil))
            }
            do {
                return JSONResponses.html(PortalPage.notice(try await notices(listing, code)))
            } catch BusClientError.refused(let error) where error.code == .notFound {
                return JSONResponses.html(
                    PortalPage.noticeForm(listing: listing, message: "没有与该编号和查询码相符的告知书 · No notice matches this listing and code."),
                    status: .notFound)
            } catch {
                return JSONResponses.html(
                    PortalPage.noticeForm(
                        listing: listing, message: "告知书暂时无法取得，请稍后再试 · The notice cannot be fetched now; try again shortly."),
                    status: .serviceUnavailable)
            }
        }
        router.get("/") { request, _ -> Response in
            let query = request.uri.queryParameters.get("q").map { String($0) }
            do {
                let penalties = try await queries.penalties(matching: query, limit: 200)
                let black = try await queries.listings(list: "black", matching: query, limit: 200)
                let red = try await queries.listings(list: "red", matching: query, limit: 200)
                return JSONResponses.html(PortalPage.render(query: query, penalties: penalties, black: black, red: red))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the portal could not be rendered"))
            }
        }
        return router
    }
}

/// Assembles disclosure. Config keys: `disclosure.pub`, `disclosure.router`, `disclosure.http`
/// (default 127.0.0.1:8080), and the endpoints of `registry`, `dispatch` and `repair` (for dispute marks).
public enum DisclosureService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "disclosure")) {
            DisclosureSchema.register(in: &$0)
        }
        let log = EventLog(stream: CentralService.disclosure.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.disclosure.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .disclosure)
        let registry = try topology.endpoints(of: .registry)
        let dispatch = try topology.endpoints(of: .dispatch)
        let repair = try topology.endpoints(of: .repair)
        let http = try topology.disclosureHTTP()
        let queries = DisclosureQueries(reader: database, today: { FieldDates.isoDate(Date()) })
        let dispatchClientSecurity = security
        let notices: DisclosureRoutes.NoticeSource = { listing, code in
            let client = try dispatchClientSecurity.busClient(toward: dispatch)
            defer { client.close() }
            return try await client.request(
                "notice.get", body: .object(["listing": .string(listing), "code": .string(code)]), timeout: .seconds(5))
        }
        // The public reads disclosure over HTTP; on the bus it answers only the common ops.
        struct NoOps: RequestHandler {
            var commands: CommandTable { CommandTable(service: "disclosure") }
        }
        return [
            BusServer(
                service: "disclosure", options: security.secure(try topology.serverOptions(section: "disclosure", endpoints: endpoints)),
                log: log, reader: database, handler: NoOps(), logger: logger),
            StreamSubscriber(
                stream: "registry", options: try security.subscriber(toward: registry),
                sink: DatabaseStreamSink(stream: "registry", writer: database, applier: PenaltyDisclosureApplier(), logger: logger),
                logger: logger),
            StreamSubscriber(
                stream: "dispatch", options: try security.subscriber(toward: dispatch),
                sink: DatabaseStreamSink(stream: "dispatch", writer: database, applier: ListingDisclosureApplier(), logger: logger),
                logger: logger),
            StreamSubscriber(
                stream: "repair", options: try security.subscriber(toward: repair),
                sink: DatabaseStreamSink(stream: "repair", writer: database, applier: DisputeApplier(), logger: logger),
                logger: logger),
            Application(
                router: DisclosureRoutes.router(queries: queries, notices: notices),
                configuration: .init(address: .hostname(http.host, port: http.port), serverName: "disclosure"), logger: logger),
        ]
    }
}
