import Bus
import Foundation
import GRDB
import MeshProtocol
import ServiceKit
import Synchronization
import Testing

@Suite struct EventLogTests {
    @Test func numbersEventsGapFreeAndPublishesOnlyCommittedTransactions() throws {
        let database = try ServiceDatabase.inMemory { _ in }
        let log = EventLog(stream: "s")
        let published = Mutex<[[Int64]]>([])
        log.onCommit { events in published.withLock { $0.append(events.map(\.seq)) } }
        try database.write { db in
            for _ in 0..<3 { try log.append(db, type: "a", json: .null) }
        }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try database.write { db in
                try log.append(db, type: "lost", json: .null)
                throw Abort()
            }
        }
        try database.write { db in try log.append(db, type: "b", json: .null) }
        #expect(published.withLock { $0 } == [[1, 2, 3], [4]])
        let events = try database.read { try log.events($0, after: 0, limit: 10) }
        #expect(events.map(\.seq) == [1, 2, 3, 4])
        #expect(events.map(\.type) == ["a", "a", "a", "b"])
        #expect(events.allSatisfy { $0.stream == "s" && $0.id == "s-\($0.seq)" })
    }

    @Test func replayPagesStartAfterTheGivenSeq() throws {
        let database = try ServiceDatabase.inMemory { _ in }
        let log = EventLog(stream: "s")
        try database.write { db in for _ in 0..<10 { try log.append(db, type: "a", json: .null) } }
        let page = try database.read { try log.events($0, after: 4, limit: 3) }
        #expect(page.map(\.seq) == [5, 6, 7])
        #expect(try database.read { try log.head($0) } == 10)
    }
}
