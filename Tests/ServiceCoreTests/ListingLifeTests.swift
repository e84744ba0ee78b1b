import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

@testable import DispatchCore

/// Objection window, expiry and extension of listings, with a controlled clock and the shipped calendar.
@Suite struct ListingLifeTests {
    let database: DatabaseQueue
    let log = EventLog(stream: "dispatch")
    let clock = TestClock(day: "2026-09-28")
    let handler: DispatchHandler

    init() throws {
        database = try ServiceDatabase.inMemory { DispatchSchema.register(in: &$0) }
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/calendar.yaml")
        let calendar = try WorkingCalendar.load(contentsOf: url)
        handler = DispatchHandler(
            writer: database, log: log, policy: DispatchPolicy(objectionWorkingDays: 5, calendar: calendar), clock: clock.service)
    }

    func initiate(_ list: String = "black", until: String = "2027-12-31") async throws -> Listing {
        try await handler.initiate(
            InitiateRequest(list: list, subject: "91330500MA2D7E8F2D", basis: "b", document: "d", until: until), by: "market")
    }

    func types() async throws -> [String] {
        try await database.read { try log.events($0, after: 0, limit: 100) }.map(\.type)
    }

    @Test func blackListingWaitsFiveWorkingDaysAcrossTheNationalHolidayBeforeItTakesEffect() async throws {
        // Monday 28 September 2026: five working days skip 1–7 October (国庆) and count Saturday 10 October (调休).
        let listing = try await initiate()
        #expect(listing.status == .pending)
        #expect(listing.objectionDeadline == "2026-10-10", "29, 30 Sep, 8, 9, 10 Oct are the working days")
        #expect(try await types() == ["list.pending"], "notified, not pushed for enforcement")
        clock.advance(toDay: "2026-10-10")
        #expect(try await handler.runDue().activated.isEmpty, "the deadline day still belongs to the subject")
        clock.advance(toDay: "2026-10-11")
        #expect(try await handler.runDue().activated == [listing.id])
        #expect(try await types() == ["list.pending", "list.added"])
        #expect(try await handler.runDue().activated.isEmpty, "running again changes nothing")
    }

    @Test func aDeadlineCountedPastTheCalendarIsSetButFlaggedInStatus() async throws {
        #expect(await handler.status()["calendar"]?["warning"] == nil, "2026 is listed in full")
        #expect(await handler.status()["calendar"]?["lastYear"] == .int(2026))
        // Monday 28 December 2026: five working days run into 2027, whose holidays are not listed.
        clock.advance(toDay: "2026-12-28")
        let listing = try await initiate()
        #expect(listing.objectionDeadline == "2027-01-05", "29, 30, 31 Dec, (1 Jan listed), 4, 5 Jan")
        let calendar = try #require(await handler.status()["calendar"])
        #expect(calendar["deadlinesBeyond"] == .int(1))
        #expect(calendar["lastBeyond"]?["deadline"] == "2027-01-05" && calendar["lastBeyond"]?["uncoveredYears"] == .array([.int(2027)]))
        let warning = try #require(calendar["warning"]?.stringValue)
        #expect(warning.contains("1 deadline(s) counted into 2027") && warning.contains("dispatch.calendar"), "\(warning)")
        // Once the year itself is past the calendar, status says so even before any deadline.
        clock.advance(toDay: "2027-01-06")
        let fresh = DispatchHandler(
            writer: database, log: log, policy: DispatchPolicy(objectionWorkingDays: 5, calendar: handler.policy.calendar),
            clock: clock.service)
        #expect(await fresh.status()["calendar"]?["warning"]?.stringValue?.contains("lists no holidays for 2027") == true)
    }

