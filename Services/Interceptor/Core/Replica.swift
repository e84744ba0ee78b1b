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
        // Nothing looks a replica row up by subject (the index in memory does), and the index cost
        // a page written for every listing applied and a random insert for every snapshot listing.
        migrator.registerMigration("interceptor-v4-replica-unindexed-subject") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS replica_listings_on_subject_id")
        }
    }
}

/// The replica in memory, for answers in microseconds; the SQLite tables are its durable copy and
/// are loaded back at start. Changed only after the transaction that changed the tables commits.
///
/// It holds what a decision reads of each listing (`ListingFacts`) in one array, and two maps: from an
/// identifier to the first of its own listings and of the listings it is a related person of, and
/// from a normalised name to the first of its listings; the rest are chained through the array, with
/// no array or object per key (`ListingTable`).
public final class ReplicaIndex: Sendable {
    struct State {
        var table = ListingTable()
        var catalogue: MeasureCatalogue?
        /// The catalogue's measures by action for a department (`MeasureCatalogue.measures(for:action:)`),
        /// gathered on first use and dropped with the catalogue (an interceptor has one department).
        var measures: [String: (department: Department, measures: [Measure])] = [:]

        mutating func measures(for department: Department, action: String) -> [Measure] {
            if let known = measures[action], known.department == department { return known.measures }
            let found = catalogue?.measures(for: department, action: action) ?? []
            measures[action] = (department, found)
            return found
        }
    }

    private let state = Mutex(State())
    private let loader = SnapshotLoader()

    public init() {}

