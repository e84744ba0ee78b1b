/// Finds where a member of a JSON object lies in a text without reading the rest, and walks values
/// without building them (`JSONCursor.text`): for messages whose bulk is passed on as it is (a
/// snapshot chunk's stored listings go from dispatch's table into the interceptor's replica
/// unchanged), and for the one member a message is routed by (a reply's `id`, an event's `stream`).
///
/// It checks the structure it walks (brackets, strings and their escapes, what may follow a value);
/// it does not check what it skips as thoroughly as `JSONReader` (numbers and literals are taken as
/// runs of their characters). Whoever keeps a skipped value reads it with a full parser first.
public enum JSONSkim {
    /// The range of the value of the first member named `key` of the object `bytes`, or nil when it
    /// has none. The walk stops there: what follows is not checked (whoever reads the message does).
    public static func firstMember(_ key: StaticString, of bytes: [UInt8]) throws(JSONReader.Failure) -> Range<Int>? {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONReader.Failure) in
            var parser = JSONReader.Parser(bytes: buffer)
            parser.skipSpace()
            return try parser.skimToMember(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        }
    }

    /// The string at `bytes[range]` (quotes included), unescaped.
    public static func string(_ bytes: [UInt8], in range: Range<Int>) throws(JSONReader.Failure) -> String {
        guard case .string(let text) = try JSONReader.value(Array(bytes[range])) else {
            throw JSONReader.Failure(offset: range.lowerBound, reason: "a string expected")
        }
        return text
    }

}

/// The walks of `JSONSkim` and `JSONCursor.text`, on `JSONReader`'s parser: its grammar for what
/// lies between values, and bracket counting instead of parsing for the values themselves.
extension JSONReader.Parser {
    mutating func skimToMember(_ name: UnsafeBufferPointer<UInt8>) throws(JSONReader.Failure) -> Range<Int>? {
        guard !atEnd, bytes[index] == UInt8(ascii: "{") else { throw failure("a JSON object expected") }
        index += 1
        while !closes(UInt8(ascii: "}")) {
            try keyStart()
            let keyStart = index
            let escaped = try skimString()
            let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<index])
            let matches: Bool
            if escaped {
                matches = try JSONSkim.string(Array(key), in: 0..<key.count).utf8.elementsEqual(name)
            } else {
                matches = key.count == name.count + 2 && key[1..<(key.count - 1)].elementsEqual(name)
            }
            try colon()
            let start = index
            try skimValue(depth: 1)
            if matches { return start..<index }
            if try separatorCloses(UInt8(ascii: "}")) { break }
        }
        return nil
    }

    /// Skips one value; containers by counting brackets outside strings.
    mutating func skimValue(depth: Int) throws(JSONReader.Failure) {
        guard !atEnd else { throw failure("a value is missing") }
        switch bytes[index] {
        case UInt8(ascii: "\""): _ = try skimString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var open = 0
            repeat {
                guard !atEnd else { throw failure("a container is not closed") }
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    _ = try skimString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    open += 1
                    guard depth + open <= JSONReader.maxDepth + 1 else { throw failure("nested deeper than \(JSONReader.maxDepth)") }
                case UInt8(ascii: "}"), UInt8(ascii: "]"): open -= 1
                default: break
                }
                index += 1
            } while open > 0
        default:
            // A number or a literal: the run up to the next delimiter.
            let start = index
            while !atEnd {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: break
                default:
                    index += 1
                    continue
                }
                break
            }
            guard index > start else { throw failure("unexpected character") }
        }
    }

    /// Skips a string from its opening quote to after its closing one. Returns whether it held
    /// an escape.
    mutating func skimString() throws(JSONReader.Failure) -> Bool {
        index += 1
        var escaped = false
        while true {
            skipPlainWords()
            guard !atEnd else { throw failure("the string is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return escaped
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 2
            } else if byte < 0x20 {
                throw failure("a control character must be escaped in a string")
            } else {
                index += 1
            }
        }
    }
}

/// A result already written as JSON text, put into the reply as it is: for replies whose bulk is
/// stored JSON (a snapshot chunk's listings), which a `JSONValue` would parse and write again.
public struct EncodedJSON: Sendable, Encodable {
    /// One JSON value, as UTF-8. The writer vouches for it.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The value, parsed (callers in the same process that want a `JSONValue`).
    public func value() throws -> JSONValue { try JSONReader.value(bytes) }

    public func encode(to encoder: any Encoder) throws {
        try value().encode(to: encoder)
    }
}
