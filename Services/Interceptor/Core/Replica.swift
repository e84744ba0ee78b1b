import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import Synchronization

/// The interceptor's tables: its replica of dispatch's active listings and catalogue, and its check log.
public enum InterceptorSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("interceptor-v1") { db in
            try db.create(table: "replica_listings") { t in
                t.primaryKey("id", .text)
                t.column("subject_id", .text).notNull().indexed()
                t.column("data", .text).notNull()
            }
            try db.create(table: "replica_catalogue") { t in
                t.primaryKey("id", .integer)
                t.column("version", .text).notNull()
                t.column("data", .text).notNull()
            }
            try db.create(table: "checks") { t in
                t.primaryKey("id", .text)
                t.column("at", .text).notNull()
                t.column("subject_id", .text).notNull().indexed()
                t.column("action", .text).notNull()
                t.column("decision", .text).notNull()
                t.column("listing_ids", .text).notNull()
                t.column("measure_ids", .text).notNull()
                t.column("replica_seq", .integer).notNull()
                t.column("stale", .boolean).notNull()
                t.column("requester", .text)
                t.column("reference", .text)
            }
        }
        // Check ids (and so feedback event ids) carry this database's instance id, so a rebuilt
        // database never reuses an id that dispatch already counted.
        migrator.registerMigration("interceptor-v2-instance") { db in
            try db.create(table: "instance") { t in
                t.primaryKey("id", .text)
            }
            try db.execute(sql: "INSERT INTO instance(id) VALUES (?)", arguments: [String(UUID().uuidString.prefix(8)).lowercased()])
        }
        // Notices to this department: a listing it acted on was revoked (`notice.revoked`).
        migrator.registerMigration("interceptor-v3-notices") { db in
            try db.create(table: "notices") { t in
                t.primaryKey("id", .text)
                t.column("listing_id", .text).notNull()
                t.column("received_at", .text).notNull()
                t.column("data", .text).notNull()
            }
        }
    }
}

/// The replica in memory, for answers in microseconds; the SQLite tables are its durable copy and
/// are loaded back at start. Changed only after the transaction that changed the tables commits.
public final class ReplicaIndex: Sendable {
    /// One listing, held once: the maps share it by reference (a `Listing` is a few hundred bytes
    /// inline, and a listing with three related persons sits in five of the maps' arrays).
    final class Entry: Sendable {
        let listing: Listing
        init(_ listing: Listing) { self.listing = listing }
    }

    struct State {
        var bySubject: [String: [Entry]] = [:]
        /// Person id → the listings of organisations the person is a related person of, with the role.
        var byPerson: [String: [(role: RelatedPerson.Role, entry: Entry)]] = [:]
        /// Normalised name → listings, for name-only checks (exact match only).
        var byName: [String: [Entry]] = [:]
        var count = 0
        var catalogue: MeasureCatalogue?
        /// Listings of a snapshot being loaded, indexed together when it is complete.
        var loading: [Listing] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func load(from reader: any DatabaseReader) throws {
        let (listings, catalogue) = try reader.read { db in
            (
                try String.fetchAll(db, sql: "SELECT data FROM replica_listings").map {
                    try WireCoding.decode(Listing.self, from: Array($0.utf8))
                },
                try String.fetchOne(db, sql: "SELECT data FROM replica_catalogue WHERE id = 1")
                    .map { try WireCoding.decode(MeasureCatalogue.self, from: Array($0.utf8)) }
            )
        }
        state.withLock {
            $0 = State()
            $0.catalogue = catalogue
            Self.build(listings, into: &$0)
        }
    }

    /// Indexes listings of distinct ids into an empty state, each table sized once.
    private static func build(_ listings: [Listing], into state: inout State) {
        state.bySubject.reserveCapacity(listings.count)
        state.byName.reserveCapacity(listings.count)
        for listing in listings {
            let entry = Entry(listing)
            state.bySubject[listing.subjectID, default: []].append(entry)
            indexExtras(entry, in: &state)
        }
        state.count = listings.count
    }

