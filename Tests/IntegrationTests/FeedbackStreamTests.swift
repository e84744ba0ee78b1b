import Bus
import Foundation
import MeshProtocol
import TestSupport
import Testing

/// Feedback in batches, recorded once, on a stream of its own (protocol 1.3), across real processes:
/// dispatch records a batch in one go and answers each event by id; interceptors, which follow only
/// the `dispatch` stream, apply nothing when feedback is recorded.
@Suite(.serialized)
struct FeedbackStreamTests {
    static func feedbackEvent(_ number: Int, department: String = "finance") -> JSONValue {
        .object([
            "stream": .string("interceptor.\(department)"), "seq": .int(Int64(number)), "id": .string("feedback-\(department)-T-\(number)"),
            "type": "feedback.block", "at": "2026-12-06T00:00:00.000Z",
            "data": .object([
                "checkID": .string("\(department)-T-\(number)"), "department": .string(department),
                "subjectID": .string(GeneratedSubjects.uscc(number)), "action": "government-procurement", "decision": "block",
                "listingID": "L-000001", "measureID": "finance.procurement-ban", "decidedAt": "2026-12-06T00:00:00.000Z",
            ]),
        ])
    }

    @Test func aResentBatchIsRecordedOnceAndABadEventIsRefusedByIdWithoutLosingTheGoodOnes() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let client = try suite.client("dispatch", as: "finance")
        defer { client.close() }
        let operatorClient = try suite.client("dispatch")
        defer { operatorClient.close() }
        let dispatchHead = try await suite.request(operatorClient, "ping").get()["head"]

