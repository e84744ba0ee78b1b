import Foundation
import Logging
import ServiceLifecycle

/// Runs `DispatchHandler.runDue()` periodically (`dispatch.scheduleSeconds`, default 60): objection
/// windows closing and terms ending take effect without anyone having to ask.
public struct DispatchScheduler: Service {
    let handler: DispatchHandler
    let interval: Duration
    let logger: Logger

    /// Sleeps on the handler's clock, whose days decide what is due.
    public init(handler: DispatchHandler, interval: Duration, logger: Logger) {
        self.handler = handler
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let (activated, expired) = try await handler.runDue()
                let proposed = try await handler.proposeDueRedListings()
                if proposed > 0 { logger.info("Red-list proposals by rule", metadata: ["proposals.made": "\(proposed)"]) }
                if !activated.isEmpty || !expired.isEmpty {
                    logger.info(
                        "Listings changed by the calendar",
                        metadata: ["listings.activated": "\(activated.count)", "listings.expired": "\(expired.count)"])
                }
            } catch {
                logger.error("Scheduled listing changes failed; retrying", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { [clock = handler.clock, interval] in try await clock.sleep(for: interval) }
        }
    }
}