    public func listings(of subject: String) -> [Listing] { state.withLock { $0.bySubject[subject]?.map(\.listing) ?? [] } }
    public func relatedListings(of person: String) -> [(role: RelatedPerson.Role, listing: Listing)] {
        state.withLock { $0.byPerson[person]?.map { ($0.role, $0.entry.listing) } ?? [] }
    }
    public func listings(named name: String) -> [Listing] {
        state.withLock { $0.byName[CheckDecider.normalisedName(name)]?.map(\.listing) ?? [] }
    }
    public var catalogue: MeasureCatalogue? { state.withLock { $0.catalogue } }
    public var activeCount: Int { state.withLock { $0.count } }

    /// Adds or replaces listings in memory only (tests and benchmarks; the service goes through its
    /// database and `stage`).
    public func upsert(_ listings: [Listing]) { state.withLock { for listing in listings { Self.insert(listing, into: &$0) } } }
    func upsert(_ listing: Listing) { state.withLock { Self.insert(listing, into: &$0) } }
    public func setCatalogueForTesting(_ catalogue: MeasureCatalogue) { setCatalogue(catalogue) }

    func remove(_ listing: Listing) { state.withLock { Self.delete(listing, from: &$0) } }

    private static func delete(_ listing: Listing, from state: inout State) {
        guard var list = state.bySubject[listing.subjectID], let index = list.firstIndex(where: { $0.listing.id == listing.id })
        else { return }
        let old = list.remove(at: index)
        state.count -= 1
        state.bySubject[listing.subjectID] = list.isEmpty ? nil : list
        unindexExtras(old, in: &state)
    }

    private static func indexExtras(_ entry: Entry, in state: inout State) {
        for person in entry.listing.relatedPersons ?? [] {
            if let id = person.personID { state.byPerson[id, default: []].append((person.role, entry)) }
        }
        state.byName[CheckDecider.normalisedName(entry.listing.subjectName), default: []].append(entry)
    }

    private static func unindexExtras(_ entry: Entry, in state: inout State) {
        let listing = entry.listing
        for person in listing.relatedPersons ?? [] {
            guard let id = person.personID, var links = state.byPerson[id] else { continue }
            links.removeAll { $0.entry.listing.id == listing.id }
            state.byPerson[id] = links.isEmpty ? nil : links
        }
        let name = CheckDecider.normalisedName(listing.subjectName)
        if var named = state.byName[name] {
            named.removeAll { $0.listing.id == listing.id }
            state.byName[name] = named.isEmpty ? nil : named
        }
    }

    func setCatalogue(_ catalogue: MeasureCatalogue) { state.withLock { $0.catalogue = catalogue } }
    func reset() { state.withLock { $0 = State() } }

    enum Change {
        case upsert(Listing)
        case remove(Listing)
        case catalogue(MeasureCatalogue)
        case reset
        /// A listing of the snapshot being loaded: held until `snapshotLoaded`.
        case loading(Listing)
        /// The snapshot is complete: its listings become the index, built once.
        case snapshotLoaded
    }

    private let staged = Mutex<[Change]>([])

    /// Queues a change made in `db`'s current transaction; the index takes the transaction's changes
    /// in order when it commits, and drops them when it rolls back. One observer per transaction,
    /// so a snapshot chunk of thousands of listings costs one commit hook, not thousands.
    func stage(_ db: Database, _ change: Change) {
        let first = staged.withLock { queue -> Bool in
            queue.append(change)
            return queue.count == 1
        }
        guard first else { return }
        db.afterNextTransaction(
            onCommit: { [self] _ in
                let changes = staged.withLock { queue -> [Change] in
                    defer { queue.removeAll(keepingCapacity: true) }
                    return queue
                }
                state.withLock { state in
                    for change in changes {
                        switch change {
                        case .upsert(let listing): Self.insert(listing, into: &state)
                        case .remove(let listing): Self.delete(listing, from: &state)
                        case .catalogue(let catalogue): state.catalogue = catalogue
                        case .reset: state = State()
                        case .loading(let listing): state.loading.append(listing)
                        case .snapshotLoaded:
                            // Anything indexed since the snapshot's reset, then the snapshot's listings.
                            let listings = Self.distinct(state.bySubject.values.flatMap { $0.map(\.listing) } + state.loading)
                            let catalogue = state.catalogue
                            state = State()
                            state.catalogue = catalogue
                            Self.build(listings, into: &state)
                        }
                    }
                }
            },
            onRollback: { [self] _ in staged.withLock { $0.removeAll() } })
    }

