/// Body of the `replay` op: events with seq strictly greater than `from`, at most `limit` of them.
public struct ReplayRequest: Codable, Sendable {
    public var from: Int64
    public var limit: Int?

    public init(from: Int64, limit: Int? = nil) {
        self.from = from
        self.limit = limit
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
public struct SnapshotRequest: Codable, Sendable {
    public var cursor: String?
    public var limit: Int?

    public init(cursor: String? = nil, limit: Int? = nil) {
        self.cursor = cursor
        self.limit = limit
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

    public init(stream: String, seq: Int64, items: [Item], next: String?) {
        self.stream = stream
        self.seq = seq
        self.items = items
        self.next = next
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
