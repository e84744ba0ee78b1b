import Foundation

/// The time a service runs on: a monotonic `Clock` for intervals, deadlines and sleeping, and the
/// wall time for dates (calendars, record timestamps, heartbeats).
///
/// Every component that schedules takes one, `.system` by default; tests pass one made from a
/// test clock (`TestSupport.TestClock`) and advance it instead of sleeping, so "after the interval"
/// and "not before it" are both checked without waiting.
///
/// It wraps any `Clock<Duration>`: its instants are offsets from the moment the clock was made,
/// so code holding a `ServiceClock` never depends on the concrete clock.
public struct ServiceClock: Clock, Sendable {
    public typealias Duration = Swift.Duration

    public struct Instant: InstantProtocol, Sendable {
        /// Time since the clock was made.
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let wallTime: @Sendable () -> Date
    public let minimumResolution: Duration

    /// - Parameters:
    ///   - clock: the monotonic time; sleeping is the clock's own.
    ///   - wallTime: the current date, read whenever a service needs one.
    public init<C: Clock<Duration>>(_ clock: C, wallTime: @escaping @Sendable () -> Date) {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { offset in try await clock.sleep(until: origin.advanced(by: offset), tolerance: nil) }
        self.wallTime = wallTime
        minimumResolution = clock.minimumResolution
    }

    /// `ContinuousClock` and the system's date.
    public static let system = ServiceClock(ContinuousClock(), wallTime: { Date() })

    public var now: Instant { Instant(offset: elapsed()) }

    /// The wall time now.
    public var date: Date { wallTime() }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try await sleeper(deadline.offset)
    }
}
