import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

/// Records applied events like `RecordingApplier`, and can drop them all to rebuild.
struct RebuildingApplier: StreamApplier {
    func apply(_ event: Event, in db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO seen(seq, type) VALUES (?, ?)", arguments: [event.seq, event.type])
    }

    var supportsRebuild: Bool { true }

    func resetForRebuild(in db: Database) throws {
        try db.execute(sql: "DELETE FROM seen")
    }
}

/// A publisher restored from a backup and written to again, past the follower's position: the
/// follower must notice that the events at the seqs it applied are other events.
@Suite(.serialized) struct WentBackTests {
    let logger = Logger(label: "test")

    func types(_ database: DatabaseQueue) throws -> [String] {
        try database.read { try String.fetchAll($0, sql: "SELECT type FROM seen ORDER BY seq") }
    }

    /// Follows `original` to seq 5, then replaces it by `restored` (its backup at seq 3, written to up
    /// to seq 7) on the same endpoints, as a restore does; returns the follower once it reacted.
    func followThroughRestore(
        applier: some StreamApplier, until reacted: @escaping (StreamSubscriber, DatabaseQueue) throws -> Bool
    )
        async throws -> (StreamSubscriber, DatabaseQueue)
    {
        let original = try TestPublisher()
        try original.append(3, type: "old")
        let backup = try ServiceDatabase.inMemory { _ in }
        try original.database.backup(to: backup)
        try original.append(2, type: "lost")
        let follower = try followerDatabase()
        let subscriber = StreamSubscriber(
            stream: "test", options: .init(pubEndpoint: original.endpoints.pub, routerEndpoint: original.endpoints.router),
            sink: DatabaseStreamSink(stream: "test", writer: follower, applier: applier, logger: logger), logger: logger)
        let follow = Task { try await subscriber.run() }
        defer { follow.cancel() }
        let first = Task { try await original.server.run() }
        #expect(try await eventually { try seen(follower) == [1, 2, 3, 4, 5] }, "\(subscriber.status)")
        first.cancel()
        _ = await first.result

        let log = EventLog(stream: "test")
        // Written to after the restore, before the follower hears of it: head 7 is past its 5.
        try await backup.write { db in
            for index in 0..<4 { try log.append(db, type: "new", json: .object(["n": .int(Int64(index))])) }
        }
        var options = BusServerOptions(pubEndpoint: original.endpoints.pub, routerEndpoint: original.endpoints.router)
        options.heartbeatInterval = .milliseconds(200)
        let restored = BusServer(service: "test", options: options, log: log, reader: backup, handler: NoOps(), logger: logger)
        // The first server's ports are released by libzmq's I/O thread shortly after it stops: bind again until it takes.
        let second = Task {
            while !Task.isCancelled {
                do {
                    try await restored.run()
                    return
                } catch {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        defer { second.cancel() }
        #expect(try await eventually { try reacted(subscriber, follower) }, "\(subscriber.status) \((try? types(follower)) ?? [])")
        return (subscriber, follower)
    }

    @Test func aFollowerThatCanRebuildDropsTheLostEventsAndTakesTheRestoredHistory() async throws {
        let (subscriber, follower) = try await followThroughRestore(applier: RebuildingApplier()) { subscriber, follower in
            try seen(follower) == Array(1...7) && subscriber.status.rebuilt != nil && subscriber.status.state == .live
        }
        #expect(try types(follower) == ["old", "old", "old", "new", "new", "new", "new"])
        #expect(subscriber.status.rebuilt?.contains("its history was replaced") == true, "\(subscriber.status)")
        let anchor = try await follower.read { try Checkpoints.anchor($0, stream: "test") }
        #expect(anchor?.seq == 7)
    }

    @Test func aFollowerThatCannotRebuildStopsAsDivergedEvenPastItsPosition() async throws {
        let (subscriber, follower) = try await followThroughRestore(applier: RecordingApplier()) { subscriber, _ in
            subscriber.status.state == .diverged
        }
        // Nothing of the new history is applied on top of the lost one.
        try await Task.sleep(for: .milliseconds(600))
        #expect(try types(follower) == ["old", "old", "old", "lost", "lost"])
        #expect(try await follower.read { try Checkpoints.applied($0, stream: "test") } == 5)
        #expect(subscriber.status.state == .diverged)
        #expect(subscriber.status.lastError?.contains("its history was replaced") == true, "\(subscriber.status)")
    }

    @Test func theWentBackRuleComparesHeadAndAnchor() {
        let mine = EventAnchor(seq: 5, id: "test-5", at: "2026-12-01T10:00:00.000Z")
        let result = { (head: Int64, previous: EventAnchor?) in ReplayResult(stream: "test", events: [], head: head, previous: previous) }
        #expect(StreamSubscriber.wentBack(result(5, mine), applied: 5, anchor: mine) == nil)
        #expect(StreamSubscriber.wentBack(result(9, mine), applied: 5, anchor: mine) == nil)
        #expect(StreamSubscriber.wentBack(result(4, nil), applied: 5, anchor: mine)?.contains("head 4 is behind applied seq 5") == true)
        let other = EventAnchor(seq: 5, id: "test-5", at: "2026-12-02T08:00:00.000Z")
        #expect(StreamSubscriber.wentBack(result(9, other), applied: 5, anchor: mine)?.contains("history was replaced") == true)
        // Without an anchor (a position from a snapshot, or a publisher that does not send one), only the head counts.
        #expect(StreamSubscriber.wentBack(result(9, other), applied: 5, anchor: nil) == nil)
        #expect(StreamSubscriber.wentBack(result(9, nil), applied: 5, anchor: mine) == nil)
    }
}
