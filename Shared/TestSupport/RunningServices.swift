import ServiceLifecycle

/// Runs `services` as child tasks while `body` runs, then cancels them and waits for them to end:
/// a core test's stand-in for the `ServiceGroup` an executable runs them in.
public func whileRunning<Result: Sendable>(
    _ services: [any Service], _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services {
            group.addTask {
                do {
                    try await service.run()
                } catch is CancellationError {}
            }
        }
        let result = try await body()
        group.cancelAll()
        try await group.waitForAll()
        return result
    }
}
