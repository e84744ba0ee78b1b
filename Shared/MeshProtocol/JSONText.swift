/// Compact JSON text without a `JSONEncoder` round trip, keys sorted — the same text as
/// `WireCoding.encode` gives for the same value, at a fraction of the cost. Event logs write every
/// event's data with it (a bulk import stores tens of thousands of events a second).
public enum JSONText {
    /// The JSON text of a value.
    public static func text(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// The JSON text of a value as UTF-8 bytes, for storing or framing without a `String`.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter()
        writer.value(value)
        return writer.bytes
    }

    /// A member value of `object(_:)`: JSON text already written, or a string to quote.
    public enum Member {
        case json(String)
        /// JSON text already written, as UTF-8 bytes.
        case jsonBytes([UInt8])
        case string(String)
    }

    /// A JSON object from members in the order given — give the keys sorted to match `text(_:)`.
    /// For framing already-written JSON (an event around its stored data) without parsing it again.
    public static func object(_ members: KeyValuePairs<String, Member>) -> String {
        var writer = JSONWriter(capacity: objectCapacity(members))
        writer.object(members)
        return writer.text
    }

    /// `object(_:)` as UTF-8 bytes, for a payload that goes on the wire as is.
    public static func objectBytes(_ members: KeyValuePairs<String, Member>) -> [UInt8] {
        var writer = JSONWriter(capacity: objectCapacity(members))
        writer.object(members)
        return writer.bytes
    }

    private static func objectCapacity(_ members: KeyValuePairs<String, Member>) -> Int {
        members.reduce(16) { total, member in
            switch member.value {
            case .json(let text): return total + text.utf8.count + 16
            case .jsonBytes(let bytes): return total + bytes.count + 16
            case .string: return total + 48
            }
        }
    }
}

/// Compact JSON written straight into UTF-8 bytes: the one place that escapes strings and formats
/// numbers for `JSONText` and for writers of fixed shapes (the registry's records), so both give
/// the same text for the same value.
public struct JSONWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The text written so far.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends JSON the caller vouches for: punctuation, a key known to need no escaping, text
    /// written by another writer.
    public mutating func raw(_ json: StaticString) {
        json.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw(_ json: String) {
        bytes.append(contentsOf: json.utf8)
    }

    public mutating func raw(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
    }

    /// A quoted, escaped string as `JSONEncoder` writes it: `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f`
    /// and the other control characters as `\u00xx`; everything else as is.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var clean = 0  // start of the run not yet copied
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<index]))
                clean = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A key and its colon.
    public mutating func key(_ key: String) {
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func number(_ number: Int64) {
        bytes.append(contentsOf: String(number).utf8)
    }

    /// A whole number within ±10^15 without a fraction, as `JSONEncoder` writes it; NaN and the
    /// infinities, which JSON lacks, as `null`.
    public mutating func number(_ number: Double) {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            self.number(Int64(number))
        } else if number.isFinite {
            bytes.append(contentsOf: String(number).utf8)
        } else {
            raw("null")
        }
    }

    /// Any value, object keys sorted.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): raw(flag ? "true" : "false")
        case .int(let number): self.number(number)
        case .double(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let items):
            raw("[")
            for (index, item) in items.enumerated() {
                if index > 0 { raw(",") }
                self.value(item)
            }
            raw("]")
        case .object(let object):
            raw("{")
            for (index, member) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { raw(",") }
                key(member.key)
                self.value(member.value)
            }
            raw("}")
        }
    }

    /// String members, keys sorted (a record's source fields).
    public mutating func object(_ members: [String: String]) {
        raw("{")
        for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { raw(",") }
            key(member.key)
            string(member.value)
        }
        raw("}")
    }

    /// Members in the order given (see `JSONText.object(_:)`).
    public mutating func object(_ members: KeyValuePairs<String, JSONText.Member>) {
        raw("{")
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { raw(",") }
            self.key(key)
            switch value {
            case .json(let text): raw(text)
            case .jsonBytes(let bytes): raw(bytes)
            case .string(let text): string(text)
            }
        }
        raw("}")
    }
}
