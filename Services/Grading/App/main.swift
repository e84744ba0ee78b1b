import Logging
import GradingCore
import ServiceKit

// grading: scores, grades and supervision classes. See GradingService for config keys.
do {
    let config = try SuiteConfig(file: CommandLine.arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "grading")
    try await ServiceMain.run(try GradingService.make(topology: Topology(config: config), logger: logger), logger: logger)
} catch {
    ServiceMain.fail(error, service: "grading")
}
