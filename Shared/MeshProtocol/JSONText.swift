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
    /// and the other control characters as `\u00xx`; everything else as is. Clean runs are found
    /// eight bytes at a time (record texts are mostly CJK, none of whose bytes needs escaping) and
    /// copied whole.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var clean = 0  // start of the run not yet copied
            var index = 0
            while index < count {
                if index + 8 <= count, !Self.mayNeedEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = base[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + clean, count: index - 1 - clean))
                clean = index
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
            bytes.append(contentsOf: UnsafeBufferPointer(start: base + clean, count: count - clean))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes is below 0x20, a quote or a backslash (the word tests of
    /// "Bit Twiddling Hacks": a byte is zero / less than n; exact, no false negatives).
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        return below0x20 || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
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
