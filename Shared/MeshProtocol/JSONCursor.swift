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
    /// `JSONReader`'s parser, at the cursor: it reads each value the cursor reads, and the grammar
    /// between them.
    private var parser: JSONReader.Parser
    /// How deeply the value at the cursor is nested: 0 at the top, n inside n containers.
    private var depth = 0

    /// Reads the complete JSON text `bytes` (whitespace around the value allowed, nothing else)
    /// with `body`, which starts at the value; a value `body` does not read is checked and passed over.
    public static func read<T>(_ bytes: [UInt8], _ body: (inout JSONCursor) throws -> T) throws -> T {
        try bytes.withUnsafeBufferPointer { buffer in
            var cursor = JSONCursor(parser: JSONReader.Parser(bytes: buffer))
            cursor.parser.skipSpace()
            let result = try cursor.reading(body)
            cursor.parser.skipSpace()
            guard cursor.parser.atEnd else { throw cursor.parser.failure("unexpected text after the value") }
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
        try container(open: "{", close: "}") { cursor in
            try cursor.key { key, cursor in
                guard let index = names.index(of: key) else { return }
                let bit: UInt64 = 1 << index
                guard seen & bit == 0 else { return }
                seen |= bit
                try member(index, &cursor)
            }
        }
    }

    /// Reads the elements of the array at the cursor in order, each by `element`.
    public mutating func elements(_ element: (inout JSONCursor) throws -> Void) throws {
        try container(open: "[", close: "]") { cursor in try cursor.reading(element) }
    }

    /// Whether the value at the cursor is `null`; if it is, the cursor moves past it.
    public mutating func null() throws(JSONReader.Failure) -> Bool {
        guard !parser.atEnd, parser.bytes[parser.index] == UInt8(ascii: "n") else { return false }
        _ = try parser.literal("null", .null)
        return true
    }

    /// The string at the cursor, unescaped.
    public mutating func string() throws(JSONReader.Failure) -> String {
        guard !parser.atEnd, parser.bytes[parser.index] == UInt8(ascii: "\"") else { throw parser.failure("a string expected") }
        return try parser.string()
    }

    /// The string at the cursor, or nil for `null`.
    public mutating func optionalString() throws(JSONReader.Failure) -> String? {
        try null() ? nil : try string()
    }

    /// The value of `T` the string at the cursor names, or nil for `null`. (Inlinable, so that it is
    /// specialised where it is called: a listing reads four of its members this way.)
    @inlinable
    public mutating func optionalValue<T: RawRepresentable<String>>() throws(JSONReader.Failure) -> T? {
        guard let text = try optionalString() else { return nil }
        guard let value = T(rawValue: text) else { throw failure("no value \(text) of \(T.self)") }
        return value
    }

    /// A failure at the cursor.
    @usableFromInline
    func failure(_ reason: String) -> JSONReader.Failure { parser.failure(reason) }

    /// The integer at the cursor (a number that fits `Int64`, as `JSONReader` reads it).
    public mutating func integer() throws(JSONReader.Failure) -> Int64 {
        try typed("an integer") { value in if case .int(let number) = value { number } else { nil } }
    }

    /// `true` or `false` at the cursor.
    public mutating func bool() throws(JSONReader.Failure) -> Bool {
        try typed("true or false") { value in if case .bool(let flag) = value { flag } else { nil } }
    }

    /// The value at the cursor, parsed.
    public mutating func value() throws(JSONReader.Failure) -> JSONValue {
        try parser.value(depth: depth)
    }

    /// The text of the value at the cursor, as it is, walked and not parsed: its brackets and strings
    /// are checked, its numbers and literals taken as runs of their characters (as `JSONSkim` walks).
    public mutating func text() throws(JSONReader.Failure) -> [UInt8] {
        let start = parser.index
        try parser.skimValue(depth: depth)
        return Array(parser.bytes[start..<parser.index])
    }

    /// The text of the value at the cursor, as `text()` gives it, and what `read` made of the value on
    /// the way, in one pass: `read` reads the whole value or nothing (then the value is walked). When
    /// `read` throws, the value is walked from its start as `text()` walks it and nil is given back
    /// with the text, for its reader to read again where a refusal can say why.
    public mutating func text<T>(reading read: (inout JSONCursor) throws -> T?) throws(JSONReader.Failure) -> (text: [UInt8], read: T?) {
        let saved = (parser, depth)
        let start = parser.index
        var value: T?
        do {
            value = try read(&self)
        } catch {
            (parser, depth) = saved
        }
        if parser.index == start { try parser.skimValue(depth: depth) }
        return (Array(parser.bytes[start..<parser.index]), value)
    }

    /// The value at the cursor as `read` takes it, or a failure at the value naming what was `expected`.
    private mutating func typed<T>(_ expected: String, _ read: (JSONValue) -> T?) throws(JSONReader.Failure) -> T {
        let start = parser.index
        guard let value = read(try value()) else {
            parser.index = start
            throw parser.failure("\(expected) expected")
        }
        return value
    }

    /// Runs `body` at a value; if it read nothing, the value is checked and passed over.
    private mutating func reading<T>(_ body: (inout JSONCursor) throws -> T) throws -> T {
        let start = parser.index
        let result = try body(&self)
        if parser.index == start { _ = try value() }
        return result
    }

    /// Reads the object or array at the cursor, an `entry` at a time, one level deeper.
    private mutating func container(open: Unicode.Scalar, close: Unicode.Scalar, _ entry: (inout JSONCursor) throws -> Void) throws {
        let what = open == "{" ? "a JSON object" : "a JSON array"
        guard !parser.atEnd, parser.bytes[parser.index] == UInt8(ascii: open) else { throw parser.failure("\(what) expected") }
        guard depth < JSONReader.maxDepth else { throw parser.failure("nested deeper than \(JSONReader.maxDepth)") }
        depth += 1
        defer { depth -= 1 }
        parser.index += 1
        // JSONReader takes a comma before the closing bracket, so this does too.
        while !parser.closes(UInt8(ascii: close)) {
            try entry(&self)
            if try parser.separatorCloses(UInt8(ascii: close)) { break }
        }
    }

    /// Reads a member's key and gives it to `member` (valid during the call) with the cursor at the
    /// value. A key of printable ASCII without escapes (every key the mesh writes) is given as it lies
    /// in the text; any other is read as a string, escapes and UTF-8 checked.
    private mutating func key(_ member: (UnsafeBufferPointer<UInt8>, inout JSONCursor) throws -> Void) throws {
        try parser.keyStart()
        let bytes = parser.bytes
        var end = parser.index + 1
        while end < bytes.count, bytes[end] >= 0x20, bytes[end] < 0x80, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let key = UnsafeBufferPointer(rebasing: bytes[(parser.index + 1)..<end])
            parser.index = end + 1
            try parser.colon()
            try reading { cursor in try member(key, &cursor) }
        } else {
            var key = try parser.string()
            try parser.colon()
            try key.withUTF8 { utf8 in try reading { cursor in try member(utf8, &cursor) } }
        }
    }
}