    public func load(from reader: any DatabaseReader) throws {
        var table = ListingTable()
        let catalogue = try reader.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replica_listings") ?? 0
            table.reserve(count)
            // Each text's bytes as SQLite holds them (no `String` made and dropped); `data` is never null.
            let rows = try Row.fetchCursor(db, sql: "SELECT data FROM replica_listings")
            while let row = try rows.next() { table.upsert(try Listing(jsonText: Array(row.dataNoCopy(atIndex: 0) ?? Data()))) }
            return try String.fetchOne(db, sql: "SELECT data FROM replica_catalogue WHERE id = 1")
                .map { try WireCoding.decode(MeasureCatalogue.self, from: Array($0.utf8)) }
        }
        state.withLock {
            $0 = State()
            $0.table = table
            $0.catalogue = catalogue
        }
    }

    /// The subject's own listings.
    public func listings(of subject: String) -> [ListingFacts] { state.withLock { $0.table.listings(of: subject) } }
    /// The listings of organisations `person` is a related person of, with the role.
    public func relatedListings(of person: String) -> [(role: RelatedPerson.Role, listing: ListingFacts)] {
        state.withLock { $0.table.relatedListings(of: person) }
    }
    /// The listings whose subject's name is `name`, compared normalised (`CheckDecider.normalisedName`).
    public func listings(named name: String) -> [ListingFacts] {
        state.withLock { $0.table.listings(named: CheckDecider.normalisedName(name)) }
    }
    public var catalogue: MeasureCatalogue? { state.withLock { $0.catalogue } }
    public var activeCount: Int { state.withLock { $0.table.count } }

    /// The decision for `subject` (a credit code or resident ID): its own listings and those it reaches
    /// as a related person, gathered under the lock; nil without a catalogue.
    public func decide(department: Department, action: String, today: String, subject: String) -> CheckOutcome? {
        let gathered = state.withLock { state -> (candidates: [(target: MeasureTarget, listing: ListingFacts)], measures: [Measure])? in
            guard state.catalogue != nil else { return nil }
            return (state.table.candidates(for: subject), state.measures(for: department, action: action))
        }
        guard let gathered else { return nil }
        return CheckDecider.decide(
            department: department, action: action, today: today, candidates: gathered.candidates, measures: gathered.measures)
    }

    /// The decision for a subject known only by `name` (exact, normalised); nil without a catalogue.
    public func decide(department: Department, action: String, today: String, name: String) -> CheckOutcome? {
        let key = CheckDecider.normalisedName(name)
        let gathered = state.withLock { state -> (matches: [ListingFacts], measures: [Measure])? in
            guard state.catalogue != nil else { return nil }
            return (state.table.listings(named: key), state.measures(for: department, action: action))
        }
        guard let gathered else { return nil }
        return CheckDecider.decide(
            department: department, action: action, today: today, nameMatches: gathered.matches, measures: gathered.measures)
    }

    /// Adds or replaces listings in memory only (tests and benchmarks; the service goes through its
    /// database and `stage`).
    public func upsert(_ listings: [Listing]) {
        state.withLock {
            $0.table.reserve($0.table.count + listings.count)
            for listing in listings { $0.table.upsert(listing) }
        }
    }
    /// The snapshot about to be loaded holds about `items` items (its listings and the catalogue):
    /// the table it is indexed into is made that large from the start.
    func expectSnapshot(items: Int) { loader.expect(items) }

    /// How many listings the table of the snapshot being loaded has room for (tests).
    var loadingCapacity: Int { loader.capacity }

    /// How many listings a snapshot's table is made for when its first chunk says it holds `items`.
    static func snapshotReservation(forItems items: Int) -> Int { SnapshotLoader.reservation(forItems: items) }

    public func setCatalogueForTesting(_ catalogue: MeasureCatalogue) { setCatalogue(catalogue) }

    func setCatalogue(_ catalogue: MeasureCatalogue) {
        state.withLock {
            $0.catalogue = catalogue
            $0.measures = [:]
        }
    }

    enum Change {
        case upsert(Listing)
        case remove(Listing)
        case catalogue(MeasureCatalogue)
        case reset
        /// A listing of the snapshot being loaded, as the index keeps it: indexed aside until
        /// `snapshotLoaded`.
        case loading(ListingTable.Entry)
        /// The snapshot is complete: its listings become the index.
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
                // A snapshot's listings go to the loader, in order with its reset and its end; the
                // rest change the index in force, under one lock.
                var inForce: [Change] = []
                var loaded: ListingTable?
                var loading: [ListingTable.Entry] = []
                for change in changes {
                    switch change {
                    case .loading(let entry): loading.append(entry)
                    case .reset:
                        loading = []
                        loader.reset()
                        inForce.append(change)
                    case .snapshotLoaded:
                        loaded = loader.take(adding: loading)
                        loading = []
                        inForce.append(change)
                    case .upsert, .remove, .catalogue: inForce.append(change)
                    }
                }
                if !loading.isEmpty { loader.add(loading) }
                let tookSnapshot = loaded != nil
                guard !inForce.isEmpty else { return }
                state.withLock { state in
                    for change in inForce {
                        switch change {
                        case .upsert(let listing): state.table.upsert(listing)
                        case .remove(let listing): state.table.remove(listing)
                        case .catalogue(let catalogue):
                            state.catalogue = catalogue
                            state.measures = [:]
                        case .reset: state = State()
                        case .loading: break
                        case .snapshotLoaded:
                            // The snapshot's listings, and anything indexed since its reset that the
                            // snapshot does not hold.
                            var table = loaded ?? ListingTable()
                            loaded = nil
                            if state.table.count > 0 {
                                var live: Set<String> = []
                                state.table.forEach { facts, _ in live.insert(facts.id) }
                                let inSnapshot = table.ids(among: live)
                                state.table.forEach { facts, slot in
                                    if !inSnapshot.contains(facts.id) { table.insert(copyOf: slot, from: state.table) }
                                }
                            }
                            state.table = table
                        }
                    }
                }
                #if canImport(Glibc)
                    // Reading a snapshot churns through its whole text on several threads; what their
                    // heaps keep free afterwards goes back to the system (RSS is the aim's measure).
                    if tookSnapshot { _ = malloc_trim(0) }
                #endif
            },
            onRollback: { [self] _ in staged.withLock { $0.removeAll() } })
    }
}

#if canImport(Glibc)
    /// glibc's `malloc_trim` (malloc.h, which the Glibc module leaves out).
    @_silgen_name("malloc_trim") private func malloc_trim(_ pad: Int) -> Int32
#endif