    /// The last of each id, in order of first appearance (a snapshot holds each listing once; this
    /// keeps the index right should one come twice).
    private static func distinct(_ listings: [Listing]) -> [Listing] {
        var position: [String: Int] = [:]
        position.reserveCapacity(listings.count)
        var result: [Listing] = []
        result.reserveCapacity(listings.count)
        for listing in listings {
            if let at = position[listing.id] {
                result[at] = listing
            } else {
                position[listing.id] = result.count
                result.append(listing)
            }
        }
        return result
    }

    private static func insert(_ listing: Listing, into state: inout State) {
        let entry = Entry(listing)
        var list = state.bySubject[listing.subjectID] ?? []
        if let index = list.firstIndex(where: { $0.listing.id == listing.id }) {
            unindexExtras(list[index], in: &state)
            list[index] = entry
        } else {
            list.append(entry)
            state.count += 1
        }
        state.bySubject[listing.subjectID] = list
        indexExtras(entry, in: &state)
    }
}

/// Applies dispatch's stream to the replica: `catalogue.loaded`, `list.added`, `list.removed`.
/// Snapshot items have the same types. Every change is idempotent by listing id.
///
/// Each listing applied or lifted from the live stream is acknowledged (the 响应 of 发起-响应-反馈) by a
/// `listing.applied` / `listing.lifted` event on the interceptor's own stream, committed with the change.
struct DispatchReplicaApplier: StreamApplier {
    let index: ReplicaIndex
    /// The interceptor's own log, for acknowledgements; nil in tests that do not look at them.
    var log: EventLog? = nil
    var department: String = ""

    func apply(_ event: Event, in db: Database) throws {
        if event.type == "notice.revoked" {
            // Only this department's notices; the others' pass by.
            guard event.data["department"]?.stringValue == department, let listing = event.data["listingID"]?.stringValue else { return }
            try db.execute(
                sql: "INSERT OR IGNORE INTO notices(id, listing_id, received_at, data) VALUES (?, ?, ?, ?)",
                arguments: [event.id, listing, event.at, String(decoding: try WireCoding.encode(event.data), as: UTF8.self)])
            return
        }
        try apply(type: event.type, data: event.data, in: db)
        guard let log, Self.enforced.contains(event.type) else { return }
        let listing = try event.data.decode(Listing.self)
        // The id names the dispatch event by seq and commit time: a dispatch restored from a backup
        // gives its seqs to other events, and each of those is acknowledged in its own right.
        let ack = ListingAcknowledgement(
            listingID: listing.id, department: department, dispatchSeq: event.seq, subjectID: listing.subjectID)
        try log.append(
            db, type: event.type.hasSuffix(".removed") ? "listing.lifted" : "listing.applied", data: ack,
            id: "ack-\(department)-\(event.seq)-\(event.at.filter(\.isNumber))")
    }

    /// The dispatch events that change what the department enforces, each acknowledged.
    /// (`grade.*` carry grade listings: a subject's grade that a catalogue measure names.)
    static let enforced: Set<String> = [
        "list.added", "list.removed", "list.extended", "list.updated", "list.suspended", "list.resumed", "grade.added",
        "grade.updated", "grade.removed",
    ]

