import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import Testing

/// Records what it applies, and refuses events of type `bad` after writing a row for them (which must
/// not stay).
struct RefusingApplier: StreamApplier {
    struct Refused: Error {}
    func apply(_ event: Event, in db: Database) throws {
        try db.execute(sql: "INSERT INTO seen(seq, type) VALUES (?, ?)", arguments: [event.seq, event.type])
        if event.type == "bad" { throw Refused() }
    }
}

@Suite struct StreamSinkTests {
    func event(_ seq: Int64, _ type: String) -> Event {
        Event(stream: "test", seq: seq, id: "test-\(seq)", type: type, at: "2026-12-06T10:00:00.000Z", data: .object([:]))
    }

    func state(_ database: DatabaseQueue) throws -> (seen: [Int64], deadLetters: [Int64], applied: Int64) {
        try database.read { db in
            (
                try Int64.fetchAll(db, sql: "SELECT seq FROM seen ORDER BY seq"),
                try Int64.fetchAll(db, sql: "SELECT seq FROM bus_dead_letters ORDER BY seq"),
                try Checkpoints.applied(db, stream: "test")
            )
        }
    }

    @Test func anEventThatFailsInABatchIsKeptAsideAndTheRestApplied() async throws {
        let database = try followerDatabase()
        let sink = DatabaseStreamSink(stream: "test", writer: database, applier: RefusingApplier(), logger: Logger(label: "test"))
        try await sink.apply([event(1, "good"), event(2, "bad"), event(3, "good")])
        let after = try state(database)
        #expect(after.seen == [1, 3])
        #expect(after.deadLetters == [2])
        #expect(after.applied == 3)
        // Applied again (a redelivery), nothing changes.
        try await sink.apply([event(2, "bad"), event(3, "good")])
        #expect(try state(database) == after)
    }

    @Test func aLiveEventThatFailsIsKeptAsideAndTheStreamGoesOn() async throws {
        let database = try followerDatabase()
        let sink = DatabaseStreamSink(stream: "test", writer: database, applier: RefusingApplier(), logger: Logger(label: "test"))
        try await sink.apply([event(1, "good")])
        try await sink.apply([event(2, "bad")])
        try await sink.apply([event(3, "good")])
        let after = try state(database)
        #expect(after.seen == [1, 3])
        #expect(after.deadLetters == [2])
        #expect(after.applied == 3)
    }
}
