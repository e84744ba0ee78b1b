/// RFC 4180 CSV over UTF-8 bytes, for the bulk import path: records end at a line feed outside
/// quotes (a carriage return before it is dropped), fields at a comma outside quotes, `""` inside
/// quotes is one quote. Unquoted fields are trimmed of spaces and tabs, as creditctl's reader always
/// did. Hand-written because the import's hot path parses a million rows in seconds.
public enum CSVText {
    /// One record: its fields, or nil when a quote is left open.
    public typealias Record = [String]?

    /// Calls `body` for each record of `text` in order (a blank line is a record of one empty field).
    public static func forEachRecord(in text: String, _ body: (Record) throws -> Void) rethrows {
        var text = text
        try text.withUTF8 { bytes in
            var start = 0
            var inQuotes = false
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == quote {
                    inQuotes.toggle()
                } else if byte == newline, !inQuotes {
                    try body(fields(UnsafeBufferPointer(rebasing: bytes[start..<index])))
                    start = index + 1
                    inQuotes = false
                }
                index += 1
            }
            if start < bytes.count { try body(fields(UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))) }
        }
    }

    /// The fields of one record's bytes (without its line feed), or nil when a quote is left open.
    public static func fields(_ bytes: UnsafeBufferPointer<UInt8>) -> Record {
        var end = bytes.count
        if end > 0, bytes[end - 1] == carriageReturn { end -= 1 }
        var fields: [String] = []
        fields.reserveCapacity(32)
        var index = 0
        while true {
            if index < end, bytes[index] == quote {
                // Quoted field: up to the closing quote, "" standing for one quote.
                var value: [UInt8] = []
                index += 1
                var closed = false
                while index < end {
                    let byte = bytes[index]
                    if byte == quote {
                        if index + 1 < end, bytes[index + 1] == quote {
                            value.append(quote)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    value.append(byte)
                    index += 1
                }
                guard closed else { return nil }
                // Anything between the closing quote and the next comma is kept, as lenient readers do.
                var tail = index
                while tail < end, bytes[tail] != comma { tail += 1 }
                if tail > index { value += trimmed(UnsafeBufferPointer(rebasing: bytes[index..<tail])) }
                fields.append(String(decoding: value, as: UTF8.self))
                index = tail
            } else {
                var tail = index
                while tail < end, bytes[tail] != comma { tail += 1 }
                fields.append(String(decoding: trimmed(UnsafeBufferPointer(rebasing: bytes[index..<tail])), as: UTF8.self))
                index = tail
            }
            if index >= end { break }
            index += 1  // the comma
            if index == end {
                fields.append("")
                break
            }
        }
        return fields
    }

    /// Quotes a field when it needs it (comma, quote, line break or leading/trailing space).
    public static func escape(_ field: String) -> String {
        let needsQuotes =
            field.utf8.contains { $0 == comma || $0 == quote || $0 == newline || $0 == carriageReturn }
            || field.first == " " || field.last == " "
        guard needsQuotes else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == space || bytes[start] == tab { start += 1 }
        while end > start, bytes[end - 1] == space || bytes[end - 1] == tab { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
}