    var supportsSnapshot: Bool { true }

    func resetForSnapshot(in db: Database) throws {
        try db.execute(sql: "DELETE FROM replica_listings")
        try db.execute(sql: "DELETE FROM replica_catalogue")
        index.stage(db, .reset)
    }

    /// dispatch went back (restored from a backup): the replica is loaded again from its snapshot, and
    /// the feedback outbox is delivered again from its start, because the restored dispatch may have
    /// lost feedback it had acknowledged (it keeps each id once, so what it still has is not counted twice).
    func resetForRebuild(in db: Database) throws {
        try resetForSnapshot(in: db)
        try db.execute(sql: "UPDATE bus_forward_positions SET seq = 0")
    }

    func applySnapshotItem(_ item: SnapshotChunk.Item, in db: Database) throws {
        try applyEncodedSnapshotItem(EncodedSnapshotChunk.Item(type: item.type, data: JSONText.bytes(item.data)), in: db)
    }

    /// A snapshot's listing is read once, from the text dispatch stored, and that text is stored
    /// as it is; the index takes the snapshot's listings when it is complete (`didLoadSnapshot`),
    /// built once instead of listing by listing.
    func applyEncodedSnapshotItem(_ item: EncodedSnapshotChunk.Item, in db: Database) throws {
        guard item.type == "list.added" || item.type == "grade.added" else {
            try apply(type: item.type, data: try JSONReader.value(item.data), in: db)
            return
        }
        let listing: Listing
        do {
            listing = try WireCoding.decode(Listing.self, from: item.data)
        } catch {
            throw ReplicaError(reason: "a snapshot listing could not be read: \(error)")
        }
        guard listing.status == .active else { return }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)")
            .run([.text(listing.id), .text(listing.subjectID), .utf8(item.data)])
        index.stage(db, .loading(listing))
    }

    /// One acknowledgement for everything a snapshot brought: all listings up to `seq`.
    func didLoadSnapshot(seq: Int64, in db: Database) throws {
        index.stage(db, .snapshotLoaded)
        guard let log else { return }
        struct SnapshotAck: Codable { var department: String; var dispatchSeq: Int64 }
        try log.append(
            db, type: "snapshot.applied", data: SnapshotAck(department: department, dispatchSeq: seq),
            id: "ack-\(department)-snapshot-\(seq)-\(UUID().uuidString.prefix(8))")
    }

    private func apply(type: String, data: JSONValue, in db: Database) throws {
        switch type {
        case "catalogue.loaded":
            let catalogue = try data.decode(MeasureCatalogue.self)
            try db.execute(
                sql: "INSERT OR REPLACE INTO replica_catalogue(id, version, data) VALUES (1, ?, ?)",
                arguments: [catalogue.version, String(decoding: try WireCoding.encode(catalogue), as: UTF8.self)])
            index.stage(db, .catalogue(catalogue))
        case "list.added", "list.extended", "list.updated", "list.suspended", "list.resumed", "grade.added", "grade.updated":
            let listing = try data.decode(Listing.self)
            guard listing.status == .active else { return }
            try db.execute(
                sql: "INSERT OR REPLACE INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)",
                arguments: [listing.id, listing.subjectID, String(decoding: try WireCoding.encode(listing), as: UTF8.self)])
            index.stage(db, .upsert(listing))
        case "list.removed", "grade.removed":
            let listing = try data.decode(Listing.self)
            try db.execute(sql: "DELETE FROM replica_listings WHERE id = ?", arguments: [listing.id])
            index.stage(db, .remove(listing))
        default:
            return
        }
    }
}

/// A snapshot item the replica cannot take.
struct ReplicaError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// An interceptor's acknowledgement that it applied (or lifted) a listing, with the dispatch seq.
public struct ListingAcknowledgement: Codable, Sendable, Equatable {
    public var listingID: String
    public var department: String
    public var dispatchSeq: Int64
    public var subjectID: String
}
