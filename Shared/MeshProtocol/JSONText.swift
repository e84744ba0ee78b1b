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
///
/// It writes into a buffer of its own rather than appending to an `[UInt8]`: a record's JSON is
/// some sixty appends, most of a few bytes, and `Array.append(contentsOf:)` (uniqueness check,
/// generic copy) was a quarter of the time a record's two texts took. Noncopyable, so the buffer
/// has one owner; `bytes` copies what was written out once.
public struct JSONWriter: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// What was written, as UTF-8.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The text written so far.
    public var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    @inlinable @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inlinable @inline(__always)
    mutating func append(_ start: UnsafePointer<UInt8>, _ length: Int) {
        if count + length > capacity { grow(to: count + length) }
        (base + count).initialize(from: start, count: length)
        count += length
    }

    @usableFromInline
    mutating func grow(to needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// Appends JSON the caller vouches for: punctuation, a key known to need no escaping.
    ///
    /// Literals only: with an overload taking `String` beside it, a literal was made a `String`
    /// (the default literal type wins) and copied through `String.UTF8View`, a tenth of the time a
    /// record's JSON took; text written elsewhere goes through `raw(text:)`.
    @inlinable
    public mutating func raw(_ json: StaticString) {
        // `withUTF8Buffer`, not `utf8Start`: a literal of one scalar may be stored as that scalar.
        json.withUTF8Buffer { if let start = $0.baseAddress { append(start, $0.count) } }
    }

    /// Appends JSON text written by another writer.
    public mutating func raw(text json: String) {
        var json = json
        json.withUTF8 { if let start = $0.baseAddress { append(start, $0.count) } }
    }

    public mutating func raw(_ json: [UInt8]) {
        json.withUnsafeBufferPointer { if let start = $0.baseAddress { append(start, $0.count) } }
    }

    /// A quoted, escaped string as `JSONEncoder` writes it: `"`, `\`, `\n`, `\r`, `\t`, `\b`, `\f`
    /// and the other control characters as `\u00xx`; everything else as is. Clean runs are found
    /// eight bytes at a time (record texts are mostly CJK, none of whose bytes needs escaping) and
    /// copied whole.
    public mutating func string(_ text: String) {
        append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            guard let source = utf8.baseAddress else { return }
            let length = utf8.count
            var clean = 0  // start of the run not yet copied
            var index = 0
            while index < length {
                if index + 8 <= length, !Self.mayNeedEscape(UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = source[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                append(source + clean, index - 1 - clean)
                clean = index
                append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): append(byte)
                case UInt8(ascii: "\n"): append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): append(UInt8(ascii: "t"))
                case 0x08: append(UInt8(ascii: "b"))
                case 0x0C: append(UInt8(ascii: "f"))
                default:
                    raw("u00")
                    append(Self.hexDigit(byte >> 4))
                    append(Self.hexDigit(byte & 0xF))
                }
            }
            append(source + clean, length - clean)
        }
        append(UInt8(ascii: "\""))
    }

    /// The lowercase hex digit of a value below 16.
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
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
        append(UInt8(ascii: ":"))
    }

    public mutating func number(_ number: Int64) {
        raw(text: String(number))
    }

    /// A whole number within ±10^15 without a fraction, as `JSONEncoder` writes it; NaN and the
    /// infinities, which JSON lacks, as `null`.
    public mutating func number(_ number: Double) {
        if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
            self.number(Int64(number))
        } else if number.isFinite {
            raw(text: String(number))
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

    /// The key of an object's member written member by member, keys in sorted order so that the
    /// text is `WireCoding`'s: `"key":`, after a comma unless `first`. Keys are literals that need
    /// no escaping.
    public mutating func memberKey(_ key: StaticString, first: Bool = false) {
        raw(first ? "\"" : ",\"")
        raw(key)
        raw("\":")
    }

    /// A string member after the first; nothing for nil, as `Codable` leaves out a nil optional.
    public mutating func member(_ key: StaticString, _ text: String?) {
        guard let text else { return }
        memberKey(key)
        string(text)
    }

    /// A string member written as `null` when nil, for a member that is always present.
    public mutating func member(_ key: StaticString, orNull text: String?) {
        memberKey(key)
        if let text { string(text) } else { raw("null") }
    }

    public mutating func member(_ key: StaticString, _ number: Int64?) {
        guard let number else { return }
        memberKey(key)
        self.number(number)
    }

    public mutating func member(_ key: StaticString, _ number: Double?) {
        guard let number else { return }
        memberKey(key)
        self.number(number)
    }

    /// An array of strings.
    public mutating func member(_ key: StaticString, _ texts: [String]) {
        memberKey(key)
        raw("[")
        for (index, text) in texts.enumerated() {
            if index > 0 { raw(",") }
            string(text)
        }
        raw("]")
    }

    public mutating func member(_ key: StaticString, _ flag: Bool) {
        memberKey(key)
        raw(flag ? "true" : "false")
    }

    /// Members in the order given (see `JSONText.object(_:)`).
    public mutating func object(_ members: KeyValuePairs<String, JSONText.Member>) {
        raw("{")
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { raw(",") }
            self.key(key)
            switch value {
            case .json(let text): raw(text: text)
            case .jsonBytes(let bytes): raw(bytes)
            case .string(let text): string(text)
            }
        }
        raw("}")
    }
}
