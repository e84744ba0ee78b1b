import Foundation
import Logging
import ServiceLifecycle

/// What every executable's `main` does: bootstrap logging once, run services in a `ServiceGroup`
/// that shuts down gracefully on SIGTERM/SIGINT, and turn a start-up error into one clear line.
public enum ServiceMain {
    /// Bootstraps swift-log to standard error at the level of `logLevel` (`CREDIT_LOG_LEVEL`).
    public static func bootstrapLogging(_ config: SuiteConfig) -> Logger.Level {
        let level = Logger.Level(rawValue: config.string("logLevel", default: "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return level
    }

    public static func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The whole `main` of a service: reads the config (`--config FILE` or `CREDIT_CONFIG`), bootstraps
    /// logging, builds the services and runs them until SIGTERM/SIGINT; a start-up error is one line
    /// on standard error and a non-zero exit.
    public static func main(service name: String, make: (Topology, Logger) throws -> [any Service]) async {
        do {
            let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
            _ = bootstrapLogging(config)
            let logger = Logger(label: name)
            var topology = Topology(config: config)
            topology.insecure = CommandLine.arguments.dropFirst().contains("--insecure")
            try await run(try make(topology, logger), logger: logger)
        } catch {
            fail(error, service: name)
        }
    }

    /// Prints a start-up failure and exits with status 78 (EX_CONFIG) or 1.
    public static func fail(_ error: any Error, service: String) -> Never {
        let line = "\(service): cannot start: \(error)\n"
        FileHandle.standardError.write(Data(line.utf8))
        exit(error is ConfigError ? 78 : 1)
    }
}
