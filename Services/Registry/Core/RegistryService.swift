import Bus
import Foundation
import GRDB
import Logging
import ServiceKit
import ServiceLifecycle

/// Assembles the registry from configuration: its database, event log and bus server.
public enum RegistryService {
    public static func make(topology: Topology, logger: Logger) throws -> [any Service] {
        let database = try ServiceDatabase.open(path: try topology.databasePath(for: "registry")) {
            RegistrySchema.register(in: &$0)
        }
        let log = EventLog(stream: CentralService.registry.rawValue)
        let security = try topology.serviceSecurity(as: CentralService.registry.rawValue, logger: logger)
        let endpoints = try topology.endpoints(of: .registry)
        let server = BusServer(
            service: "registry", options: security.secure(try topology.serverOptions(section: "registry", endpoints: endpoints)),
            log: log, reader: database, handler: RegistryHandler(writer: database, log: log, authority: try topology.authority()), logger: logger)
        return [server]
    }
}
