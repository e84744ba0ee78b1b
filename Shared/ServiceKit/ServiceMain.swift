import Foundation
import Logging
import ServiceLifecycle

/// What every executable's `main` does: bootstrap logging once, run services in a `ServiceGroup`
/// that shuts down gracefully on SIGTERM/SIGINT, and turn a start-up error into one clear line.
public enum ServiceMain {
    /// How log entries are written (`log.format`, `CREDIT_LOG_FORMAT`).
    public enum LogFormat: String, Sendable, CaseIterable {
        /// swift-log's text lines: time, level, label, metadata, message (`TextLogHandler`).
        case text
        /// One JSON object per line (`JSONLogHandler`), for log collectors.
        case json
    }

    /// The level (`logLevel`, `CREDIT_LOG_LEVEL`) and format (`log.format`) of the configuration; a
    /// format it does not know stops start-up naming the key.
    public static func logSettings(_ config: SuiteConfig) throws(ConfigError) -> (Logger.Level, LogFormat) {
        let level = Logger.Level(rawValue: config.string("logLevel", default: "info").lowercased()) ?? .info
        guard let (text, source) = config.lookup("log.format") else { return (level, .text) }
        guard let format = LogFormat(rawValue: text.lowercased()) else {
            throw ConfigError(key: "log.format", source: source, reason: "\"\(text)\" is not one of text, json")
        }
        return (level, format)
    }

    /// Bootstraps swift-log to standard error at the configured level and format.
    public static func bootstrapLogging(_ config: SuiteConfig) throws(ConfigError) -> Logger.Level {
        let (level, format) = try logSettings(config)
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = TextLogHandler(StreamLogHandler.standardError(label: label))
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
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
            _ = try bootstrapLogging(config)
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

/// swift-log's text lines (`StreamLogHandler`), with the metadata rendered when an entry is written
/// rather than whenever it is set: the HTTP server gives every request's logger an id, and
/// `StreamLogHandler` renders all its metadata again on each set — for entries a request seldom
/// writes.
public struct TextLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(_ stream: StreamLogHandler) {
        self.stream = stream
        metadata = stream.metadata
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var stream = stream
        stream.metadata = metadata
        stream.log(event: event)
    }
}