/// The listings of a snapshot being loaded, indexed on a queue of their own while the writer goes on
/// with the next chunk, and handed over (`take`) when the snapshot is complete. Only the queue
/// touches the table, so the index in force stays free for checks meanwhile.
private final class SnapshotLoader: @unchecked Sendable {
    private let queue = DispatchQueue(label: "credit.replica.snapshot-loader")
    private var table: ListingTable?
    /// Chunks handed over and not yet indexed, at most four: a writer that runs ahead waits rather
    /// than piling listings up in memory.
    private let backlog = DispatchSemaphore(value: 4)
    /// How many items the snapshot being loaded holds, as its first chunk said (0: it did not
    /// say): the table is made that large when its first listing comes. Kept over a reset (which
    /// comes with the first chunk), cleared when the table is taken.
    private var expected = 0

    func expect(_ items: Int) {
        queue.sync { expected = Self.reservation(forItems: items) }
    }

    /// What the table is made for when the first chunk says `items`: a hint beyond 2^24 (a national
    /// list holds several million) is not believed, as it would reserve gigabytes up front; the
    /// table grows past it as listings come.
    static func reservation(forItems items: Int) -> Int { min(max(0, items), 1 << 24) }

    var capacity: Int { queue.sync { table?.capacity ?? 0 } }

    func add(_ listings: [ListingTable.Entry]) {
        backlog.wait()
        queue.async { [self] in
            index(listings)
            backlog.signal()
        }
    }

    /// Drops what was loaded, once the listings queued before are through.
    func reset() {
        queue.sync { table = nil }
    }

    /// The table with everything queued so far and `listings`; the loader starts empty again.
    func take(adding listings: [ListingTable.Entry]) -> ListingTable {
        queue.sync {
            index(listings)
            defer {
                table = nil
                expected = 0
            }
            return table ?? ListingTable()
        }
    }

    private func index(_ listings: [ListingTable.Entry]) {
        guard !listings.isEmpty else { return }
        var loading = table ?? ListingTable(reserving: expected)
        table = nil
        for listing in listings { loading.upsert(listing) }
        table = loading
    }
}

/// Active listings by subject, related person and normalised name, compactly: each listing's facts
/// once in `slots`, each related person with a resident id a `Link`; a map gives the first slot (or
/// link) of a key, and the rest follow by index through the slots and links themselves. Freed slots
/// and links are reused. Removing walks a chain: short for identifiers, as long as a common name's.
struct ListingTable {
    static let none = UInt32.max

    struct Slot {
        var facts: ListingFacts
        /// The subject's name, normalised: the key of `byName`.
        var name: String
        var nextOfSubject: UInt32
        var nextOfName: UInt32
        /// The first of this listing's related-person links.
        var firstLink: UInt32
    }

    struct Link {
        var person: String
        var slot: UInt32
        var nextOfPerson: UInt32
        var nextOfListing: UInt32
        var role: RelatedPerson.Role
    }

    private(set) var slots: ContiguousArray<Slot?> = []
    private var freeSlots: [UInt32] = []
    private var links: ContiguousArray<Link?> = []
    private var freeLinks: [UInt32] = []
    /// The first of its own listings and of its related-person links, by subject or person id: one
    /// map, so a check finds both with one lookup.
    struct Heads {
        var subject = ListingTable.none
        var person = ListingTable.none
    }
    private var byID: [String: Heads] = [:]
    private var byName: [String: UInt32] = [:]
    private(set) var count = 0

    init(reserving listings: Int = 0) { reserve(listings) }

    /// How many listings the table holds without growing.
    var capacity: Int { slots.capacity }

    mutating func reserve(_ listings: Int) {
        guard listings > byName.capacity else { return }
        slots.reserveCapacity(listings)
        byID.reserveCapacity(listings)
        byName.reserveCapacity(listings)
    }

    /// The slots of the chain that starts at `first`, through `next`.
    private func chain(_ first: UInt32?, _ next: KeyPath<Slot, UInt32>) -> [(index: UInt32, slot: Slot)] {
        var result: [(index: UInt32, slot: Slot)] = []
        var at = first ?? Self.none
        while at != Self.none, let slot = slots[Int(at)] {
            result.append((at, slot))
            at = slot[keyPath: next]
        }
        return result
    }

    func listings(of subject: String) -> [ListingFacts] {
        chain(byID[subject]?.subject, \.nextOfSubject).reversed().map(\.slot.facts)
    }

    func listings(named name: String) -> [ListingFacts] {
        chain(byName[name], \.nextOfName).reversed().map(\.slot.facts)
    }

