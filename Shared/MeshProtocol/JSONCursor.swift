/// Reads one JSON text value by value, as its reader asks for them: a member read as a string is
/// only that string (no `JSONValue`, no dictionary of the object around it), and a value taken as
/// its text (`text`) is only walked. For messages read in bulk into types of their own: a snapshot
/// chunk and every listing in it.
///
/// What it reads it checks as `JSONReader` does (`JSONReader`'s parser reads each string, number and
/// literal), and a value its reader passes over is parsed in full and dropped, so a text
/// `JSONReader` refuses this refuses too, except inside a value taken as `text`, which is walked as
/// `JSONSkim` walks. Of a repeated key only the first value is read, as `JSONReader` keeps it.
public struct JSONCursor {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index: Int
    /// How deeply the value at the cursor is nested: 0 at the top, n inside n containers.
    private var depth = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    /// Reads the complete JSON text `bytes` (whitespace around the value allowed, nothing else)
    /// with `body`, which starts at the value; a value `body` does not read is checked and passed over.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout JSONCursor) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var cursor = JSONCursor(bytes: buffer)
            cursor.skipSpace()
            let result = try cursor.reading(body)
            cursor.skipSpace()
            guard cursor.index == buffer.count else { throw cursor.failure("unexpected text after the value") }
            return result
        }
    }

    /// Reads the members of the object at the cursor, in order, that `Member` names: each by `member`,
    /// given which one it is and the cursor at its value. A key `Member` does not name is checked and
    /// passed over, and so is a repeated key: the first value is kept, as `JSONReader` keeps it.
    /// (Inlinable, so that it is specialised where it is called: a generic call would look the
    /// table's type up at run time on every object.)
    @inlinable
    public mutating func members<Member: JSONMembers>(_ member: (Member, inout JSONCursor) throws -> Void) throws {
        let table = Member.table
        try members(named: table.names) { index, cursor in try member(table.members[index], &cursor) }
    }

    /// The members of the object at the cursor that `names` holds, each by its index there, the first
    /// of a repeated key only.
    @usableFromInline
    mutating func members(named names: JSONMemberNames, _ member: (Int, inout JSONCursor) throws -> Void) throws {
        var seen: UInt64 = 0
        try members { key, cursor in
            guard let index = names.index(of: key) else { return }
            let bit: UInt64 = 1 << index
            guard seen & bit == 0 else { return }
            seen |= bit
            try member(index, &cursor)
        }
    }

    /// Reads the members of the object at the cursor in order, each by `member`, given its key (valid
    /// during the call) and the cursor at its value.
    private mutating func members(_ member: (UnsafeBufferPointer<UInt8>, inout JSONCursor) throws -> Void) throws {
        guard !atEnd, bytes[index] == UInt8(ascii: "{") else { throw failure("a JSON object expected") }
        try enter()
        defer { depth -= 1 }
        index += 1
        while true {
            skipSpace()
            // JSONReader takes a comma before the closing brace, so this does too.
            if !atEnd, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw failure("an object key must be a string") }
            // A key of printable ASCII without escapes (every key the mesh writes) is given as it
            // lies in the text; any other is read as a string, escapes and UTF-8 checked.
            var end = index + 1
            while end < bytes.count, bytes[end] >= 0x20, bytes[end] < 0x80, bytes[end] != UInt8(ascii: "\""),
                bytes[end] != UInt8(ascii: "\\")
            {
                end += 1
            }
            if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
                let key = UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end])
                index = end + 1
                try value(of: key, member)
            } else {
                var key = try parse { parser throws(JSONReader.Failure) in try parser.string() }
                try key.withUTF8 { utf8 in try value(of: utf8, member) }
            }
            skipSpace()
            guard !atEnd else { throw failure("the object is not closed") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return
            default: throw failure("',' or '}' expected in an object")
            }
        }
    }

    /// Reads the elements of the array at the cursor in order, each by `element`.
    public mutating func elements(_ element: (inout JSONCursor) throws -> Void) throws {
        guard !atEnd, bytes[index] == UInt8(ascii: "[") else { throw failure("a JSON array expected") }
        try enter()
        defer { depth -= 1 }
        index += 1
        while true {
            skipSpace()
            if !atEnd, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            try reading(element)
            skipSpace()
            guard !atEnd else { throw failure("the array is not closed") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return
            default: throw failure("',' or ']' expected in an array")
            }
        }
    }

    /// Whether the value at the cursor is `null`; if it is, the cursor moves past it.
    public mutating func null() throws(JSONReader.Failure) -> Bool {
        guard !atEnd, bytes[index] == UInt8(ascii: "n") else { return false }
        _ = try parse { parser throws(JSONReader.Failure) in try parser.literal("null", .null) }
        return true
    }

    /// The string at the cursor, unescaped.
    public mutating func string() throws(JSONReader.Failure) -> String {
        guard !atEnd, bytes[index] == UInt8(ascii: "\"") else { throw failure("a string expected") }
        return try parse { parser throws(JSONReader.Failure) in try parser.string() }
    }

    /// The string at the cursor, or nil for `null`.
    public mutating func optionalString() throws(JSONReader.Failure) -> String? {
        try null() ? nil : try string()
    }

    /// The value of `T` the string at the cursor names, or nil for `null`.
    public mutating func optionalValue<T: RawRepresentable<String>>() throws(JSONReader.Failure) -> T? {
        let start = index
        guard let text = try optionalString() else { return nil }
        guard let value = T(rawValue: text) else {
            index = start
            throw failure("no value \(text) of \(T.self)")
        }
        return value
    }

    /// The integer at the cursor (a number that fits `Int64`, as `JSONReader` reads it).
    public mutating func integer() throws(JSONReader.Failure) -> Int64 {
        let start = index
        guard case .int(let number) = try value() else {
            index = start
            throw failure("an integer expected")
        }
        return number
    }

    /// The value at the cursor, parsed.
    public mutating func value() throws(JSONReader.Failure) -> JSONValue {
        try parse { [depth] parser throws(JSONReader.Failure) in try parser.value(depth: depth) }
    }

    /// `true` or `false` at the cursor.
    public mutating func bool() throws(JSONReader.Failure) -> Bool {
        let start = index
        guard case .bool(let value) = try value() else {
            index = start
            throw failure("true or false expected")
        }
        return value
    }

    /// The text of the value at the cursor, as it is, walked and not parsed: its brackets and strings
    /// are checked, its numbers and literals taken as runs of their characters (as `JSONSkim` walks).
    public mutating func text() throws(JSONReader.Failure) -> [UInt8] {
        let start = index
        var skimmer = JSONSkim.Skimmer(bytes: bytes, index: index, end: bytes.count)
        try skimmer.skipValue(depth: depth)
        index = skimmer.index
        return Array(bytes[start..<index])
    }

    /// Runs `body` at a value; if it read nothing, the value is checked and passed over.
    private mutating func reading<T>(_ body: (inout JSONCursor) throws -> T) throws -> T {
        let start = index
        let result = try body(&self)
        if index == start { _ = try value() }
        return result
    }

    private mutating func value(
        of key: UnsafeBufferPointer<UInt8>, _ member: (UnsafeBufferPointer<UInt8>, inout JSONCursor) throws -> Void
    ) throws {
        skipSpace()
        guard !atEnd, bytes[index] == UInt8(ascii: ":") else { throw failure("':' expected after an object key") }
        index += 1
        skipSpace()
        try reading { cursor in try member(key, &cursor) }
    }

    /// One level deeper, into the container at the cursor (the caller steps out).
    private mutating func enter() throws(JSONReader.Failure) {
        guard depth < JSONReader.maxDepth else { throw failure("nested deeper than \(JSONReader.maxDepth)") }
        depth += 1
    }

    private mutating func parse<T>(_ body: (inout JSONReader.Parser) throws(JSONReader.Failure) -> T) throws(JSONReader.Failure) -> T {
        var parser = JSONReader.Parser(bytes: bytes, index: index)
        let result = try body(&parser)
        index = parser.index
        return result
    }

    private var atEnd: Bool { index >= bytes.count }

    private func failure(_ reason: String) -> JSONReader.Failure { JSONReader.Failure(offset: index, reason: reason) }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }
}

