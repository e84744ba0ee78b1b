import Logging
import RegistryCore
import ServiceKit

// registry: the credit archive. Config keys: registry.pub, registry.router, dataDir, logLevel.
do {
    let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "registry")
    let services = try RegistryService.make(topology: Topology(config: config), logger: logger)
    try await ServiceMain.run(services, logger: logger)
} catch {
    ServiceMain.fail(error, service: "registry")
}