    func relatedListings(of person: String) -> [(role: RelatedPerson.Role, listing: ListingFacts)] {
        var result: [(role: RelatedPerson.Role, listing: ListingFacts)] = []
        var at = byID[person]?.person ?? Self.none
        while at != Self.none, let link = links[Int(at)] {
            if let slot = slots[Int(link.slot)] { result.append((link.role, slot.facts)) }
            at = link.nextOfPerson
        }
        return result.reversed()
    }

    /// A check's candidates: the subject's own listings, then those it reaches as a related person.
    func candidates(for subject: String) -> [(target: MeasureTarget, listing: ListingFacts)] {
        var result: [(target: MeasureTarget, listing: ListingFacts)] = []
        let heads = byID[subject] ?? Heads()
        var next = heads.subject
        while next != Self.none, let slot = slots[Int(next)] {
            result.append((.subject, slot.facts))
            next = slot.nextOfSubject
        }
        var at = heads.person
        while at != Self.none, let link = links[Int(at)] {
            if let slot = slots[Int(link.slot)] { result.append((MeasureTarget(role: link.role), slot.facts)) }
            at = link.nextOfPerson
        }
        return result
    }

    private func find(id: String, subject: String) -> UInt32? {
        var at = byID[subject]?.subject ?? Self.none
        while at != Self.none, let slot = slots[Int(at)] {
            if slot.facts.id == id { return at }
            at = slot.nextOfSubject
        }
        return nil
    }

    /// The ids of `candidates` this table holds (under any subject).
    func ids(among candidates: Set<String>) -> Set<String> {
        var found: Set<String> = []
        for case let slot? in slots where candidates.contains(slot.facts.id) { found.insert(slot.facts.id) }
        return found
    }

    func forEach(_ body: (ListingFacts, Slot) -> Void) {
        for case let slot? in slots { body(slot.facts, slot) }
    }

    /// What the table keeps of a listing, made before the table is touched (a snapshot's listings are
    /// made on the threads that read them, in parallel).
    struct Entry: Sendable {
        var facts: ListingFacts
        /// The subject's name, normalised (`CheckDecider.normalisedName`).
        var name: String
        /// The related persons with a resident id.
        var people: [(role: RelatedPerson.Role, person: String)]

        init(_ listing: Listing) {
            facts = ListingFacts(listing)
            name = CheckDecider.normalisedName(listing.subjectName)
            people = (listing.relatedPersons ?? []).compactMap { person in person.personID.map { (person.role, $0) } }
        }
    }

    mutating func upsert(_ listing: Listing) { upsert(Entry(listing)) }

    /// Adds a listing, or replaces the one of the same id and subject. The new one goes in first, so
    /// its subject's key is hashed once: an older copy, if any, follows it in the subject's chain.
    mutating func upsert(_ entry: Entry) {
        let index = add(entry.facts, name: entry.name, people: entry.people)
        var at = slots[Int(index)]!.nextOfSubject
        while at != Self.none, let slot = slots[Int(at)] {
            if slot.facts.id == entry.facts.id {
                unlink(at)
                return
            }
            at = slot.nextOfSubject
        }
    }

    /// Adds a slot of `other` (a table being replaced) with its related-person links.
    mutating func insert(copyOf slot: Slot, from other: ListingTable) {
        var people: [(role: RelatedPerson.Role, person: String)] = []
        var at = slot.firstLink
        while at != Self.none, let link = other.links[Int(at)] {
            people.append((link.role, link.person))
            at = link.nextOfListing
        }
        add(slot.facts, name: slot.name, people: people.reversed())
    }

    mutating func remove(_ listing: Listing) {
        if let old = find(id: listing.id, subject: listing.subjectID) { unlink(old) }
    }

    @discardableResult
    private mutating func add(_ facts: ListingFacts, name: String, people: [(role: RelatedPerson.Role, person: String)]) -> UInt32 {
        let index = freeSlots.popLast() ?? UInt32(slots.count)
        // Each key hashed once: the new head goes in and the old one comes back.
        var slot = Slot(
            facts: facts, name: name, nextOfSubject: Self.exchange(&byID[facts.subjectID, default: Heads()].subject, index),
            nextOfName: byName.updateValue(index, forKey: name) ?? Self.none, firstLink: Self.none)
        for (role, person) in people {
            let linkIndex = freeLinks.popLast() ?? UInt32(links.count)
            let link = Link(
                person: person, slot: index, nextOfPerson: Self.exchange(&byID[person, default: Heads()].person, linkIndex),
                nextOfListing: slot.firstLink, role: role)
            if Int(linkIndex) == links.count { links.append(link) } else { links[Int(linkIndex)] = link }
            slot.firstLink = linkIndex
        }
        if Int(index) == slots.count { slots.append(slot) } else { slots[Int(index)] = slot }
        count += 1
        return index
    }

