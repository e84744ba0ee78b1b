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
            var skimmer = Skimmer(bytes: buffer, index: 0, end: buffer.count)
            skimmer.skipSpace()
            return try skimmer.firstMember(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        }
    }

    /// The string at `bytes[range]` (quotes included), unescaped.
    public static func string(_ bytes: [UInt8], in range: Range<Int>) throws(JSONReader.Failure) -> String {
        guard case .string(let text) = try JSONReader.value(Array(bytes[range])) else {
            throw JSONReader.Failure(offset: range.lowerBound, reason: "a string expected")
        }
        return text
    }

    struct Skimmer {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int
        let end: Int

        func failure(_ reason: String) -> JSONReader.Failure { JSONReader.Failure(offset: index, reason: reason) }

        var atEnd: Bool { index >= end }

        mutating func skipSpace() {
            while index < end {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func firstMember(_ name: UnsafeBufferPointer<UInt8>) throws(JSONReader.Failure) -> Range<Int>? {
            guard !atEnd, bytes[index] == UInt8(ascii: "{") else { throw failure("a JSON object expected") }
            index += 1
            while true {
                skipSpace()
                if !atEnd, bytes[index] == UInt8(ascii: "}") { return nil }
                guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw failure("an object key must be a string") }
                let keyStart = index
                let escaped = try skipString()
                let key = UnsafeBufferPointer(rebasing: bytes[keyStart..<index])
                let matches: Bool
                if escaped {
                    matches = try JSONSkim.string(Array(key), in: 0..<key.count).utf8.elementsEqual(name)
                } else {
                    matches = key.count == name.count + 2 && key[1..<(key.count - 1)].elementsEqual(name)
                }
                skipSpace()
                guard !atEnd, bytes[index] == UInt8(ascii: ":") else { throw failure("':' expected after an object key") }
                index += 1
                skipSpace()
                let start = index
                try skipValue(depth: 1)
                if matches { return start..<index }
                skipSpace()
                guard !atEnd else { throw failure("the object is not closed") }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): return nil
                default: throw failure("',' or '}' expected in an object")
                }
            }
        }

        /// Skips one value; containers by counting brackets outside strings.
        mutating func skipValue(depth: Int) throws(JSONReader.Failure) {
            guard !atEnd else { throw failure("a value is missing") }
            switch bytes[index] {
            case UInt8(ascii: "\""): _ = try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var open = 0
                repeat {
                    guard !atEnd else { throw failure("a container is not closed") }
                    switch bytes[index] {
                    case UInt8(ascii: "\""):
                        _ = try skipString()
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
        mutating func skipString() throws(JSONReader.Failure) -> Bool {
            index += 1
            var escaped = false
            while true {
                while end - index >= 8,
                    !JSONWriter.mayNeedEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
                {
                    index += 8
                }
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
