import Foundation
import GRDB
import MeshProtocol
import Synchronization

/// An event as committed: its seq and type, and the exact bytes the publisher sends (the event's
/// JSON, written once when it was appended).
public struct CommittedEvent: Sendable {
    public let seq: Int64
    public let id: String
    public let type: String
    public let at: String
    public let payload: [UInt8]
}

/// A service's stream: events appended inside the same SQLite transaction as the state change they
/// announce (transactional outbox), numbered gap-free, handed to the publisher after commit in
/// commit order.
///
/// Each event's data is turned into JSON text once (`JSONText`, no `JSONEncoder`), stored, and
/// framed textually into the payload the publisher sends: a bulk import appends tens of thousands
/// of events a second.
public final class EventLog: Sendable {
    public let stream: String
    /// The table that holds the log: `bus_events` for a service's own stream; a second stream of
    /// the same service (dispatch's `feedback`) has a table of its own with the same columns.
    public let table: String
    private let pending = Mutex<[CommittedEvent]>([])
    private let sinks = Mutex<[@Sendable ([CommittedEvent]) -> Void]>([])
    private let cachedHead = Atomic<Int64>(0)
    private let cachedAnchor = Mutex<EventAnchor?>(nil)
    private let expansions = Mutex<[String: Expansion]>([:])

    public init(stream: String, table: String = "bus_events") {
        self.stream = stream
        self.table = table
    }

    /// Called after each commit with the events it made, in seq order, on the writer's queue.
    public func onCommit(_ sink: @escaping @Sendable ([CommittedEvent]) -> Void) {
        sinks.withLock { $0.append(sink) }
    }

    /// Appends an event inside the caller's write transaction. The event becomes visible to
    /// subscribers only if the transaction commits.
    @discardableResult
    public func append(_ db: Database, type: String, data: some Encodable, id: String? = nil) throws -> Int64 {
        try append(db, type: type, json: JSONValue(encoding: data), id: id)
    }

    @discardableResult
    public func append(_ db: Database, type: String, json: JSONValue, id: String? = nil) throws -> Int64 {
        try append(db, type: type, dataJSON: JSONText.bytes(json), id: id)
    }

    /// Appends an event whose data is already JSON, as UTF-8 bytes (stored and framed without
    /// becoming a `String`: the registry's bulk import appends one per row). The caller vouches
    /// that it is one valid JSON value (followers decode it).
    ///
    /// With `storedData`, the log keeps that instead of the data: a short JSON value that
    /// refers to what the same transaction stored in the service's own tables, which the expansion
    /// registered for `type` (`expandStored(_:with:)`) turns back into the data for replay and
    /// forwarding. The live event carries `dataJSON` as always. The registry stores each
    /// `record.stored` event this way: its data repeats the record the archive holds.
    @discardableResult
    public func append(_ db: Database, type: String, dataJSON: [UInt8], storedData: [UInt8]? = nil, id: String? = nil) throws -> Int64 {
        // Within a transaction the next seq follows the last one appended; the first asks the table.
        let last = pending.withLock { $0.last?.seq }
        let seq = try (last ?? head(db)) + 1
        let id = id ?? "\(stream)-\(seq)"
        let at = WireTimeNow.text()
        try db.cachedStatement(sql: "INSERT INTO \(table)(seq, id, type, at, data) VALUES (?, ?, ?, ?, ?)")
            .run([.int(seq), .text(id), .text(type), .text(at), .utf8(storedData ?? dataJSON)])
        // The event as WireCoding would write it: keys sorted.
        let payload = JSONText.objectBytes([
            "at": .string(at), "data": .jsonBytes(dataJSON), "id": .string(id), "seq": .json(String(seq)),
            "stream": .string(stream), "type": .string(type),
        ])
        let event = CommittedEvent(seq: seq, id: id, type: type, at: at, payload: payload)
        let isFirstInTransaction = pending.withLock { queue -> Bool in
            queue.append(event)
            return queue.count == 1
        }
        if isFirstInTransaction {
            db.afterNextTransaction(
                onCommit: { [self] _ in
                    let committed = pending.withLock { queue -> [CommittedEvent] in
                        defer { queue.removeAll() }
                        return queue
                    }
                    // The publisher queues the events before the head moves: a heartbeat, which
                    // announces the head, is then queued after the events it counts, and a follower
                    // that hears of a seq it has not received knows it was dropped.
                    for sink in sinks.withLock({ $0 }) { sink(committed) }
                    if let last = committed.last {
                        cachedAnchor.withLock { $0 = EventAnchor(seq: last.seq, id: last.id, at: last.at) }
                        cachedHead.store(last.seq, ordering: .releasing)
                    }
                },
                onRollback: { [self] _ in pending.withLock { $0.removeAll() } })
        }
        return seq
    }

    /// The highest seq in the log (0 when empty).
    public func head(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM \(table)")) ?? 0
    }

    /// The head as of the last commit this process saw; `load(from:)` sets it at start-up.
    public var lastCommittedHead: Int64 { cachedHead.load(ordering: .acquiring) }

    /// The last committed event (nil for an empty log), as heartbeats announce it.
    public var lastCommittedAnchor: EventAnchor? { cachedAnchor.withLock { $0 } }

    public func load(from reader: any DatabaseReader) throws {
        let last = try reader.read { db in
            try Row.fetchOne(db, sql: "SELECT seq, id, at FROM \(table) ORDER BY seq DESC LIMIT 1").map {
                EventAnchor(seq: $0["seq"], id: $0["id"], at: $0["at"])
            }
        }
        cachedAnchor.withLock { $0 = last }
        cachedHead.store(last?.seq ?? 0, ordering: .releasing)
    }

    /// The event at `seq` as the log holds it, nil when there is none.
    public func anchor(_ db: Database, at seq: Int64) throws -> EventAnchor? {
        try Row.fetchOne(db, sql: "SELECT seq, id, at FROM \(table) WHERE seq = ?", arguments: [seq]).map {
            EventAnchor(seq: $0["seq"], id: $0["id"], at: $0["at"])
        }
    }

    /// Events with seq > `after`, at most `limit`, in order, with the data they were published
    /// with (events stored in short form expanded).
    public func events(_ db: Database, after: Int64, limit: Int) throws -> [Event] {
        let expansions = expansions.withLock { $0 }
        return try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, id, type, at, data FROM \(table) WHERE seq > ? ORDER BY seq LIMIT ?"),
            arguments: [after, limit]
        ).map { row in
            let text: String = row["data"]
            let type: String = row["type"]
            var data = try JSONReader.value(Array(text.utf8))
            if let expand = expansions[type] { data = try expand(db, data) }
            return Event(stream: stream, seq: row["seq"], id: row["id"], type: type, at: row["at"], data: data)
        }
    }

    /// Turns the data stored for an event back into the data it was published with; given the
    /// stored data, which for events stored in full (or before their type was stored in short
    /// form) is the data itself.
    public typealias Expansion = @Sendable (Database, JSONValue) throws -> JSONValue

    /// Registers how events of `type` appended with `storedData` are read back. The service that
    /// appends them registers it before it serves replays or forwards its stream.
    public func expandStored(_ type: String, with expansion: @escaping Expansion) {
        expansions.withLock { $0[type] = expansion }
    }
}
