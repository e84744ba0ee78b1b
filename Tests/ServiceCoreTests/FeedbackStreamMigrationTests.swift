import Bus
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Testing

@testable import DispatchCore

/// A dispatch database from before protocol 1.3, whose `dispatch` stream announced feedback, upgraded.
@Suite struct FeedbackStreamMigrationTests {
    @Test func upgradeStartsTheFeedbackStreamWithEveryFeedbackTheDispatchStreamAnnouncedAndLeavesThatStreamAsItWas() async throws {
        let database = try DatabaseQueue()
        let migrator = ServiceDatabase.migrator { DispatchSchema.register(in: &$0) }
        try migrator.migrate(database, upTo: "dispatch-v7-active-until")
        let before: [(String, String)] = [
            ("catalogue.loaded", "dispatch-1"), ("list.added", "dispatch-2"),
            ("feedback.recorded", "dispatch-feedback-feedback-finance-C-1"),
            ("list.added", "dispatch-4"), ("feedback.recorded", "dispatch-feedback-feedback-commerce-C-9"),
        ]
        try await database.write { db in
            for (offset, (type, id)) in before.enumerated() {
                try db.execute(
                    sql: "INSERT INTO bus_events(seq, id, type, at, data) VALUES (?, ?, ?, ?, ?)",
                    arguments: [offset + 1, id, type, "2026-12-0\(offset + 1)T00:00:00.000Z", #"{"n":\#(offset + 1)}"#])
            }
        }
        try migrator.migrate(database)

        let dispatch = EventLog(stream: "dispatch")
        let feedback = DispatchHandler.feedbackStream()
        let (dispatchEvents, feedbackEvents) = try await database.read { db in
            (try dispatch.events(db, after: 0, limit: 100), try feedback.events(db, after: 0, limit: 100))
        }
        // Followers of dispatch find its history unchanged (and skip the old feedback as before), then
        // one event that says where feedback went.
        #expect(dispatchEvents.map(\.id) == before.map(\.1) + ["dispatch-6"])
        #expect(dispatchEvents.last?.type == "feedback.moved")
        #expect(
            dispatchEvents.last?.data
                == .object(["events": 2, "revision": "1.3", "stream": "feedback", "type": "feedback.recorded"]))
        #expect(feedbackEvents.map(\.seq) == [1, 2])
        #expect(feedbackEvents.map(\.id) == ["dispatch-feedback-feedback-finance-C-1", "dispatch-feedback-feedback-commerce-C-9"])
        #expect(feedbackEvents.map(\.at) == ["2026-12-03T00:00:00.000Z", "2026-12-05T00:00:00.000Z"])
        #expect(feedbackEvents.map(\.data) == [.object(["n": 3]), .object(["n": 5])])
        #expect(feedbackEvents.allSatisfy { $0.stream == "feedback" && $0.type == "feedback.recorded" })

        // New feedback follows on from them, and the dispatch stream does not move.
        let handler = DispatchHandler(writer: database, log: dispatch, feedbackLog: feedback)
        let event = Event(
            stream: "interceptor.finance", seq: 2, id: "feedback-finance-C-2", type: "feedback.block", at: "",
            data: .object([
                "checkID": "finance-C-2", "department": "finance", "subjectID": "91330500MA2D7E8F2D", "action": "government-procurement",
                "decision": "block", "listingID": "L-000001", "decidedAt": "2026-12-06T00:00:00.000Z",
            ]))
        #expect(try await handler.recordFeedback(event, from: "finance")["recorded"] == .bool(true))
        #expect(try await database.read { (try feedback.head($0), try dispatch.head($0)) } == (3, 6))
    }
}