        var unreadable = Self.feedbackEvent(4).objectValue!
        unreadable["data"] = .object(["checkID": "finance-T-4"])
        let batch: [JSONValue] = [
            Self.feedbackEvent(1), Self.feedbackEvent(2), Self.feedbackEvent(3, department: "commerce"), .object(unreadable),
            Self.feedbackEvent(5), .string("not an event"),
        ]
        let first = try await suite.request(client, "feedback.batch", as: "finance", body: .object(["events": .array(batch)])).get()
        #expect(first["recorded"] == .int(3) && first["duplicates"] == .int(0) && first["refused"] == .int(3))
        let results = first["results"]?.arrayValue ?? []
        #expect(
            results.map { $0["id"]?.stringValue ?? "?" } == [
                "feedback-finance-T-1", "feedback-finance-T-2", "feedback-commerce-T-3", "feedback-finance-T-4", "feedback-finance-T-5", "",
            ])
        #expect(results.map { $0["error"]?["code"]?.stringValue ?? "ok" } == ["ok", "ok", "forbidden", "bad-request", "ok", "bad-request"])
        #expect(
            results[2]["error"]?["message"]?.stringValue
                == "feedback.batch: feedback-commerce-T-3: finance may not send feedback for commerce")
        #expect(results[5]["error"]?["message"]?.stringValue?.hasPrefix("feedback.batch: events[5]: ") == true)

        // Resent whole (a lost reply): nothing is recorded twice.
        let again = try await suite.request(client, "feedback.batch", as: "finance", body: .object(["events": .array(batch)])).get()
        #expect(again["recorded"] == .int(0) && again["duplicates"] == .int(3) && again["refused"] == .int(3))
        // The single op of 1.0 sees the same record.
        let single = try await suite.request(client, "feedback.submit", as: "finance", body: .object(["event": Self.feedbackEvent(2)]))
        #expect(try single.get()["recorded"] == .bool(false))
        #expect(try await suite.request(operatorClient, "feedback.stats").get()["total"] == .int(3))

        // Recorded on stream feedback, not on dispatch.
        let replay = try await suite.request(
            operatorClient, "replay", body: .object(["from": 0, "stream": "feedback"])
        ).get()
        #expect(replay["stream"] == "feedback" && replay["head"] == .int(3))
        #expect(
            replay["events"]?.arrayValue?.map { $0["id"]?.stringValue ?? "?" } == [
                "dispatch-feedback-feedback-finance-T-1", "dispatch-feedback-feedback-finance-T-2",
                "dispatch-feedback-feedback-finance-T-5",
            ])
        #expect(try await suite.request(operatorClient, "ping").get()["head"] == dispatchHead)
        let unknown = try await suite.request(operatorClient, "replay", body: .object(["from": 0, "stream": "feedbak"]))
        #expect(throws: ReplyError.self) { try unknown.get() }

        // Too many in one request: refused as a whole, naming the limit.
        let tooMany = try await suite.request(
            client, "feedback.batch", as: "finance", body: .object(["events": .array((0..<1_001).map { Self.feedbackEvent(100 + $0) })]))
        #expect(throws: ReplyError(.invalid, "feedback.batch: 1001 events; at most 1000 in one batch")) { try tooMany.get() }
    }

    @Test func interceptorsApplyNothingWhenFeedbackIsRecordedAndComplianceStillCountsIt() async throws {
        let layout = try TestSuiteLayout(departments: ["finance", "commerce"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout)
        defer { dispatch.stop() }
        let finance = try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout)
        defer { finance.stop() }
        let commerce = try SuiteProcess("interceptor", ["--dept", "commerce"], name: "interceptor-commerce", layout: layout)
        defer { commerce.stop() }

        let listings = 20
        _ = try await DeliveryTests.initiate(0..<listings, suite: suite)
        try await DeliveryTests.expectReplicasConverge(["finance", "commerce"], suite: suite)
        let operatorClient = try suite.client("dispatch")
        defer { operatorClient.close() }
        let dispatchHead = try await suite.request(operatorClient, "ping").get()["head"]?.intValue ?? -1
        func appliedAtInterceptors() async throws -> [Int64] {
            var applied: [Int64] = []
            for department in ["finance", "commerce"] {
                let client = try suite.client("interceptors.\(department)")
                defer { client.close() }
                applied.append(try await suite.request(client, "status").get()["applied"]?["dispatch"]?.intValue ?? -1)
            }
            return applied
        }
        #expect(try await appliedAtInterceptors() == [dispatchHead, dispatchHead])

        // Blocks at finance, each fed back.
        let checks = 300
        let checker = try suite.client("interceptors.finance")
        defer { checker.close() }
        for number in 0..<checks {
            let answer = try await suite.request(
                checker, "check",
                body: .object(["subject": .string(GeneratedSubjects.uscc(number % listings)), "action": "government-procurement"])
            ).get()
            #expect(answer["decision"] == "block")
        }
        var counted: Int64 = -1
        let recorded = try await eventually(timeout: .seconds(30), every: .milliseconds(200)) {
            counted = try await suite.request(operatorClient, "feedback.stats").get()["total"]?.intValue ?? -1
            return counted == Int64(checks)
        }
        #expect(recorded, "dispatch counted \(counted) of \(checks) blocks")
        // A heartbeat or two later, still nothing new for any interceptor to apply.
        try await Task.sleep(for: .seconds(2))
        #expect(try await suite.request(operatorClient, "ping").get()["head"]?.intValue == dispatchHead)
        #expect(try await appliedAtInterceptors() == [dispatchHead, dispatchHead])
        let feedbackHead = try await suite.request(operatorClient, "ping", body: .object(["stream": "feedback"])).get()["head"]
        #expect(feedbackHead == .int(Int64(checks)))

        // What counts feedback still counts it.
        let report = try await suite.request(operatorClient, "compliance.report").get()
        let row = report["departments"]?.arrayValue?.first { $0["department"] == "finance" }
        #expect(row?["feedback"]?["block"] == .int(Int64(checks)))
        #expect(report["blocksByMeasure"]?["finance.procurement-ban"]?["finance"] == .int(Int64(checks)))

        // An operator follows the feedback stream like any other (replay from 1, then live).
        let tail = try await Commands.run(
            "creditctl", ["tail", "feedback", "--from", "1", "--count", "\(checks)", "--json"], layout: layout)
        #expect(tail.status == 0, "\(tail.stderr)")
        let lines = tail.stdout.split(separator: "\n")
        #expect(lines.count == checks)
        #expect(lines.first?.contains("\"feedback.recorded\"") == true)
    }
}
