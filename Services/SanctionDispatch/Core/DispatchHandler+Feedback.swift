import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol

/// Feedback (执行反馈) from interceptors: `feedback.submit` (one event) and `feedback.batch` (many,
/// protocol 1.3), both recorded once per event id and announced on stream `feedback`, not on the
/// `dispatch` stream that interceptors follow.
extension DispatchHandler {
    /// Events `feedback.batch` takes in one request.
    public static let feedbackBatchLimit = 1_000

    /// Dispatch's second stream: `feedback.recorded` events, in table `feedback_events` of its database.
    public static func feedbackStream() -> EventLog { EventLog(stream: "feedback", table: "feedback_events") }

    func declareFeedback(in commands: inout CommandTable) {
        struct EventBody: Decodable, Sendable { var event: Event }
        // Each event stays a JSON value until judged alone: one that does not read as an event is
        // refused by its position without refusing the batch.
        commands.on("feedback.submit", access: .department, audit: .audited, body: EventBody.self) { request, caller in
            try await recordFeedback(request.event, from: caller.department)
        }
        commands.on("feedback.batch", access: .department, audit: .audited, body: EventsBody.self) { request, caller -> JSONValue in
            let events = try Self.readEvents(request, op: "feedback.batch")
            let (judged, counts) = try await recordFeedback(events, from: caller.department, op: "feedback.batch")
            if counts.refused > 0 {
                caller.logger.info(
                    "Feedback batch partly refused",
                    metadata: ["feedback.recorded": "\(counts.recorded)", "feedback.refused": "\(counts.refused)"])
            }
            return .object([
                "results": .array(judged.map(\.json)), "recorded": .int(Int64(counts.recorded)),
                "duplicates": .int(Int64(counts.duplicates)), "refused": .int(Int64(counts.refused)),
            ])
        }
        commands.on("feedback.stats", access: .anyone, audit: .query) { _ in try await feedbackStats() }
    }

    /// A batch's events (at most `feedbackBatchLimit`), each read alone: one that does not read as an
    /// event is refused by its position without refusing the batch.
    static func readEvents(_ body: EventsBody, op: String) throws(ReplyError) -> [Result<Event, ReplyError>] {
        guard body.events.count <= feedbackBatchLimit else {
            throw ReplyError(.invalid, "\(op): \(body.events.count) events; at most \(feedbackBatchLimit) in one batch")
        }
        return body.events.enumerated().map { index, value -> Result<Event, ReplyError> in
            do throws(WireShapeError) {
                return .success(try Event(json: value))
            } catch {
                return .failure(ReplyError(.badRequest, "\(op): events[\(index)]: \(error)"))
            }
        }
    }

    /// `feedback.submit`: one event, `{"id", "recorded"}`, or the refusal thrown.
    func recordFeedback(_ event: Event, from department: String) async throws -> JSONValue {
        let (judged, _) = try await recordFeedback([.success(event)], from: department, op: "feedback.submit")
        if case .refused(_, let error) = judged[0] { throw error }
        return judged[0].json
    }

    /// What became of one event of a batch (`feedback.batch`, `ack.batch`).
    enum BatchOutcome: Sendable {
        case recorded(id: String)
        case duplicate(id: String)
        /// `id` is the event's when it could be read, else "".
        case refused(id: String, ReplyError)

        var json: JSONValue {
            switch self {
            case .recorded(let id): .object(["id": .string(id), "recorded": true])
            case .duplicate(let id): .object(["id": .string(id), "recorded": false])
            case .refused(let id, let error):
                .object(["id": .string(id), "error": .object(["code": .string(error.code.rawValue), "message": .string(error.message)])])
            }
        }
    }

    /// Records feedback events once per event id, the acceptable ones of a batch in one transaction:
    /// a resend after a lost acknowledgement is acknowledged again without counting twice, and an
    /// event refused (unreadable, or another department's) is answered by its id while the others
    /// are recorded. Each recorded event is announced as `feedback.recorded` on stream `feedback`.
    func recordFeedback(
        _ events: [Result<Event, ReplyError>], from department: String, op: String
    ) async throws -> (
        [BatchOutcome], (recorded: Int, duplicates: Int, refused: Int)
    ) {
        var judged: [BatchOutcome?] = Array(repeating: nil, count: events.count)
        var accepted: [(index: Int, event: Event, feedback: CheckFeedback)] = []
        for (index, result) in events.enumerated() {
            switch result {
            case .failure(let error):
                judged[index] = .refused(id: "", error)
            case .success(let event):
                let name = events.count == 1 ? op : "\(op): \(event.id)"
                let feedback: CheckFeedback
                do {
                    feedback = try event.decodeData(CheckFeedback.self)
                } catch let error as DecodingError {
                    judged[index] = .refused(id: event.id, ReplyError(.badRequest, "\(name): event.data: \(error.fieldDescription)"))
                    continue
                } catch {
                    judged[index] = .refused(id: event.id, ReplyError(.badRequest, "\(name): event.data: \(error)"))
                    continue
                }
                guard feedback.department.rawValue == department else {
                    judged[index] = .refused(
                        id: event.id, ReplyError(.forbidden, "\(name): \(department) may not send feedback for \(feedback.department)"))
                    continue
                }
                accepted.append((index, event, feedback))
            }
        }
        if !accepted.isEmpty {
            let receivedAt = WireTime.now
            let inserted = try await writer.write { [feedbackLog, accepted] db -> [Bool] in
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT OR IGNORE INTO feedback(id, department, listing_id, measure_id, action, subject_id, decision, decided_at, received_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                return try accepted.map { _, event, feedback in
                    try insert.execute(arguments: [
                        event.id, department, feedback.listingID, feedback.measureID, feedback.action, feedback.subjectID,
                        feedback.decision, feedback.decidedAt, receivedAt,
                    ])
                    guard db.changesCount > 0 else { return false }
                    try feedbackLog.append(db, type: "feedback.recorded", json: feedback.json, id: "dispatch-feedback-\(event.id)")
                    return true
                }
            }
            for (entry, isNew) in zip(accepted, inserted) {
                judged[entry.index] = isNew ? .recorded(id: entry.event.id) : .duplicate(id: entry.event.id)
            }
        }
        let outcomes = judged.map { $0! }
        var counts = (recorded: 0, duplicates: 0, refused: 0)
        for outcome in outcomes {
            switch outcome {
            case .recorded: counts.recorded += 1
            case .duplicate: counts.duplicates += 1
            case .refused: counts.refused += 1
            }
        }
        return (outcomes, counts)
    }

    func feedbackStats() async throws -> JSONValue {
        try await writer.read { db in
            var byDepartment: [String: JSONValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT department, decision, COUNT(*) AS n FROM feedback GROUP BY department, decision") {
                let department: String = row["department"]
                var entry = byDepartment[department]?.objectValue ?? [:]
                entry[row["decision"]] = .int(row["n"])
                byDepartment[department] = .object(entry)
            }
            var byListing: [String: JSONValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT listing_id, COUNT(*) AS n FROM feedback GROUP BY listing_id") {
                byListing[row["listing_id"]] = .int(row["n"])
            }
            let total = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM feedback") ?? 0
            return .object(["total": .int(total), "byDepartment": .object(byDepartment), "byListing": .object(byListing)])
        }
    }
}
