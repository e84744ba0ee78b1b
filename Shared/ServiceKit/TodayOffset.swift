import Foundation

extension SuiteConfig {
    /// `todayOffsetDays` (default 0): shifts the date sanction-dispatch and the interceptors work by — objection
    /// windows, terms, the red list's clean years, whether a listing is in force — by whole days. For rehearsing
    /// a schedule and for tests that cross a window with the real processes; never in production. Event
    /// times stay real.
    public func todayOffsetDays() throws(ConfigError) -> Int {
        try int("todayOffsetDays", default: 0, range: -3_650...3_650)
    }

    /// The wall time shifted by `todayOffsetDays`.
    public func shiftedWallTime() throws(ConfigError) -> @Sendable () -> Date {
        let days = try todayOffsetDays()
        guard days != 0 else { return { Date() } }
        return { Date().addingTimeInterval(Double(days) * 86_400) }
    }
}
