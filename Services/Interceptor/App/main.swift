import InterceptorCore
import Foundation
import Logging
import ServiceKit

// interceptor --dept DEPT [--config FILE]: one department's check agent. See InterceptorService.
let arguments = CommandLine.arguments
guard let department = arguments.optionValue("dept") ?? ProcessInfo.processInfo.environment["CREDIT_DEPT"] else {
    ServiceMain.fail(ConfigError(key: "--dept", source: "command line", reason: "say which department this interceptor serves, e.g. --dept finance"), service: "interceptor")
}
do {
    let config = try SuiteConfig(file: arguments.configFileArgument)
    _ = ServiceMain.bootstrapLogging(config)
    let logger = Logger(label: "interceptor.\(department)")
    let services = try InterceptorService.make(department: department, topology: Topology(config: config), logger: logger)
    try await ServiceMain.run(services, logger: logger)
} catch {
    ServiceMain.fail(error, service: "interceptor")
}
