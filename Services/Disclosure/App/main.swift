import DisclosureCore
import Logging
import ServiceKit

// disclosure: the public portal. See DisclosureService for config keys.
do {
    let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "disclosure")
    try await ServiceMain.run(try DisclosureService.make(topology: Topology(config: config), logger: logger), logger: logger)
} catch {
    ServiceMain.fail(error, service: "disclosure")
}
