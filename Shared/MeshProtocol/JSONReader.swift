import Foundation

/// Reads JSON text into a `JSONValue` in one pass over its UTF-8 bytes.
///
/// `JSONDecoder` reads a `JSONValue` through `Codable`, trying each type in turn (bool, integer,
/// number, string, array, object), and every miss is a thrown `DecodingError`: decoding one
/// published `record.stored` event (1 KB) took 91 µs that way. Every follower decodes every event
/// it receives and every request body is a `JSONValue`, so the bus reads them here instead.
///
/// It gives the value `JSONDecoder` gives for the same text, and refuses what it refuses (checked
/// side by side in `JSONReaderTests`): an integer that fits `Int64` is `.int`, any other number
/// `.double` (2.0 and 1e3 are integers, as there); a repeated key keeps its first value; a comma
/// before a closing bracket or brace is taken; nesting deeper than 512 is refused rather than run
/// off the stack.
public enum JSONReader {
    /// Arrays and objects nested deeper than this are refused (`JSONDecoder`'s limit too).
    public static let maxDepth = 512

    /// What is wrong with a text, and where (byte offset).
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// The value of a complete JSON text (whitespace around it allowed, nothing else).
    public static func value(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        try bytes.withUnsafeBufferPointer { buffer throws(Failure) in
            var parser = Parser(bytes: buffer)
            parser.skipSpace()
            let value = try parser.value(depth: 0)
            parser.skipSpace()
            guard parser.index == buffer.count else { throw parser.failure("unexpected text after the value") }
            return value
        }
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// The members of the objects being read, innermost last.
        var pairs: [(String, JSONValue)] = []

        func failure(_ reason: String) -> Failure { Failure(offset: index, reason: reason) }

        var atEnd: Bool { index >= bytes.count }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(Failure) -> JSONValue {
            guard !atEnd else { throw failure("a value is missing") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw failure("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) throws(Failure) -> JSONValue {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count,
                UnsafeBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
            else { throw failure("unexpected character") }
            index += count
            return value
        }

        mutating func object(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= JSONReader.maxDepth else { throw failure("nested deeper than \(JSONReader.maxDepth)") }
            index += 1
            // The members gather on `pairs` (shared by nested objects, as a stack) and make the
            // dictionary at the brace, at its size: one hash a key, no growing.
            let base = pairs.count
            func members() -> JSONValue {
                defer { pairs.removeSubrange(base...) }
                return .object(Dictionary(pairs[base...], uniquingKeysWith: { first, _ in first }))
            }
            // Right after the brace (an empty object), or after a comma: JSONDecoder takes a comma
            // before the closing brace, so this does too.
            while !closes(UInt8(ascii: "}")) {
                let key = try key()
                pairs.append((key, try value(depth: depth)))
                if try separatorCloses(UInt8(ascii: "}")) { break }
            }
            return members()
        }

        mutating func array(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= JSONReader.maxDepth else { throw failure("nested deeper than \(JSONReader.maxDepth)") }
            index += 1
            var elements: [JSONValue] = []
            while !closes(UInt8(ascii: "]")) {
                elements.append(try value(depth: depth))
                if try separatorCloses(UInt8(ascii: "]")) { break }
            }
            return .array(elements)
        }

        /// Whether the object or array being read closes here, after its opening bracket or a comma
        /// (moved past the close if it does).
        mutating func closes(_ close: UInt8) -> Bool {
            skipSpace()
            guard !atEnd, bytes[index] == close else { return false }
            index += 1
            return true
        }

        /// After a member or an element: a comma (false), or the close (true), moved past.
        mutating func separatorCloses(_ close: UInt8) throws(Failure) -> Bool {
            let what = close == UInt8(ascii: "}") ? "object" : "array"
            skipSpace()
            guard !atEnd else { throw failure("the \(what) is not closed") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                return false
            case close:
                index += 1
                return true
            default: throw failure("',' or '\(Character(Unicode.Scalar(close)))' expected in an \(what)")
            }
        }

        /// A member's key and its colon, the parser left at the value.
        mutating func key() throws(Failure) -> String {
            try keyStart()
            let key = try string()
            try colon()
            return key
        }

        /// At a member's key (its opening quote), or a failure.
        func keyStart() throws(Failure) {
            guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw failure("an object key must be a string") }
        }

        /// The colon after a key, the parser left at the value.
        mutating func colon() throws(Failure) {
            skipSpace()
            guard !atEnd, bytes[index] == UInt8(ascii: ":") else { throw failure("':' expected after an object key") }
            index += 1
            skipSpace()
        }

        /// Moves eight bytes at a time over a string's run with no quote, backslash or control byte
        /// (`JSONWriter`'s word test).
        mutating func skipPlainWords() {
            while bytes.count - index >= 8,
                !JSONWriter.mayNeedEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
            }
        }

        /// A string from its opening quote: runs without escapes are taken whole, and skipped eight
        /// bytes at a time with `JSONWriter`'s word test (no quote, backslash or control byte) —
        /// an import batch's CSV is one string of a megabyte or more.
        mutating func string() throws(Failure) -> String {
            index += 1
            var start = index
            var unescaped: [UInt8]?
            while true {
                skipPlainWords()
                guard !atEnd else { throw failure("the string is not closed") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    if var text = unescaped {
                        text.append(contentsOf: run)
                        return try text.withUnsafeBufferPointer { text throws(Failure) in try validated(text) }
                    }
                    return try validated(run)
                } else if byte == UInt8(ascii: "\\") {
                    if unescaped == nil { unescaped = [] }
                    unescaped!.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    try escape(into: &unescaped!)
                    start = index
                } else if byte < 0x20 {
                    throw failure("a control character must be escaped in a string")
                } else {
                    index += 1
                }
            }
        }

        func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
            guard let text = String(validUTF8: utf8) else { throw failure("a string is not valid UTF-8") }
            return text
        }

