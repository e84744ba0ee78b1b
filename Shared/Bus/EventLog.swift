import Foundation
import GRDB
import MeshProtocol
import Synchronization

/// A service's stream: events appended inside the same SQLite transaction as the state change they
/// announce (transactional outbox), numbered gap-free, handed to the publisher after commit in
/// commit order.
public final class EventLog: Sendable {
    public let stream: String
    private let pending = Mutex<[Event]>([])
    private let sinks = Mutex<[@Sendable ([Event]) -> Void]>([])
    private let cachedHead = Atomic<Int64>(0)

    public init(stream: String) {
        self.stream = stream
    }

    /// Called after each commit with the events it made, in seq order, on the writer's queue.
    public func onCommit(_ sink: @escaping @Sendable ([Event]) -> Void) {
        sinks.withLock { $0.append(sink) }
    }

    /// Appends an event inside the caller's write transaction. The event becomes visible to
    /// subscribers only if the transaction commits.
    @discardableResult
    public func append(_ db: Database, type: String, data: some Encodable, id: String? = nil) throws -> Event {
        try append(db, type: type, json: JSONValue(encoding: data), id: id)
    }

    @discardableResult
    public func append(_ db: Database, type: String, json: JSONValue, id: String? = nil) throws -> Event {
        let seq = try head(db) + 1
        let event = Event(
            stream: stream, seq: seq, id: id ?? "\(stream)-\(seq)", type: type, at: WireTimeNow.text(), data: json)
        let dataText = String(decoding: try WireCoding.encoder.encode(json), as: UTF8.self)
        try db.execute(
            sql: "INSERT INTO bus_events(seq, id, type, at, data) VALUES (?, ?, ?, ?, ?)",
            arguments: [seq, event.id, type, event.at, dataText])
        let isFirstInTransaction = pending.withLock { queue -> Bool in
            queue.append(event)
            return queue.count == 1
        }
        if isFirstInTransaction {
            db.afterNextTransaction(
                onCommit: { [self] _ in
                    let committed = pending.withLock { queue -> [Event] in
                        defer { queue.removeAll() }
                        return queue
                    }
                    if let last = committed.last { cachedHead.store(last.seq, ordering: .releasing) }
                    for sink in sinks.withLock({ $0 }) { sink(committed) }
                },
                onRollback: { [self] _ in pending.withLock { $0.removeAll() } })
        }
        return event
    }

    /// The highest seq in the log (0 when empty).
    public func head(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM bus_events") ?? 0
    }

    /// The head as of the last commit this process saw; `load(from:)` sets it at start-up.
    public var lastCommittedHead: Int64 { cachedHead.load(ordering: .acquiring) }

    public func load(from reader: any DatabaseReader) throws {
        cachedHead.store(try reader.read { try head($0) }, ordering: .releasing)
    }

    /// Events with seq > `after`, at most `limit`, in order.
    public func events(_ db: Database, after: Int64, limit: Int) throws -> [Event] {
        try Row.fetchAll(
            db, sql: "SELECT seq, id, type, at, data FROM bus_events WHERE seq > ? ORDER BY seq LIMIT ?",
            arguments: [after, limit]
        ).map { row in
            let text: String = row["data"]
            let data = try WireCoding.decoder.decode(JSONValue.self, from: Data(text.utf8))
            return Event(stream: stream, seq: row["seq"], id: row["id"], type: row["type"], at: row["at"], data: data)
        }
    }
}