/// The members a type reads from a JSON object with `JSONCursor.members`, one case each, named by
/// its raw value: `static let table = JSONMemberTable<Self>()`.
public protocol JSONMembers: CaseIterable, RawRepresentable<String>, Sendable {
    static var table: JSONMemberTable<Self> { get }
}

/// The cases of a `JSONMembers` type and their names.
public struct JSONMemberTable<Member: JSONMembers>: Sendable {
    @usableFromInline let members: [Member]
    @usableFromInline let names: JSONMemberNames

    public init() {
        members = Array(Member.allCases)
        names = JSONMemberNames(members.map(\.rawValue))
    }
}

/// Member names as UTF-8, to find a key's index without making it a `String`.
@usableFromInline
struct JSONMemberNames: Sendable {
    /// The names one after another, and where each ends.
    private let bytes: [UInt8]
    private let ends: [Int]

    init(_ names: [String]) {
        precondition(names.count <= 64, "JSONCursor tracks at most 64 members of an object")
        bytes = names.flatMap(\.utf8)
        var end = 0
        ends = names.map { name in
            end += name.utf8.count
            return end
        }
    }

    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for (index, end) in ends.enumerated() {
                defer { start = end }
                guard end - start == key.count else { continue }
                var offset = 0
                while offset < key.count, bytes[start + offset] == key[offset] { offset += 1 }
                if offset == key.count { return index }
            }
            return nil
        }
    }
}
