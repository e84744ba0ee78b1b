import Foundation
import InterceptorCore
import NIOCore
import NIOPosix
import ServiceKit

// interceptor --dept DEPT [--config FILE]: one department's check agent. Config keys: see InterceptorService.
guard let department = CommandLine.arguments.optionValue("dept") ?? ProcessInfo.processInfo.environment["CREDIT_DEPT"] else {
    ServiceMain.fail(
        ConfigError(key: "--dept", source: "command line", reason: "say which department this interceptor serves, e.g. --dept finance"),
        service: "interceptor")
}
// Tasks run on the HTTP server's event loops rather than hopping to Swift's own pool and back: a
// check is a few microseconds of work between two hops.
NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
await ServiceMain.main(service: "interceptor.\(department)") {
    try InterceptorService.make(department: department, topology: $0, logger: $1)
}
