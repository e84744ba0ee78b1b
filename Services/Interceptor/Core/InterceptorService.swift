import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import HummingbirdTLS
import Logging
import MeshMetrics
import MeshProtocol
import ServiceKit
import ServiceLifecycle

/// Assembles one department's interceptor: replica database, follower of dispatch's stream, check
/// API over HTTP and ZeroMQ, feedback outbox forwarded to dispatch.
///
/// Config keys: `interceptors.<dept>.pub`, `.router`, `.http` (the check API and `/metrics`); `interceptors.<dept>.actions` (the
/// department's business actions that no measure restricts, answered `allow` rather than refused as
/// unknown; default none); `interceptor.staleAfter` (seconds
/// without hearing dispatch before answers say the replica is stale, default 30);
/// `interceptor.stalePolicy` (what a stale replica does to answers: `answer`, `review`, `block`;
/// default `answer`); the endpoints of
/// `dispatch`. The database is `<dataDir>/interceptor-<dept>.sqlite`.
public enum InterceptorService {
    public static func make(department rawDepartment: String, topology: Topology, logger: Logger) throws -> [any Service] {
        let department: Department
        do {
            department = try Department(validating: rawDepartment)
        } catch {
            throw ConfigError(key: "--dept", source: "command line", reason: "\(error)")
        }
        let config = topology.config
        let staleAfter = Double(try config.int("interceptor.staleAfter", default: 30, range: 1...86_400))
        let policyText = config.string("interceptor.stalePolicy", default: StalePolicy.answer.rawValue)
        guard let stalePolicy = StalePolicy(rawValue: policyText) else {
            throw ConfigError(
                key: "interceptor.stalePolicy", source: config.lookup("interceptor.stalePolicy")?.source ?? "config",
                reason: "\"\(policyText)\" is not one of answer, review, block")
        }
        let declaredActions = try Self.declaredActions(of: department, config: config)
        let databasePath = try topology.databasePath(for: "interceptor-\(department)")
        let database = try ServiceDatabase.open(path: databasePath) { InterceptorSchema.register(in: &$0) }
        let log = EventLog(stream: "interceptor.\(department)")
        // The journal in front of the check log, beside the database: what a crash left in it moves
        // into the database now, before the first check.
        let checkLog = try CheckLog(
            path: CheckLog.journalPath(database: databasePath), department: department, writer: database, log: log,
            logger: logger)
        let metrics = ServiceMetrics(service: log.stream)
        let index = ReplicaIndex()
        try index.load(from: database)
        // The interceptor is its department's agent: it holds the department's key, as server and client.
        let security = try topology.serviceSecurity(as: department.rawValue, logger: logger)
        let dispatch = try topology.endpoints(of: .dispatch)
        let toDispatch = try security.client(toward: dispatch)
        let follower = StreamSubscriber(
            stream: "dispatch", options: try security.subscriber(toward: dispatch),
            sink: DatabaseStreamSink(
                stream: "dispatch", writer: database,
                applier: DispatchReplicaApplier(index: index, log: log, department: department.rawValue), logger: logger),
            metrics: metrics, logger: logger)
        let replicaState: @Sendable () -> ReplicaState = {
            let status = follower.status
            // Every check reports it: the follower's clock, not its last-heard text parsed again.
            let age = status.lastHeard == nil ? nil : follower.silentSeconds
            return ReplicaState(
                seq: status.applied, publisherHead: status.publisherHead, activeListings: index.activeCount,
                catalogueVersion: index.catalogue?.version, lastHeard: status.lastHeard, ageSeconds: age,
                stale: age.map { $0 > staleAfter } ?? true, state: status.state.rawValue,
                lastError: status.state == .live ? nil : status.lastError, rebuilt: status.rebuilt)
        }
        // Whether a listing is in force is judged by the (possibly shifted, todayOffsetDays) date.
        let wallTime = try config.shiftedWallTime()
        let checker = Checker(
            checkLog: checkLog, writer: database, index: index, replicaState: replicaState, stalePolicy: stalePolicy,
            declaredActions: declaredActions, metrics: metrics,
            today: { FieldDates.isoDate(wallTime()) })
        let forwarder = OutboxForwarder(
            target: "dispatch.feedback", log: log, writer: database,
            types: ["feedback.block", "feedback.review", "feedback.fast-track"], endpoint: dispatch.router,
            op: "feedback.submit", batchOp: "feedback.batch", department: department.rawValue, security: toDispatch, logger: logger)
        // Responses (响应): every listing applied or lifted, and each snapshot, acknowledged to dispatch,
        // what gathered in 0.25–0.75 s in one `ack.batch` (protocol 1.5; one `ack.submit` each to an older
        // dispatch). Gathering longer costs nothing in accounting (an acknowledgement carries its own
        // time) and takes the acknowledgements of many listings in one request and one transaction each side.
        let acknowledgements = OutboxForwarder(
            target: "dispatch.acks", log: log, writer: database, types: ["listing.applied", "listing.lifted", "snapshot.applied"],
            endpoint: dispatch.router, op: "ack.submit", batchOp: "ack.batch", department: department.rawValue, security: toDispatch,
            linger: .milliseconds(500), logger: logger)
        // What the outbox has not delivered: the events past the position of the forwarder furthest behind.
        let outboxPending = metrics.gauge(.outboxPending, [("service", metrics.service)])
        metrics.onScrape { outboxPending.record(max(forwarder.pending, acknowledgements.pending)) }
        let handler = InterceptorHandler(checker: checker, replicaState: replicaState, pendingFeedback: { forwarder.pending })
        let endpoints = try topology.interceptorEndpoints(of: department.rawValue)
        let server = BusServer(
            service: "interceptor.\(department)",
            options: security.secure(try topology.serverOptions(section: "interceptors.\(department)", endpoints: endpoints)),
            log: log, reader: database, handler: handler, metrics: metrics, logger: logger)
        let http = try topology.interceptorHTTP(of: department.rawValue)
        let access = try CheckAPIAccess.load(department: department.rawValue, http: http, topology: topology)
        var tokens: APITokenStore?
        if access.auth == .tokens {
            do {
                tokens = try APITokenStore(path: access.tokensPath, logger: logger)
            } catch {
                throw ConfigError(key: "interceptors.\(department).tokens", source: "config", reason: "\(error)")
            }
            let active = (try? tokens?.current().get())?.entries.filter(\.isActive).count ?? 0
            if active == 0 {
                logger.warning(
                    "No API token issued: the check API refuses every request until one is (creditctl token add NAME --dept \(department))",
                    metadata: ["tokens.path": "\(access.tokensPath)"])
            }
        }
        let tls: TLSConfiguration?
        do {
            tls = try access.tls?.serverConfiguration()
        } catch {
            throw ConfigError(key: error.key, source: "config", reason: error.reason)
        }
        let router = InterceptorRoutes.router(checker: checker, health: handler.health, tokens: tokens, logger: logger)
        router.addMetrics(metrics)
        let app = try HTTPListener(
            key: "interceptors.\(department).http", host: http.host, port: http.port, router: router,
            serverName: "interceptor-\(department)", tls: tls, logger: logger)
        logger.info(
            "Check API configured",
            metadata: [
                "http.address": "\(http)", "http.scheme": "\(tls == nil ? "http" : "https")", "http.auth": "\(access.auth.rawValue)",
            ])
        // The check log last to stop: after the check API and ZeroMQ server, it moves what its journal holds.
        return [checkLog, server, follower, forwarder, acknowledgements, app]
    }

    /// `interceptors.<dept>.actions`: a list (or comma-separated text) of actions of 1–100 characters
    /// without spaces or commas, such as `issue-invoice`.
    static func declaredActions(of department: Department, config: SuiteConfig) throws(ConfigError) -> Set<String> {
        let key = "interceptors.\(department.rawValue).actions"
        guard let (text, source) = config.lookup(key), !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        var actions: Set<String> = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let action = raw.trimmingCharacters(in: .whitespaces)
            guard !action.isEmpty, action.count <= 100, !action.contains(where: \.isWhitespace), action != "*" else {
                throw ConfigError(
                    key: key, source: source,
                    reason:
                        "\"\(action)\" is not an action; list the department's actions such as issue-invoice, 1–100 characters without spaces"
                )
            }
            actions.insert(action)
        }
        return actions
    }
}
