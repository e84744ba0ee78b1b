import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Logging
import MeshMetrics
import ServiceKit
import ServiceLifecycle

/// Assembles the registry from configuration: its database, event log, import writer, bus server and
/// metrics listener (`registry.metrics`).
public enum RegistryService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(
            path: try topology.databasePath(for: "registry"), pageSize: RegistrySchema.pageSize,
            writerCacheKiB: RegistrySchema.writerCacheKiB
        ) {
            RegistrySchema.register(in: &$0)
        }
        let log = EventLog(stream: CentralService.registry.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.registry.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .registry)
        let authority = try topology.config.section("authority", default: .standard, parse: AuthorityRules.parse)
        let metricsAddress = try topology.metricsAddress(of: .registry)
        let metrics = ServiceMetrics(service: log.stream)
        let handler = RegistryHandler(
            writer: database, log: log, authority: authority, severity: try severityRules(topology.config), metrics: metrics,
            logger: logger)
        let server = BusServer(
            service: "registry", options: security.secure(try topology.serverOptions(section: "registry", endpoints: endpoints)),
            log: log, reader: database, handler: handler, metrics: metrics, logger: logger)
        // Objections decided `revoked` withdraw the records they dispute.
        let repair = StreamSubscriber(
            stream: "repair", options: try security.subscriber(toward: try topology.endpoints(of: .repair)),
            sink: DatabaseStreamSink(
                stream: "repair", writer: database, applier: RepairOutcomeApplier(log: log, authority: authority), logger: logger),
            metrics: metrics, logger: logger)
        // Inspection results entered at grading become records of the inspecting department.
        let grading = StreamSubscriber(
            stream: "grading", options: try security.subscriber(toward: try topology.endpoints(of: .grading)),
            sink: DatabaseStreamSink(
                stream: "grading", writer: database, applier: InspectionResultApplier(log: log, authority: authority), logger: logger),
            metrics: metrics, logger: logger)
        let metricsListener = HTTPListener.metrics(
            key: CentralService.registry.metricsKey, host: metricsAddress.host, port: metricsAddress.port, metrics: metrics, logger: logger)
        // The writer starts first and stops last: batches the server accepted are stored.
        return handler.services + [server, repair, grading, metricsListener]
    }

    /// The severity rules from `registry.severity.*` (docs/CONFIG.md); a bad value stops start-up
    /// naming its key.
    public static func severityRules(_ config: SuiteConfig) throws(ConfigError) -> SeverityRules {
        do {
            return try SeverityRules.parse(config.values(under: "registry.severity."))
        } catch {
            throw ConfigError(key: error.field, source: config.file ?? "config", reason: error.reason)
        }
    }
}
