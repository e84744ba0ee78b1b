import Foundation
import InterceptorCore
import ServiceKit

// interceptor --dept DEPT [--config FILE]: one department's check agent. Config keys: see InterceptorService.
guard let department = CommandLine.arguments.optionValue("dept") ?? ProcessInfo.processInfo.environment["CREDIT_DEPT"] else {
    ServiceMain.fail(
        ConfigError(key: "--dept", source: "command line", reason: "say which department this interceptor serves, e.g. --dept finance"),
        service: "interceptor")
}
await ServiceMain.main(service: "interceptor.\(department)") {
    try InterceptorService.make(department: department, topology: $0, logger: $1)
}
