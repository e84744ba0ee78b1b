import MeshProtocol
import Testing

/// `JSONCursor` reads what `JSONReader` reads and refuses what it refuses, whether its reader reads
/// a value or passes it over; an object's members reach the reader as `JSONReader` keeps them.
@Suite struct JSONCursorTests {
    enum Member: String, JSONMembers {
        case a, b
        case accented = "é"
        static let table = JSONMemberTable<Member>()
    }

    @Test(arguments: JSONReaderTests.valid)
    func readsTheValueTheReaderReads(_ text: String) throws {
        let bytes = Array(text.utf8)
        #expect(try JSONCursor.read(bytes) { cursor in try cursor.value() } == JSONReader.value(bytes))
        try JSONCursor.read(bytes) { _ in }
    }

    @Test(arguments: JSONReaderTests.invalid)
    func refusesWhatTheReaderRefuses(_ text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONCursor.read(Array(text.utf8)) { _ in } }
    }

    /// Reads `a` as a string or null, `b` as an integer and `é` as a string, the rest passed over.
    static func read(_ text: String) throws -> (a: String?, b: Int64?, accented: String?) {
        var read: (a: String?, b: Int64?, accented: String?) = (nil, nil, nil)
        try JSONCursor.read(Array(text.utf8)) { cursor in
            try cursor.members { (member: Member, cursor) in
                switch member {
                case .a: read.a = try cursor.optionalString()
                case .b: read.b = try cursor.integer()
                case .accented: read.accented = try cursor.string()
                }
            }
        }
        return read
    }

    @Test func theFirstOfARepeatedKeyIsKeptAndUnknownMembersArePassedOver() throws {
        let read = try Self.read(#"{"a":"one","x":[1,{"b":2}],"b":7,"a":"two","\u0062":8,"\u00e9":"escaped","é":"plain",}"#)
        #expect(read.a == "one" && read.b == 7 && read.accented == "escaped")
        // An escaped key is the key it spells; a first null is kept too.
        let null = try Self.read(#"{"\u0061":null,"a":"x"}"#)
        #expect(null.a == nil && null.b == nil)
    }

    @Test func whatIsPassedOverIsCheckedAndAValueOfTheWrongTypeRefused() {
        for text in [
            #"{"a":"one","a":"\ud800"}"#, #"{"x":tru,"a":"one"}"#, #"{"a":5}"#, #"{"b":"7"}"#, #"{"b":1.5}"#, #"{"a":"one""#,
            #"{"a":"one"} x"#, #"["a"]"#, #"{"x":[1 2]}"#,
        ] {
            #expect(throws: JSONReader.Failure.self, "\(text)") { try Self.read(text) }
        }
    }

    @Test func readsElementsAndTakesAValueAsItsText() throws {
        var sum: Int64 = 0
        try JSONCursor.read(Array(" [1, 2 ,3,] ".utf8)) { cursor in try cursor.elements { cursor in sum += try cursor.integer() } }
        #expect(sum == 6)
        let text = Array(#"{"a": {"x": "}\"]", "y": [1, {}]} , "b": true}"#.utf8)
        var a: [UInt8] = []
        var b: Bool?
        try JSONCursor.read(text) { cursor in
            try cursor.members { (member: Member, cursor) in
                switch member {
                case .a: a = try cursor.text()
                case .b: b = try cursor.bool()
                case .accented: break
                }
            }
        }
        #expect(String(decoding: a, as: UTF8.self) == #"{"x": "}\"]", "y": [1, {}]}"# && b == true)
    }

    /// A value read and taken as its text in one pass; a reader that refuses it leaves the cursor
    /// where it was, and the value is walked as `text()` walks it.
    @Test func readsAValueAndTakesItsTextInOnePass() throws {
        let text = Array(#"[{"b": 3, "a": "x"}, {"b": "three"}, {"a": null}, 4]"#.utf8)
        var read: [(String, Int64?)] = []
        try JSONCursor.read(text) { cursor in
            try cursor.elements { cursor in
                let (text, b) = try cursor.text { cursor -> Int64? in
                    var b: Int64?
                    try cursor.members { (member: Member, cursor) in if member == .b { b = try cursor.integer() } }
                    return b
                }
                read.append((String(decoding: text, as: UTF8.self), b))
            }
        }
        #expect(read.map(\.0) == [#"{"b": 3, "a": "x"}"#, #"{"b": "three"}"#, #"{"a": null}"#, "4"])
        #expect(read.map(\.1) == [3, nil, nil, nil])
    }

    @Test func nestingIsLimitedAsTheReaderLimitsIt() throws {
        func nested(_ depth: Int) -> [UInt8] { Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8) }
        func walk(_ cursor: inout JSONCursor) throws { try cursor.elements { cursor in try walk(&cursor) } }
        try JSONCursor.read(nested(JSONReader.maxDepth)) { cursor in try walk(&cursor) }
        #expect(throws: JSONReader.Failure.self) { try JSONCursor.read(nested(JSONReader.maxDepth + 1)) { cursor in try walk(&cursor) } }
    }
}
