import Foundation

/// One event of a stream, as stored in the publisher's event log and sent as frame 1 on its PUB
/// socket (frame 0 is `type`, the topic). `seq` is gap-free per stream, starting at 1.
public struct Event: Codable, Sendable, Equatable {
    public var stream: String
    public var seq: Int64
    /// Globally unique (`<stream>-<seq>` unless the producer chose an id), so consumers can deduplicate.
    public var id: String
    public var type: String
    /// When the event was committed, ISO 8601 UTC with milliseconds.
    public var at: String
    public var data: JSONValue

    public init(stream: String, seq: Int64, id: String, type: String, at: String, data: JSONValue) {
        self.stream = stream
        self.seq = seq
        self.id = id
        self.type = type
        self.at = at
        self.data = data
    }

    public func decodeData<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try data.decode(T.self)
    }

    /// The event as a JSON value, as `WireCoding` encodes it, without `JSONEncoder`.
    public var json: JSONValue {
        .object([
            "stream": .string(stream), "seq": .int(seq), "id": .string(id), "type": .string(type), "at": .string(at), "data": data,
        ])
    }
}

/// Sent on every PUB socket periodically with topic `heartbeat`: the stream's head seq, so a
/// subscriber notices a silent publisher and a gap at the tail.
public struct Heartbeat: Codable, Sendable, Equatable {
    public static let topic = "heartbeat"
    public var stream: String
    public var head: Int64
    public var at: String
    /// The event at `head` (nil for an empty stream): a follower whose last applied event has the
    /// same seq but is another event knows the publisher's history was replaced.
    public var last: EventAnchor?

    public init(stream: String, head: Int64, at: String, last: EventAnchor? = nil) {
        self.stream = stream
        self.head = head
        self.at = at
        self.last = last
    }
}

/// Timestamps on the wire: ISO 8601, UTC, millisecond precision.
public enum WireTime {
    /// `2026-11-23T08:30:00.123Z`: written by arithmetic (`CivilDate`), the same text as
    /// `Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)` at a fraction
    /// of its cost (every event is stamped); the format style for instants before 1970.
    public static func format(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1_000).rounded(.down)
        if milliseconds.isFinite, milliseconds >= 0, milliseconds < 253_402_300_800_000,
            let text = CivilDate.timestamp(millisecondsSince1970: Int64(milliseconds))
        {
            return text
        }
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text) {
            return date
        }
        return try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text)
    }

    public static var now: String { format(Date()) }
}
