/// Body of the `replay` op: events with seq strictly greater than `from`, at most `limit` of them.
/// `stream` (protocol 1.3) names which of the publisher's streams: absent, its own (the one its
/// `ping` names); sanction-dispatch also publishes `feedback`. A publisher before 1.3 ignores the
/// field and answers with its own stream, which the reply's `stream` shows.
public struct ReplayRequest: Codable, Sendable {
    public var from: Int64
    public var limit: Int?
    public var stream: String?

    public init(from: Int64, limit: Int? = nil, stream: String? = nil) {
        self.from = from
        self.limit = limit
        self.stream = stream
    }
}

/// Result of `replay`: consecutive events, and the stream's head when they were read.
public struct ReplayResult: Codable, Sendable {
    public var stream: String
    public var events: [Event]
    public var head: Int64
    /// The event at seq `from` as the publisher's log holds it now (nil for `from` 0, or when the log
    /// has no such event). A follower compares it with the event it applied last: when they differ,
    /// the publisher's history was replaced after that follower read it (a restore from a backup).
    public var previous: EventAnchor?

    public init(stream: String, events: [Event], head: Int64, previous: EventAnchor? = nil) {
        self.stream = stream
        self.events = events
        self.head = head
        self.previous = previous
    }
}

/// What identifies one event of a stream's history: its seq, id and commit time. Two logs that hold
/// the same anchor at a seq share their history up to it; a log restored from a backup and written
/// to again holds other events (other times) at the seqs it reissued.
public struct EventAnchor: Codable, Sendable, Hashable, CustomStringConvertible {
    public var seq: Int64
    public var id: String
    public var at: String

    public init(seq: Int64, id: String, at: String) {
        self.seq = seq
        self.id = id
        self.at = at
    }

    public init(_ event: Event) {
        self.init(seq: event.seq, id: event.id, at: event.at)
    }

    public var description: String { "\(id) at \(at)" }
}

/// Body of the `snapshot` op. The first call has no cursor; each result names the next cursor
/// until the last chunk, which has none. One chunk per request keeps the ROUTER far below its
/// high-water mark however large the state is.
///
/// With `span` (protocol 1.2), a chunk is a fixed range of the publisher's ordering instead of a
/// count of items: everything after `cursor` up to `cursor + span`. Its `next` is then known before
/// it arrives, so a client keeps several chunks in flight (the ZeroMQ Guide's file transfer with
/// credit); a publisher that honours it echoes `span` in the chunk.
public struct SnapshotRequest: Codable, Sendable {
    public var cursor: String?
    public var limit: Int?
    public var span: Int?

    public init(cursor: String? = nil, limit: Int? = nil, span: Int? = nil) {
        self.cursor = cursor
        self.limit = limit
        self.span = span
    }
}

/// One chunk of a snapshot: items are events without seq (type + data) that rebuild current state
/// when applied in order; `seq` is the stream head when this chunk was read.
public struct SnapshotChunk: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public var type: String
        public var data: JSONValue

        public init(type: String, data: JSONValue) {
            self.type = type
            self.data = data
        }
    }

    public var stream: String
    public var seq: Int64
    public var items: [Item]
    public var next: String?
    /// The request's `span`, echoed when the publisher chunked by range (protocol 1.2).
    public var span: Int?
    /// In the first chunk, how many items the whole snapshot holds as it was read (protocol 1.6).
    public var total: Int?

    public init(stream: String, seq: Int64, items: [Item], next: String?, span: Int? = nil, total: Int? = nil) {
        self.stream = stream
        self.seq = seq
        self.items = items
        self.next = next
        self.span = span
        self.total = total
    }
}

/// A snapshot chunk read without parsing its items' data: each stays the JSON text it arrived as,
/// for a follower that stores it as it is (the interceptor's replica) and reads it once.
public struct EncodedSnapshotChunk: Sendable {
    public struct Item: Sendable {
        public var type: String
        /// The item's `data`, one JSON value as UTF-8, not yet checked beyond its brackets and strings.
        public var data: [UInt8]
        /// What the follower made of `data` before the chunk's transaction, beside the writer (a
        /// listing read from it), when it prepares items (`StreamApplier.prepareSnapshotItem`).
        public var prepared: (any Sendable)?

