import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import Synchronization
import TestSupport
import Testing

/// A publisher's state as numbered things, some of them gone (the holes a removed listing leaves),
/// served as a snapshot by range (`span`, protocol 1.1) or, like a publisher before it, by count.
final class NumberedThings: RequestHandler, Sendable {
    let present: [Int64]
    let byRange: Bool
    let seq: Int64
    /// Every `snapshot` request's cursor (nil for the first), in arrival order.
    let cursors = Mutex<[String?]>([])

    init(count: Int64, removedEvery: Int64, byRange: Bool, seq: Int64) {
        present = (1...count).filter { $0 % removedEvery != 0 }
        self.byRange = byRange
        self.seq = seq
    }

    var commands: CommandTable { CommandTable(service: "things") }

    func item(_ number: Int64) -> SnapshotChunk.Item {
        SnapshotChunk.Item(type: "thing.added", data: .object(["n": .int(number), "text": .string("第\(number)号 \"quoted\" \\ ok")]))
    }

    /// The count-chunked snapshot every publisher offers.
    func snapshot(cursor: String?, limit: Int) async throws -> SnapshotChunk? {
        cursors.withLock { $0.append(cursor) }
        let after = Int64(cursor ?? "0") ?? 0
        let page = present.filter { $0 > after }.prefix(limit)
        let next = page.count == limit ? page.last.map { String($0) } : nil
        return SnapshotChunk(stream: "test", seq: seq, items: page.map(item), next: next)
    }

    func encodedSnapshot(cursor: String?, limit: Int, span: Int?) async throws -> EncodedJSON? {
        guard byRange, let span else {
            return try await snapshot(cursor: cursor, limit: limit).map { EncodedJSON(bytes: JSONText.bytes(try JSONValue(encoding: $0))) }
        }
        cursors.withLock { $0.append(cursor) }
        let after = Int64(cursor ?? "0") ?? 0
        let through = after + Int64(span)
        let page = present.filter { $0 > after && $0 <= through }
        let next = (present.last ?? 0) > through ? String(through) : nil
        let chunk = SnapshotChunk(stream: "test", seq: seq, items: page.map(item), next: next, span: span)
        return EncodedJSON(bytes: JSONText.bytes(try JSONValue(encoding: chunk)))
    }
}

/// Stores snapshot items by number, from the text each arrived as.
struct ThingsApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        try db.execute(sql: "INSERT INTO seen(seq, type) VALUES (?, ?)", arguments: [event.seq, event.type])
    }

    var supportsSnapshot: Bool { true }

    func resetForSnapshot(in db: Database) throws {
        try db.execute(sql: "DELETE FROM things")
    }

    func applyEncodedSnapshotItem(_ item: EncodedSnapshotChunk.Item, in db: Database) throws {
        guard case .int(let number)? = try JSONReader.value(item.data)["n"] else { throw WireShapeError("no n") }
        try db.execute(
            sql: "INSERT INTO things(n, data) VALUES (?, ?)", arguments: [number, String(decoding: item.data, as: UTF8.self)])
    }
}

/// A follower loads a snapshot over real loopback sockets: several chunks in flight from a
/// publisher that chunks by range, one at a time from one that does not, the same state either way.
@Suite(.serialized) struct SnapshotFollowingTests {
    let logger = Logger(label: "test")

    func thingsDatabase() throws -> DatabaseQueue {
        try ServiceDatabase.inMemory { migrator in
            migrator.registerMigration("things") { db in
                try db.create(table: "seen") { t in
                    t.primaryKey("seq", .integer)
                    t.column("type", .text).notNull()
                }
                try db.create(table: "things") { t in
                    t.primaryKey("n", .integer)
                    t.column("data", .text).notNull()
                }
            }
        }
    }

    @Test(arguments: [true, false])
    func followerLoadsEveryThingOnceAndStartsFromTheSnapshotsSeq(byRange: Bool) async throws {
        let handler = NumberedThings(count: 1_000, removedEvery: 7, byRange: byRange, seq: 3)
        let publisher = try TestPublisher(handler: handler)
        try publisher.append(5)  // the stream is at 5; the snapshot says 3: events 4 and 5 are replayed
        let follower = try thingsDatabase()
        var options = StreamSubscriber.Options(pubEndpoint: publisher.endpoints.pub, routerEndpoint: publisher.endpoints.router)
        options.snapshotSpan = 50
        options.snapshotChunk = 40
        options.snapshotInFlight = 3
        let subscriber = StreamSubscriber(
            stream: "test", options: options,
            sink: DatabaseStreamSink(stream: "test", writer: follower, applier: ThingsApplier(), logger: logger), logger: logger)
        let server = Task { try await publisher.server.run() }
        let follow = Task { try await subscriber.run() }
        defer {
            follow.cancel()
            server.cancel()
        }
        #expect(try await eventually(timeout: .seconds(60)) { try seen(follower) == [4, 5] }, "\(subscriber.status)")
        let things = try await follower.read { try Row.fetchAll($0, sql: "SELECT n, data FROM things ORDER BY n") }
        #expect(things.map { $0["n"] as Int64 } == handler.present)
        // Each item's text is what the publisher wrote, escapes and all.
        #expect(
            things.first?["data"] == String(decoding: JSONText.bytes(handler.item(1).data), as: UTF8.self))
        // On a loaded machine a chunk can time out and the whole load start again (a cursor of nil):
        // the load that finished is the one after the last fresh start.
        let asked = handler.cursors.withLock { $0 }
        let cursors = Array(asked[(asked.lastIndex(of: nil) ?? 0)...])
        if byRange {
            // 1…1000 in spans of 50: 20 chunks, the first without a cursor; none asked twice.
            #expect(cursors.count >= 20 && cursors.count <= 20 + 3 && cursors.first == .some(nil), "\(asked) \(subscriber.status)")
            #expect(Set(cursors.compactMap { $0 }).count == cursors.count - 1, "\(asked)")
        } else {
            #expect(cursors.count == (handler.present.count + 39) / 40, "\(asked) \(subscriber.status)")
        }
    }

    @Test func aSpanOutOfRangeIsRefused() async throws {
        let handler = NumberedThings(count: 10, removedEvery: 3, byRange: true, seq: 1)
        let publisher = try TestPublisher(handler: handler)
        let server = Task { try await publisher.server.run() }
        defer { server.cancel() }
        let client = try BusClient(endpoint: publisher.endpoints.router)
        defer { client.close() }
        await #expect(throws: BusClientError.self) {
            _ = try await client.requestEncoded("snapshot", body: SnapshotRequest(span: 0)) { cursor in
                try EncodedSnapshotChunk(cursor: &cursor)
            }
        }
        let chunk = try await client.requestEncoded("snapshot", body: SnapshotRequest(span: 4)) { cursor in
            try EncodedSnapshotChunk(cursor: &cursor)
        }
        #expect(chunk.items.count == 3 && chunk.next == "4" && chunk.span == 4 && chunk.seq == 1)
    }
}
