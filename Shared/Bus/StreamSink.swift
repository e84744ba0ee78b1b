import Foundation
import GRDB
import Logging
import MeshProtocol

/// Where a `StreamSubscriber` puts what it receives, and how it remembers how far it got.
public protocol StreamSink: Sendable {
    /// The last seq applied, as durable as the sink is.
    func appliedSeq() async throws -> Int64
    /// Applies events whose seqs run on from `appliedSeq() + 1` without a gap.
    func apply(_ events: [Event]) async throws
    /// `apply(_:)` on the calling thread, waiting for the sink's store; false, having applied nothing,
    /// when the sink cannot (then the events go through `apply(_:)`). A follower applies a live event
    /// this way on the thread that received it, without handing it to a task and back.
    func applyWaiting(_ events: [Event]) throws -> Bool
    /// Whether the sink can start from a snapshot instead of replaying the whole history.
    var acceptsSnapshot: Bool { get }
    /// Applies one snapshot chunk; `first` says to drop the current state first. After the last chunk
    /// `finishSnapshot(seq:)` records the seq the snapshot reflects.
    func applySnapshotChunk(_ items: [SnapshotChunk.Item], first: Bool) async throws
    /// `applySnapshotChunk(_:first:)` with each item's data as the JSON text it arrived as. The
    /// default parses the items and applies them as values.
    func applyEncodedSnapshotChunk(_ items: [EncodedSnapshotChunk.Item], first: Bool) async throws
    /// The snapshot about to be loaded holds about `items` items (its first chunk says so, protocol
    /// 1.6), for a sink that sizes what it builds. The default does nothing.
    func expectSnapshot(items: Int)
    /// What can be made of a snapshot item before its chunk's transaction (`Item.prepared`), read
    /// from its data as each chunk arrives, beside the chunk being applied: the whole value, or
    /// nothing and nil (`EncodedSnapshotChunk.Prepare`). The default reads nothing.
    func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)?
    func finishSnapshot(seq: Int64) async throws
    /// The event the last applied seq came from, when the sink keeps it (see `EventAnchor`).
    func appliedAnchor() async throws -> EventAnchor?
    /// Whether the sink's state is a copy of the stream that it can drop and build again from the
    /// publisher, when the publisher went back (its history was replaced by a restore).
    var rebuildsFromPublisher: Bool { get }
    /// Drops everything derived from the stream and sets the applied seq to 0, in one transaction.
    func resetForRebuild() async throws
}

extension StreamSink {
    public func applyWaiting(_ events: [Event]) throws -> Bool { false }
    public var acceptsSnapshot: Bool { false }
    public func applySnapshotChunk(_ items: [SnapshotChunk.Item], first: Bool) async throws {}
    public func applyEncodedSnapshotChunk(_ items: [EncodedSnapshotChunk.Item], first: Bool) async throws {
        try await applySnapshotChunk(items.map { try $0.item }, first: first)
    }
    public func expectSnapshot(items: Int) {}
    public func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)? { nil }
    public func finishSnapshot(seq: Int64) async throws {}
    public func appliedAnchor() async throws -> EventAnchor? { nil }
    public var rebuildsFromPublisher: Bool { false }
    public func resetForRebuild() async throws {}
}

/// How a service turns another stream's events into its own state. Applying the same event twice
/// must change nothing (events are redelivered after crashes and during catch-up).
public protocol StreamApplier: Sendable {
    func apply(_ event: Event, in db: Database) throws
    /// Snapshot support: drop the state derived from the stream, then add items chunk by chunk.
    var supportsSnapshot: Bool { get }
    func resetForSnapshot(in db: Database) throws
    func applySnapshotItem(_ item: SnapshotChunk.Item, in db: Database) throws
    /// `applySnapshotItem(_:in:)` with the item's data as the JSON text it arrived as (an applier
    /// that stores it may keep it as it is). The default parses it.
    func applyEncodedSnapshotItem(_ item: EncodedSnapshotChunk.Item, in db: Database) throws
    /// The snapshot about to be loaded holds about `items` items (`StreamSink.expectSnapshot`).
    /// The default does nothing.
    func expectSnapshot(items: Int)
    /// What `applyEncodedSnapshotItem(_:in:)` will want of the item that needs no database (the
    /// value read from its data as the chunk is read), made outside the transaction: the whole
    /// value, or nothing and nil. It arrives as `item.prepared`, nil also when the data could not be
    /// read here (the applier reads its text again to say why). The default reads nothing.
    func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)?
    /// Called in the transaction that records a completed snapshot's seq.
    func didLoadSnapshot(seq: Int64, in db: Database) throws
    /// Whether the state derived from the stream is a copy that can be dropped and built again from
    /// the publisher (by snapshot, or by replay from seq 1) when the publisher's history was replaced.
    /// Not for state that the service's own stream announced: rebuilding it would change history
    /// that others follow.
    var supportsRebuild: Bool { get }
    /// Drops the state derived from the stream before a rebuild.
    func resetForRebuild(in db: Database) throws
}

extension StreamApplier {
    public var supportsSnapshot: Bool { false }
    public func resetForSnapshot(in db: Database) throws {}
    public func applySnapshotItem(_ item: SnapshotChunk.Item, in db: Database) throws {}
    public func applyEncodedSnapshotItem(_ item: EncodedSnapshotChunk.Item, in db: Database) throws {
        try applySnapshotItem(try item.item, in: db)
    }
    public func expectSnapshot(items: Int) {}
    public func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)? { nil }
    public func didLoadSnapshot(seq: Int64, in db: Database) throws {}
    public var supportsRebuild: Bool { supportsSnapshot }
    public func resetForRebuild(in db: Database) throws { try resetForSnapshot(in: db) }
}