        public init(type: String, data: [UInt8], prepared: (any Sendable)? = nil) {
            self.type = type
            self.data = data
            self.prepared = prepared
        }

        /// The data parsed, for appliers that want a `JSONValue`.
        public var item: SnapshotChunk.Item {
            get throws { SnapshotChunk.Item(type: type, data: try JSONReader.value(data)) }
        }
    }

    public var stream: String
    public var seq: Int64
    public var items: [Item]
    public var next: String?
    public var span: Int?
    public var total: Int?

    public init(stream: String, seq: Int64, items: [Item], next: String?, span: Int? = nil, total: Int? = nil) {
        self.stream = stream
        self.seq = seq
        self.items = items
        self.next = next
        self.span = span
        self.total = total
    }

    private enum Member: String, JSONMembers {
        case stream, seq, items, next, span, total
        static let table = JSONMemberTable<Member>()
    }

    private enum ItemMember: String, JSONMembers {
        case type, data
        static let table = JSONMemberTable<ItemMember>()
    }

    /// What a follower makes of an item's data as the chunk is read (`Item.prepared`), given the item's
    /// type and the cursor at its data: it reads the whole value, or nothing and gives nil.
    public typealias Prepare = (_ type: String, _ data: inout JSONCursor) throws -> (any Sendable)?

    /// Reads a chunk from the JSON text of a `snapshot` result.
    public init(result bytes: [UInt8], prepare: Prepare? = nil) throws {
        self = try JSONCursor.read(bytes) { cursor in try EncodedSnapshotChunk(cursor: &cursor, prepare: prepare) }
    }

    /// Reads a chunk at `cursor` (a reply's result, read as the reply is: `BusClient.requestEncoded`)
    /// in one pass: each item's data is kept as its text, and read by `prepare` on the way when its
    /// `type` came first (as publishers write it since protocol 1.6), or from its text when it came
    /// after. When `prepare` cannot read it, the data is walked to find where it ends and `prepared`
    /// stays nil.
    public init(cursor: inout JSONCursor, prepare: Prepare? = nil) throws {
        var stream: String?
        var seq: Int64?
        var items: [Item]?
        var next: String?
        var span: Int?
        var total: Int?
        try cursor.members { (member: Member, cursor) in
            switch member {
            case .stream: stream = try cursor.string()
            case .seq: seq = try cursor.integer()
            case .next: next = try cursor.optionalString()
            case .span: span = try cursor.null() ? nil : Int(try cursor.integer())
            case .total: total = try cursor.null() ? nil : Int(try cursor.integer())
            case .items:
                var read: [Item] = []
                try cursor.elements { cursor in
                    var type: String?
                    var data: [UInt8]?
                    var prepared: (any Sendable)?
                    var dataFirst = false
                    try cursor.members { (member: ItemMember, cursor) in
                        switch member {
                        case .type: type = try cursor.string()
                        case .data:
                            dataFirst = type == nil
                            if let prepare, let type {
                                (data, prepared) = try cursor.text { cursor in try prepare(type, &cursor) }
                            } else {
                                data = try cursor.text()
                            }
                        }
                    }
                    guard let type, let data else { throw WireShapeError("a snapshot item needs type and data") }
                    // Data that came before its type (a publisher before 1.6) is read from its text.
                    if let prepare, dataFirst {
                        prepared = try? JSONCursor.read(data) { cursor in try prepare(type, &cursor) }
                    }
                    read.append(Item(type: type, data: data, prepared: prepared))
                }
                items = read
            }
        }
        func missing(_ key: String) -> WireShapeError { WireShapeError("a snapshot chunk field \(key) is missing") }
        guard let stream else { throw missing("stream") }
        guard let seq else { throw missing("seq") }
        guard let items else { throw missing("items") }
        self.init(stream: stream, seq: seq, items: items, next: next, span: span, total: total)
    }
}

/// Result of `ping`: liveness and the stream head.
public struct PingResult: Codable, Sendable {
    public var service: String
    public var stream: String
    public var head: Int64
    public var startedAt: String

    public init(service: String, stream: String, head: Int64, startedAt: String) {
        self.service = service
        self.stream = stream
        self.head = head
        self.startedAt = startedAt
    }
}
