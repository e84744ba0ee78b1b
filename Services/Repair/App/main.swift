import Logging
import RepairCore
import ServiceKit

// repair: repair applications and their decisions. See RepairService for config keys.
do {
    let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "repair")
    try await ServiceMain.run(try RepairService.make(topology: Topology(config: config), logger: logger), logger: logger)
} catch {
    ServiceMain.fail(error, service: "repair")
}
