import Bus
import Foundation
import Synchronization

/// A clock a test moves: time stands still until `advance`, which resumes every sleeper whose
/// deadline it reaches (in deadline order). Its wall time moves with it from a start date.
///
/// Tests wait for the code under test to be asleep (`waitForSleepers`) before advancing, so an
/// advance never races the sleep it is meant to end, and after advancing they wait for it to be
/// asleep again — the work of that tick is then done — before checking what it did.
public final class TestClock: Clock, Sendable {
    public typealias Duration = Swift.Duration

    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct Waiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var waiters: [Waiter] = []
        var nextID = 0
        var sleepsStarted = 0
    }

    private let state = Mutex(State())
    private let start: Date

    /// - Parameter start: the wall time at offset zero.
    public init(start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        self.start = start
    }

    /// Starts at noon UTC of a `yyyy-MM-dd` day.
    public convenience init(day: String) {
        self.init(start: Self.noon(of: day))
    }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// The wall time: the start date plus the time advanced.
    public var date: Date {
        let offset = now.offset.components
        return start.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) * 1e-18)
    }

    /// This clock as the services take it.
    public var service: ServiceClock { ServiceClock(self, wallTime: { [self] in date }) }

    /// Tasks asleep on this clock right now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Sleeps begun since the clock was made (a sleep that ended at once, its deadline already
    /// reached, counts too).
    public var sleepsStarted: Int { state.withLock { $0.sleepsStarted } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resumeNow, waiters) = state.withLock { state -> (Bool, [Waiter]) in
                    state.sleepsStarted += 1
                    if Task.isCancelled || deadline <= state.now { return (true, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (false, Self.takeSatisfied(&state))
                }
                waiters.forEach { $0.continuation.resume() }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and resumes every sleeper whose deadline is reached.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Moves time forward to noon UTC of a `yyyy-MM-dd` day (for calendars).
    public func advance(toDay day: String) {
        let target = Self.noon(of: day).timeIntervalSince(date)
        precondition(target >= 0, "a test clock moves forward only: \(day) is before \(date)")
        advance(by: .milliseconds(Int64((target * 1_000).rounded())))
    }

    /// Returns once at least `count` tasks are asleep on this clock.
    public func waitForSleepers(_ count: Int = 1) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard state.sleepers.count < count else { return true }
                state.waiters.append(Waiter(count: count, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Advances by `duration`, then waits until `count` tasks are asleep again: whatever the
    /// advance woke has done its work.
    public func advance(by duration: Duration, thenWaitForSleepers count: Int) async {
        advance(by: duration)
        await waitForSleepers(count)
    }

    private static func takeSatisfied(_ state: inout State) -> [Waiter] {
        let count = state.sleepers.count
        let ready = state.waiters.filter { $0.count <= count }
        state.waiters.removeAll { $0.count <= count }
        return ready
    }

    private static func noon(of day: String) -> Date {
        let parts = day.split(separator: "-").compactMap { Int($0) }
        precondition(parts.count == 3, "\(day) is not yyyy-MM-dd")
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 12))!
    }
}
