import DispatchCore
import Logging
import ServiceKit

// sanction-dispatch: lists, the measure catalogue, feedback. See DispatchService for config keys.
do {
    let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "sanction-dispatch")
    let services = try DispatchService.make(topology: Topology(config: config), logger: logger)
    try await ServiceMain.run(services, logger: logger)
} catch {
    ServiceMain.fail(error, service: "sanction-dispatch")
}