        /// One escape sequence from its backslash, appended as UTF-8.
        mutating func escape(into text: inout [UInt8]) throws(Failure) {
            index += 1
            guard !atEnd else { throw failure("the string is not closed") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(byte)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    // A high surrogate: its low half must follow as another \u escape.
                    guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw failure("a \\u escape of a high surrogate without its low one")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("a \\u escape of a high surrogate without its low one") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw failure("a \\u escape of a low surrogate without its high one")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw failure("a \\u escape that is no character") }
                text.append(contentsOf: UTF8.encode(unicode)!)
            default:
                index -= 1
                throw failure("an unknown escape in a string")
            }
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard bytes.count - index >= 4 else { throw failure("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw failure("a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        /// A number as JSON writes it: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
        mutating func number() throws(Failure) -> JSONValue {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard !atEnd, isDigit(bytes[index]) else { throw failure("a number needs a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if !atEnd, isDigit(bytes[index]) { throw failure("a number cannot start with 0") }
            } else {
                while !atEnd, isDigit(bytes[index]) { index += 1 }
            }
            var integral = true
            if !atEnd, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard !atEnd, isDigit(bytes[index]) else { throw failure("a digit must follow the decimal point") }
                while !atEnd, isDigit(bytes[index]) { index += 1 }
            }
            if !atEnd, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if !atEnd, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard !atEnd, isDigit(bytes[index]) else { throw failure("a digit must follow the exponent") }
                while !atEnd, isDigit(bytes[index]) { index += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let value = Int64(text) { return .int(value) }
            guard let value = Double(text), value.isFinite else {
                index = start
                throw failure("a number out of range")
            }
            // JSONDecoder reads an integral number written with a fraction or exponent (2.0, 1e3)
            // as an integer when it fits; an integer written without one that does not fit Int64
            // stays a double.
            if !integral, value == value.rounded(), let exact = Int64(exactly: value) { return .int(exact) }
            return .double(value)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    }
}

/// A message whose JSON is well formed but not of the shape its type needs (a field missing or of
/// another type), named by field.
public struct WireShapeError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A protocol type read from a `JSONValue` by hand, without the `Codable` round trip (encode the
/// value, decode the type) that `JSONValue.decode(_:)` takes: the bus reads every event it
/// receives and every replay this way. `BusClient.request(_:body:decoding:)` prefers it.
public protocol JSONValueReadable: Decodable {
    init(json: JSONValue) throws(WireShapeError)
}

extension JSONValue {
    /// The members of an object, or a shape error naming `what` it should have been.
    func members(of what: String) throws(WireShapeError) -> [String: JSONValue] {
        guard case .object(let members) = self else { throw WireShapeError("\(what) must be a JSON object") }
        return members
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    func string(_ key: String, of what: String) throws(WireShapeError) -> String {
        guard let text = self[key]?.stringValue else { throw WireShapeError("\(what) field \(key) must be a string") }
        return text
    }

    func integer(_ key: String, of what: String) throws(WireShapeError) -> Int64 {
        guard case .int(let number)? = self[key] else { throw WireShapeError("\(what) field \(key) must be an integer") }
        return number
    }
}

extension Event: JSONValueReadable {
    public init(json: JSONValue) throws(WireShapeError) {
        let members = try json.members(of: "an event")
        guard let data = members["data"] else { throw WireShapeError("an event field data is missing") }
        self.init(
            stream: try members.string("stream", of: "an event"), seq: try members.integer("seq", of: "an event"),
            id: try members.string("id", of: "an event"), type: try members.string("type", of: "an event"),
            at: try members.string("at", of: "an event"), data: data)
    }

    /// An event as published (frame 1 of a PUB message).
    public init(payload: [UInt8]) throws {
        try self.init(json: JSONReader.value(payload))
    }
}

extension ReplayResult: JSONValueReadable {
    public init(json: JSONValue) throws(WireShapeError) {
        let members = try json.members(of: "a replay result")
        guard case .array(let events)? = members["events"] else { throw WireShapeError("a replay result field events must be an array") }
        var read: [Event] = []
        read.reserveCapacity(events.count)
        for event in events { read.append(try Event(json: event)) }
        var previous: EventAnchor?
        if let anchor = members["previous"], anchor != .null {
            let fields = try anchor.members(of: "a replay result field previous")
            previous = EventAnchor(
                seq: try fields.integer("seq", of: "a replay result field previous"),
                id: try fields.string("id", of: "a replay result field previous"),
                at: try fields.string("at", of: "a replay result field previous"))
        }
        self.init(
            stream: try members.string("stream", of: "a replay result"), events: read,
            head: try members.integer("head", of: "a replay result"), previous: previous)
    }
}

extension Reply {
    /// A reply frame. `result` is read as JSON; an `error` (small, and rare) through `Codable`.
    public init(payload: [UInt8]) throws {
        let members = try JSONReader.value(payload).members(of: "a reply")
        let id = try members.string("id", of: "a reply")
        guard case .bool(let ok)? = members["ok"] else { throw WireShapeError("a reply field ok must be true or false") }
        let result = members["result"].flatMap { $0 == .null ? nil : $0 }
        let error = try members["error"].flatMap { $0 == .null ? nil : try $0.decode(ReplyError.self) }
        self.init(id: id, result: .null)
        self.ok = ok
        self.result = result
        self.error = error
        self.v = Int(try members.integer("v", of: "a reply"))
    }
}

extension String {
    /// The text `utf8` spells, or nil when it is not valid UTF-8. `String(validating:as:)` looks up
    /// generic metadata on every call (6 % of the CPU of reading a snapshot); decoding repairs
    /// instead of refusing, and what it gives is valid, so text whose bytes differ was not.
    public init?(validUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: utf8, as: UTF8.self)
        let same =
            text.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == utf8.count && (utf8.isEmpty || memcmp(stored.baseAddress!, utf8.baseAddress!, utf8.count) == 0)
            } ?? text.utf8.elementsEqual(utf8)
        guard same else { return nil }
        self = text
    }
}
