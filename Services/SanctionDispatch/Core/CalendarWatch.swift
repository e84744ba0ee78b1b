import CreditDomain
import Logging
import MeshProtocol
import Synchronization

/// Watches the working-day calendar's reach. The calendar lists the holidays of the years the State
/// Council has announced (`dispatch.calendar`); a deadline counted into a later year takes every
/// Monday to Friday for a working day, so an objection window over Spring Festival would close days
/// early. Such a deadline is still set (refusing to list a subject would be worse), but each one is
/// logged as a warning and counted, and `status` says so until the calendar is extended.
public final class CalendarWatch: Sendable {
    public let calendar: WorkingCalendar
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var deadlinesBeyond = 0
        var last: (from: String, deadline: String, years: [Int])?
    }

    public init(calendar: WorkingCalendar, logger: Logger) {
        self.calendar = calendar
        self.logger = logger
    }

    /// The working day `workingDays` after `start`, flagged when the count ran past the calendar.
    public func deadline(workingDays: Int, from start: String, for purpose: String) -> String {
        let deadline = calendar.adding(workingDays: workingDays, to: start)
        let uncovered = calendar.yearsNotCovered(from: start, through: deadline)
        guard !uncovered.isEmpty else { return deadline }
        state.withLock {
            $0.deadlinesBeyond += 1
            $0.last = (start, deadline, uncovered)
        }
        logger.warning(
            "Deadline counted past the working-day calendar; add the year's holidays to dispatch.calendar",
            metadata: [
                "deadline.purpose": "\(purpose)", "deadline.from": "\(start)", "deadline.date": "\(deadline)",
                "calendar.uncovered": "\(uncovered.map(String.init).joined(separator: ","))",
                "calendar.lastYear": "\(calendar.lastYear.map(String.init) ?? "none")",
            ])
        return deadline
    }

    /// A warning for the operator when today's year is past the calendar; nil otherwise.
    public func startupWarning(today: String) -> String? {
        guard !calendar.yearsNotCovered(from: today, through: today).isEmpty else { return nil }
        return "dispatch.calendar lists no holidays for \(today.prefix(4)) (\(coverage)): working-day deadlines "
            + "count every Monday to Friday; add the year from the State Council notice (docs/CONFIG.md)"
    }

    /// The calendar's reach and the deadlines counted past it, for `status`.
    public func status(today: String) -> JSONValue {
        let (count, last) = state.withLock { ($0.deadlinesBeyond, $0.last) }
        var details: [String: JSONValue] = [
            "years": .array(calendar.years.sorted().map { .int(Int64($0)) }),
            "lastYear": calendar.lastYear.map { .int(Int64($0)) } ?? .null,
            "deadlinesBeyond": .int(Int64(count)),
        ]
        var warnings: [String] = []
        if let warning = startupWarning(today: today) { warnings.append(warning) }
        if let last {
            details["lastBeyond"] = .object([
                "from": .string(last.from), "deadline": .string(last.deadline),
                "uncoveredYears": .array(last.years.map { .int(Int64($0)) }),
            ])
            warnings.append(
                "\(count) deadline(s) counted into \(last.years.map(String.init).joined(separator: ", ")), past the "
                    + "calendar (\(coverage)), took every Monday to Friday for a working day; add the year's "
                    + "holidays to dispatch.calendar and check those deadlines")
        }
        if !warnings.isEmpty { details["warning"] = .string(warnings.joined(separator: "; ")) }
        return .object(details)
    }

    private var coverage: String {
        calendar.years.isEmpty ? "it lists no year" : "it lists \(calendar.years.sorted().map(String.init).joined(separator: ", "))"
    }
}