    @Test func anObjectionHoldsTheListingUntilTheInitiatorConfirmsIt() async throws {
        let listing = try await initiate()
        _ = try await handler.object(listing.id, reason: "已履行完毕")
        clock.advance(toDay: "2026-10-20")
        #expect(
            try await handler.runDue().activated.isEmpty,
            "suspended while the objection is verified (Huzhou Joint Reward and Punishment Opinions, item 18)")
        await #expect { _ = try await handler.confirm(listing.id, by: "finance") } throws: { ($0 as? ReplyError)?.code == .forbidden }
        let confirmed = try await handler.confirm(listing.id, by: "market")
        #expect(confirmed.status == .active && confirmed.objection == nil && confirmed.start == "2026-10-20")
        await #expect { _ = try await handler.object(listing.id, reason: "late") } throws: { ($0 as? ReplyError)?.code == .conflict }
    }

    @Test func objectionsAfterTheWindowAreRefused() async throws {
        let listing = try await initiate()
        clock.advance(toDay: "2026-10-11")
        await #expect { _ = try await handler.object(listing.id, reason: "too late") } throws: {
            ($0 as? ReplyError)?.message.contains("closed on 2026-10-10") == true
        }
    }

    @Test func keyAttentionAndRedListingsTakeEffectAtOnce() async throws {
        #expect(try await initiate("key-attention").status == .active)
        #expect(try await types() == ["list.added"])
    }

    @Test func listingsEndOnTheirEndDateByThemselves() async throws {
        let listing = try await initiate("red", until: "2026-10-31")
        clock.advance(toDay: "2026-10-31")
        #expect(try await handler.runDue().expired.isEmpty)
        clock.advance(toDay: "2026-11-01")
        #expect(try await handler.runDue().expired == [listing.id])
        let removed = try await database.read { try ListingStore(log: log).get(listing.id, in: $0) }
        #expect(removed?.status == .removed && removed?.removalReason == "term ended on 2026-10-31")
        #expect(try await types().last == "list.removed")
    }

    @Test func theSchedulerActivatesAndExpiresListingsWhenItsClockPassesTheirDates() async throws {
        let pending = try await initiate("black", until: "2026-10-31")
        let red = try await initiate("red", until: "2026-10-20")
        var logger = Logger(label: "scheduler")
        logger.logLevel = .critical
        let scheduler = DispatchScheduler(handler: handler, interval: .seconds(60), logger: logger)
        func status(_ id: String) async throws -> Listing.Status? {
            try await database.read { try ListingStore(log: log).get(id, in: $0) }?.status
        }
        try await whileRunning([scheduler]) { () async throws -> Void in
            await clock.waitForSleepers()  // its first pass is done
            #expect(try await status(pending.id) == .pending)
            #expect(try await status(red.id) == .active)
            clock.advance(toDay: "2026-10-10")
            await clock.waitForSleepers()
            #expect(try await status(pending.id) == .pending, "the deadline day still belongs to the subject")
            // A pass at 23:59:30; the next is due at 00:00:30 on the 11th.
            await clock.advance(by: .seconds(11 * 3_600 + 59 * 60 + 30), thenWaitForSleepers: 1)
            let passes = clock.sleepsStarted
            await clock.advance(by: .seconds(30), thenWaitForSleepers: 1)
            #expect(FieldDates.isoDate(clock.date) == "2026-10-11")
            #expect(clock.sleepsStarted == passes, "no pass before its interval is up")
            #expect(try await status(pending.id) == .pending, "the window has closed, but no pass has run since")
            await clock.advance(by: .seconds(30), thenWaitForSleepers: 1)
            #expect(clock.sleepsStarted == passes + 1)
            #expect(try await status(pending.id) == .active)
            clock.advance(toDay: "2026-10-20")
            await clock.waitForSleepers()
            #expect(try await status(red.id) == .active, "the end day still belongs to the listing")
            clock.advance(toDay: "2026-10-21")
            await clock.waitForSleepers()
            #expect(try await status(red.id) == .removed)
        }
        #expect(try await types() == ["list.pending", "list.added", "list.added", "list.removed"])
    }

    @Test func onlyTheInitiatorExtendsAndOnlyForward() async throws {
        let listing = try await initiate("red", until: "2026-12-31")
        await #expect { _ = try await handler.extend(listing.id, until: "2027-06-30", reason: "r", by: "finance") } throws: {
            ($0 as? ReplyError)?.code == .forbidden
        }
        await #expect { _ = try await handler.extend(listing.id, until: "2026-11-30", reason: "r", by: "market") } throws: {
            ($0 as? ReplyError)?.code == .invalid
        }
        let extended = try await handler.extend(listing.id, until: "2027-06-30", reason: "continued conduct", by: "market")
        #expect(extended.until == "2027-06-30")
        #expect(try await types().last == "list.extended")
    }

    @Test func complianceCountsPushesAcknowledgementsAndFlagsTheLaggard() async throws {
        // Two listings take effect and one is lifted; finance acknowledges everything, commerce nothing.
        let first = try await initiate("red")
        let second = try await handler.initiate(
            InitiateRequest(list: "red", subject: "91330502MA28K6XY14", basis: "b", document: "d2", until: "2027-12-31"), by: "market")
        _ = try await handler.remove(second.id, reason: "revoked", by: "market")
        let events = try await database.read { try log.events($0, after: 0, limit: 10) }
        for (number, event) in events.enumerated() {
            let listing = try event.decodeData(Listing.self)
            let ack = Event(
                stream: "interceptor.finance", seq: Int64(number + 1), id: "ack-finance-\(event.seq)",
                type: event.type == "list.removed" ? "listing.lifted" : "listing.applied", at: WireTime.now,
                data: .object([
                    "listingID": .string(listing.id), "department": "finance", "dispatchSeq": .int(event.seq),
                    "subjectID": .string(listing.subjectID),
                ]))
            _ = try await handler.recordAck(ack, from: "finance")
            #expect(try await handler.recordAck(ack, from: "finance")["recorded"] == .bool(false), "a resend counts once")
        }
        let late = DispatchHandler(
            writer: database, log: log, policy: DispatchPolicy(departments: ["finance", "commerce"], ackDeadlineSeconds: 1),
            clock: ServiceClock(ContinuousClock(), wallTime: { Date().addingTimeInterval(5) }))
        let report = try await late.complianceReport()
        let finance = try #require(report.departments.first { $0.department == "finance" })
        let commerce = try #require(report.departments.first { $0.department == "commerce" })
        #expect(finance.listingsPushed == 2 && finance.listingsAcknowledged == 2 && finance.liftsPushed == 1 && finance.liftsConfirmed == 1)
        #expect(!finance.flagged && finance.ackLatencyP50Seconds != nil)
        #expect(commerce.listingsAcknowledged == 0 && commerce.overdue == 3 && commerce.flagged)
        #expect(report.activeByList == ["red": 1] && report.activeByInitiator == ["market": 1])
        _ = first
    }

    @Test func aBatchOfAcknowledgementsIsRecordedTogetherAndEachRefusalStaysWithItsEvent() async throws {
        let handler = DispatchHandler(writer: database, log: log, policy: DispatchPolicy(departments: ["finance"]), clock: clock.service)
        let listing = try await initiate("red")
        let event = try #require(try await database.read { try log.events($0, after: 0, limit: 1) }.first)
        func ack(_ id: String, type: String = "listing.applied", department: String = "finance") -> Event {
            Event(
                stream: "interceptor.finance", seq: 1, id: id, type: type, at: WireTime.now,
                data: .object([
                    "listingID": .string(listing.id), "department": .string(department), "dispatchSeq": .int(event.seq),
                    "subjectID": .string(listing.subjectID),
                ]))
        }
        let own = ack("ack-finance-\(event.seq)-\(event.at.filter(\.isNumber))")
        let judged = try await handler.recordAcks(
            [
                .success(own), .success(own), .success(ack("a2", department: "commerce")), .success(ack("a3", type: "feedback.block")),
                .failure(ReplyError(.badRequest, "ack.batch: events[4]: no id")),
            ], from: "finance", op: "ack.batch")
        #expect(judged.map(\.json["recorded"]) == [.bool(true), .bool(false), nil, nil, nil], "a resend in the batch counts once")
        #expect(judged[2].json["error"]?["message"] == "ack.batch: a2: finance may not acknowledge for commerce")
        #expect(judged[3].json["error"]?["code"] == "invalid" && judged[4].json["error"]?["code"] == "bad-request")
        #expect(try await handler.complianceReport().departments.first { $0.department == "finance" }?.listingsAcknowledged == 1)
    }

    @Test func acknowledgementsOfEventsFromAnotherHistoryCountForNothing() async throws {
        // A dispatch restored from a backup gives seq 1 to another event than the one an interceptor
        // acknowledged, and it has no event at the seq of a snapshot the interceptor loaded before.
        let handler = DispatchHandler(writer: database, log: log, policy: DispatchPolicy(departments: ["finance"]), clock: clock.service)
        let listing = try await initiate("red")
        let event = try #require(try await database.read { try log.events($0, after: 0, limit: 1) }.first)
        #expect(event.type == "list.added")
        func ack(_ id: String, type: String = "listing.applied", seq: Int64) -> Event {
            Event(
                stream: "interceptor.finance", seq: 1, id: id, type: type, at: WireTime.now,
                data: .object([
                    "listingID": .string(listing.id), "department": "finance", "dispatchSeq": .int(seq),
                    "subjectID": .string(listing.subjectID),
                ]))
        }
        #expect(try await handler.recordAck(ack("ack-finance-1-20260101000000000", seq: 1), from: "finance")["recorded"] == .bool(false))
        #expect(
            try await handler.recordAck(ack("ack-finance-snapshot-40-0a1b2c3d", type: "snapshot.applied", seq: 40), from: "finance")[
                "recorded"]
                == .bool(false))
        let report = try await handler.complianceReport()
        #expect(report.departments.first { $0.department == "finance" }?.listingsAcknowledged == 0)
        // The acknowledgement of the event this log holds counts.
        let own = ack("ack-finance-1-\(event.at.filter(\.isNumber))", seq: 1)
        #expect(try await handler.recordAck(own, from: "finance")["recorded"] == .bool(true))
        #expect(try await handler.complianceReport().departments.first { $0.department == "finance" }?.listingsAcknowledged == 1)
    }

    @Test func endedTermsAreFoundThroughTheIndexNotByReadingEveryActiveListing() async throws {
        let plan = try await database.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "EXPLAIN QUERY PLAN SELECT number, data FROM listings WHERE status = 'active' AND json_extract(data, '$.until') < ?",
                arguments: ["2026-01-01"]
            ).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("listings_active_until") }, "\(plan)")
    }
}