/// Applies a stream's events to a service database, each batch and its checkpoint in one
/// transaction. An event the applier cannot apply goes to `bus_dead_letters` (with the reason)
/// instead of stopping the stream; operators see the count in `status`.
public struct DatabaseStreamSink: StreamSink {
    public let stream: String
    private let writer: any DatabaseWriter
    private let applier: any StreamApplier
    private let logger: Logger

    public init(stream: String, writer: any DatabaseWriter, applier: any StreamApplier, logger: Logger) {
        self.stream = stream
        self.writer = writer
        self.applier = applier
        self.logger = logger
    }

    public func appliedSeq() async throws -> Int64 {
        try await writer.read { [stream] in try Checkpoints.applied($0, stream: stream) }
    }

    // The usual case first: the whole batch and its checkpoint in one transaction, no savepoint per
    // event (each costs two more statements on a live follower's path, one event a batch). Should any
    // event fail, that transaction rolls back and the batch goes again, each event in a savepoint of
    // its own, so that the one that fails is kept aside and the rest applied.

    public func apply(_ events: [Event]) async throws {
        guard !events.isEmpty else { return }
        do {
            try await writer.write { [self] db in try applyAll(events, in: db) }
            return
        } catch {
            tellFailedAsAWhole(events, error)
        }
        report(try await writer.write { [self] db in try applyOneByOne(events, in: db) })
    }

    public func applyWaiting(_ events: [Event]) throws -> Bool {
        guard !events.isEmpty else { return true }
        do {
            try writer.write { db in try applyAll(events, in: db) }
            return true
        } catch {
            tellFailedAsAWhole(events, error)
        }
        report(try writer.write { db in try applyOneByOne(events, in: db) })
        return true
    }

    /// The batch and its checkpoint, no savepoint per event.
    private func applyAll(_ events: [Event], in db: Database) throws {
        guard let last = events.last else { return }
        let applied = try Checkpoints.applied(db, stream: stream)
        guard last.seq > applied else { return }
        for event in events where event.seq > applied { try applier.apply(event, in: db) }
        try Checkpoints.set(db, stream: stream, seq: last.seq, anchor: EventAnchor(last))
    }

    /// The batch and its checkpoint, each event in a savepoint: one that fails goes to
    /// `bus_dead_letters`. Returns those, with the reason.
    private func applyOneByOne(_ events: [Event], in db: Database) throws -> [(Event, String)] {
        guard let last = events.last else { return [] }
        var failures: [(Event, String)] = []
        let applied = try Checkpoints.applied(db, stream: stream)
        for event in events where event.seq > applied {
            do {
                try db.inSavepoint {
                    try applier.apply(event, in: db)
                    return .commit
                }
            } catch {
                failures.append((event, "\(error)"))
                try DeadLetters.record(db, event: event, reason: "\(error)")
            }
        }
        if last.seq > applied { try Checkpoints.set(db, stream: stream, seq: last.seq, anchor: EventAnchor(last)) }
        return failures
    }

    private func tellFailedAsAWhole(_ events: [Event], _ error: any Error) {
        logger.debug(
            "Batch failed as a whole; applying its events one by one",
            metadata: ["stream.name": "\(stream)", "event.seq": "\(events.last?.seq ?? 0)", "error": "\(error)"])
    }

    private func report(_ failures: [(Event, String)]) {
        for (event, reason) in failures {
            logger.error(
                "Event could not be applied; kept in bus_dead_letters",
                metadata: ["stream.name": "\(stream)", "event.seq": "\(event.seq)", "event.type": "\(event.type)", "error": "\(reason)"])
        }
    }

    public var acceptsSnapshot: Bool { applier.supportsSnapshot }

    public func appliedAnchor() async throws -> EventAnchor? {
        try await writer.read { [stream] in try Checkpoints.anchor($0, stream: stream) }
    }

    public var rebuildsFromPublisher: Bool { applier.supportsRebuild }

    public func resetForRebuild() async throws {
        try await writer.write { [stream, applier] db in
            try applier.resetForRebuild(in: db)
            try Checkpoints.set(db, stream: stream, seq: 0)
        }
    }

    public func applySnapshotChunk(_ items: [SnapshotChunk.Item], first: Bool) async throws {
        try await writer.write { [applier] db in
            if first { try applier.resetForSnapshot(in: db) }
            for item in items { try applier.applySnapshotItem(item, in: db) }
        }
    }

    public func applyEncodedSnapshotChunk(_ items: [EncodedSnapshotChunk.Item], first: Bool) async throws {
        try await writer.write { [applier] db in
            if first { try applier.resetForSnapshot(in: db) }
            for item in items { try applier.applyEncodedSnapshotItem(item, in: db) }
        }
    }

    public func expectSnapshot(items: Int) { applier.expectSnapshot(items: items) }

    public func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)? {
        try applier.prepareSnapshotItem(type: type, data: &data)
    }

    public func finishSnapshot(seq: Int64) async throws {
        try await writer.write { [stream, applier] db in
            try Checkpoints.set(db, stream: stream, seq: seq)
            try applier.didLoadSnapshot(seq: seq, in: db)
        }
    }
}

/// Events a follower could not apply, kept for an operator to look at.
public enum DeadLetters {
    static func record(_ db: Database, event: Event, reason: String) throws {
        let data = String(decoding: try WireCoding.encode(event), as: UTF8.self)
        try db.execute(
            sql: "INSERT OR REPLACE INTO bus_dead_letters(stream, seq, event, reason, at) VALUES (?, ?, ?, ?, ?)",
            arguments: [event.stream, event.seq, data, reason, WireTimeNow.text()])
    }

    public static func count(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_dead_letters") ?? 0
    }
}
