/// Compact JSON text without a `JSONEncoder` round trip, keys sorted — the same text as
/// `WireCoding.encode` gives for the same value, at a fraction of the cost. Event logs write every
/// event's data with it (a bulk import stores tens of thousands of events a second).
public enum JSONText {
    /// The JSON text of a value.
    public static func text(_ value: JSONValue) -> String {
        var output = ""
        output.reserveCapacity(256)
        write(value, to: &output)
        return output
    }

    public static func write(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        case .double(let number):
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
                output += String(Int64(number))
            } else if number.isFinite {
                output += String(number)
            } else {
                output += "null"  // JSON has no NaN or infinity
            }
        case .string(let text): writeString(text, to: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                write(item, to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, key) in object.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                writeString(key, to: &output)
                output += ":"
                write(object[key] ?? .null, to: &output)
            }
            output += "}"
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else as is.
    public static func writeString(_ text: String, to output: inout String) {
        output += "\""
        var needsEscape = false
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            output += text
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": output += "\\\""
                case "\\": output += "\\\\"
                case "\n": output += "\\n"
                case "\r": output += "\\r"
                case "\t": output += "\\t"
                case let control where control.value < 0x20:
                    let hex = String(control.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

    /// A member value of `object(_:)`: JSON text already written, or a string to quote.
    public enum Member {
        case json(String)
        case string(String)
    }

    /// A JSON object from members in the order given — give the keys sorted to match `text(_:)`.
    /// For framing already-written JSON (an event around its stored data) without parsing it again.
    public static func object(_ members: KeyValuePairs<String, Member>) -> String {
        var output = "{"
        output.reserveCapacity(members.reduce(16) { total, member in
            if case .json(let text) = member.value { return total + text.utf8.count + 16 }
            return total + 48
        })
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { output += "," }
            writeString(key, to: &output)
            output += ":"
            switch value {
            case .json(let text): output += text
            case .string(let text): writeString(text, to: &output)
            }
        }
        output += "}"
        return output
    }
}