    private static func exchange(_ head: inout UInt32, _ new: UInt32) -> UInt32 {
        defer { head = new }
        return head
    }

    /// Takes the slot out of its chains, frees it and its links.
    private mutating func unlink(_ index: UInt32) {
        guard let slot = slots[Int(index)] else { return }
        unchain(index, key: slot.facts.subjectID, bySubject: true)
        unchain(index, key: slot.name, bySubject: false)
        var at = slot.firstLink
        while at != Self.none, let link = links[Int(at)] {
            unchainLink(at, person: link.person)
            links[Int(at)] = nil
            freeLinks.append(at)
            at = link.nextOfListing
        }
        slots[Int(index)] = nil
        freeSlots.append(index)
        count -= 1
    }

    private mutating func setHead(of key: String, _ part: WritableKeyPath<Heads, UInt32>, to head: UInt32) {
        var heads = byID[key] ?? Heads()
        heads[keyPath: part] = head
        byID[key] = heads.subject == Self.none && heads.person == Self.none ? nil : heads
    }

    /// Takes slot `index` out of its subject's chain or its name's.
    private mutating func unchain(_ index: UInt32, key: String, bySubject: Bool) {
        let next: WritableKeyPath<Slot, UInt32> = bySubject ? \.nextOfSubject : \.nextOfName
        guard let first = bySubject ? byID[key]?.subject : byName[key], first != Self.none else { return }
        let after = slots[Int(index)]![keyPath: next]
        if first == index {
            if bySubject { setHead(of: key, \.subject, to: after) } else { byName[key] = after == Self.none ? nil : after }
            return
        }
        var at = first
        while at != Self.none, let slot = slots[Int(at)] {
            if slot[keyPath: next] == index {
                slots[Int(at)]![keyPath: next] = after
                return
            }
            at = slot[keyPath: next]
        }
    }

    private mutating func unchainLink(_ index: UInt32, person: String) {
        guard let first = byID[person]?.person, first != Self.none else { return }
        let after = links[Int(index)]!.nextOfPerson
        if first == index {
            setHead(of: person, \.person, to: after)
            return
        }
        var at = first
        while at != Self.none, let link = links[Int(at)] {
            if link.nextOfPerson == index {
                links[Int(at)]!.nextOfPerson = after
                return
            }
            at = link.nextOfPerson
        }
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
        let (listing, changes) = try apply(type: event.type, data: event.data, in: db)
        try acknowledge(event, listing: listing, in: db)
        // The index takes the changes only once the whole event has been written: should the
        // acknowledgement fail, the event's savepoint rolls back and the index must not move.
        for change in changes { index.stage(db, change) }
    }