/// The members a type reads from a JSON object with `JSONCursor.members`, one case each, named by
/// its raw value: `static let table = JSONMemberTable<Self>()`.
public protocol JSONMembers: CaseIterable, RawRepresentable<String>, Sendable {
    static var table: JSONMemberTable<Self> { get }
}

/// The cases of a `JSONMembers` type and their names. Make one per type (its `static let table`): it
/// lives as long as the process, in memory of its own that is never freed, so that finding a key
/// retains and releases nothing (with arrays here, that was a third of the time to read a listing).
public struct JSONMemberTable<Member: JSONMembers>: @unchecked Sendable {
    @usableFromInline let members: UnsafeBufferPointer<Member>
    @usableFromInline let names: JSONMemberNames

    public init() {
        members = neverFreed(Array(Member.allCases))
        names = JSONMemberNames(members.map(\.rawValue))
    }
}

/// Member names as UTF-8, to find a key's index without making it a `String`; in memory that is
/// never freed (see `JSONMemberTable`).
@usableFromInline
struct JSONMemberNames: @unchecked Sendable {
    /// The names one after another, and where each ends.
    private let bytes: UnsafeBufferPointer<UInt8>
    private let ends: UnsafeBufferPointer<Int>

    init(_ names: [String]) {
        precondition(names.count <= 64, "JSONCursor tracks at most 64 members of an object")
        bytes = neverFreed(names.flatMap(\.utf8))
        var end = 0
        ends = neverFreed(
            names.map { name in
                end += name.utf8.count
                return end
            })
    }

    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        var start = 0
        for index in ends.indices {
            let end = ends[index]
            defer { start = end }
            guard end - start == key.count else { continue }
            var offset = 0
            while offset < key.count, bytes[start + offset] == key[offset] { offset += 1 }
            if offset == key.count { return index }
        }
        return nil
    }
}

/// A copy of `elements` in memory that is never freed (for the member tables, made once per type).
private func neverFreed<T>(_ elements: [T]) -> UnsafeBufferPointer<T> {
    let copy = UnsafeMutableBufferPointer<T>.allocate(capacity: elements.count)
    _ = copy.initialize(from: elements)
    return UnsafeBufferPointer(copy)
}