    /// Acknowledges an enforced event on the interceptor's own stream.
    private func acknowledge(_ event: Event, listing: Listing?, in db: Database) throws {
        guard let log, Self.enforced.contains(event.type) else { return }
        let acknowledged = try listing ?? Listing(json: event.data)
        // The id names the dispatch event by seq and commit time: a dispatch restored from a backup
        // gives its seqs to other events, and each of those is acknowledged in its own right.
        let ack = ListingAcknowledgement(
            listingID: acknowledged.id, department: department, dispatchSeq: event.seq, subjectID: acknowledged.subjectID)
        try log.append(
            db, type: event.type.hasSuffix(".removed") ? "listing.lifted" : "listing.applied", json: ack.json,
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

    /// A snapshot's listing is read once from the text dispatch stored (by `prepareSnapshotItem`, as
    /// its chunk arrived), and that text is stored as it is; the index gathers the snapshot's
    /// listings aside and puts them in force when it is complete (`didLoadSnapshot`).
    func applyEncodedSnapshotItem(_ item: EncodedSnapshotChunk.Item, in db: Database) throws {
        guard let entry = try (item.prepared ?? snapshotEntry(item)) as? ListingTable.Entry else {
            for change in try apply(type: item.type, data: try JSONReader.value(item.data), in: db).changes { index.stage(db, change) }
            return
        }
        guard entry.facts.status == .active else { return }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)")
            .run([.text(entry.facts.id), .text(entry.facts.subjectID), .utf8(item.data)])
        index.stage(db, .loading(entry))
    }

    /// The index of the snapshot about to be loaded is made for this many listings at once, rather
    /// than grown (and copied) as they come.
    func expectSnapshot(items: Int) { index.expectSnapshot(items: items) }

    /// A snapshot's listing, read from its data as its chunk is read, outside the chunk's
    /// transaction, as the index keeps it (`ListingTable.Entry`); nil for other items.
    func prepareSnapshotItem(type: String, data: inout JSONCursor) throws -> (any Sendable)? {
        guard Self.carriesListing(type) else { return nil }
        return ListingTable.Entry(try Listing(cursor: &data))
    }

    /// Whether a snapshot item of `type` is a listing (dispatch's lists, or grading's).
    private static func carriesListing(_ type: String) -> Bool { type == "list.added" || type == "grade.added" }

    /// A snapshot's listing read from its text in the transaction, when it was not read as it
    /// arrived (a listing that cannot be read is refused here, naming why); nil for other items.
    func snapshotEntry(_ item: EncodedSnapshotChunk.Item) throws -> ListingTable.Entry? {
        guard Self.carriesListing(item.type) else { return nil }
        do {
            return ListingTable.Entry(try Listing(jsonText: item.data))
        } catch {
            throw ReplicaError(reason: "a snapshot listing could not be read: \(error)")
        }
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

    /// Applies one event to the tables; returns the listing it carried, when it read one, and the
    /// changes for the index, which the caller stages once everything the event writes is written.
    private func apply(type: String, data: JSONValue, in db: Database) throws -> (listing: Listing?, changes: [ReplicaIndex.Change]) {
        switch type {
        case "catalogue.loaded":
            let catalogue = try data.decode(MeasureCatalogue.self)
            try db.execute(
                sql: "INSERT OR REPLACE INTO replica_catalogue(id, version, data) VALUES (1, ?, ?)",
                arguments: [catalogue.version, String(decoding: try WireCoding.encode(catalogue), as: UTF8.self)])
            return (nil, [.catalogue(catalogue)])
        case "list.added", "list.extended", "list.updated", "list.suspended", "list.resumed", "grade.added", "grade.updated":
            let listing = try Listing(json: data)
            guard listing.status == .active else { return (listing, []) }
            var changes = try removalUnderAnotherSubject(of: listing, in: db)
            // The text as dispatch wrote it (`JSONText` writes what `WireCoding` does).
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO replica_listings(id, subject_id, data) VALUES (?, ?, ?)")
                .execute(arguments: [listing.id, listing.subjectID, JSONText.text(data)])
            changes.append(.upsert(listing))
            return (listing, changes)
        case "list.removed", "grade.removed":
            let listing = try Listing(json: data)
            let changes = try removalUnderAnotherSubject(of: listing, in: db) + [.remove(listing)]
            try db.cachedStatement(sql: "DELETE FROM replica_listings WHERE id = ?").execute(arguments: [listing.id])
            return (listing, changes)
        default:
            return (nil, [])
        }
    }

    /// A listing is one row by id: when the replica holds its id under another subject (a corrected
    /// subject, a restored dispatch), the index drops it there too.
    private func removalUnderAnotherSubject(of listing: Listing, in db: Database) throws -> [ReplicaIndex.Change] {
        guard
            let stored = try String.fetchOne(
                db.cachedStatement(sql: "SELECT subject_id FROM replica_listings WHERE id = ?"), arguments: [listing.id]),
            stored != listing.subjectID
        else { return [] }
        var elsewhere = listing
        elsewhere.subjectID = stored
        return [.remove(elsewhere)]
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

extension ListingAcknowledgement {
    /// As `WireCoding` encodes it.
    var json: JSONValue {
        .object([
            "listingID": .string(listingID), "department": .string(department), "dispatchSeq": .int(dispatchSeq),
            "subjectID": .string(subjectID),
        ])
    }
}
