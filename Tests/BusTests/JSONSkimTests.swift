import Foundation
import MeshProtocol
import Testing

/// `JSONSkim` finds a member where `JSONReader` would read it, and refuses a text whose structure
/// (brackets, strings, separators) is broken up to there; a value taken as its text (`JSONCursor.text`)
/// is the text `JSONReader` reads.
@Suite struct JSONSkimTests {
    @Test(arguments: JSONReaderTests.valid)
    func findsAMemberWhereTheReaderReadsIt(_ text: String) throws {
        let object = Array(#"{"before": "x", "k\"ey": \#(text) , "after": [1, {"}": "]"}], "key": 3}"#.utf8)
        let value = try #require(try JSONSkim.firstMember("k\"ey", of: object))
        #expect(try JSONReader.value(Array(object[value])) == (try JSONReader.value(object))["k\"ey"])
        let after = try #require(try JSONSkim.firstMember("after", of: object))
        #expect(try JSONReader.value(Array(object[after])) == .array([.int(1), .object(["}": .string("]")])]))
        #expect(try JSONReader.value(Array(object[try #require(try JSONSkim.firstMember("key", of: object))])) == .int(3))
    }

    @Test(arguments: JSONReaderTests.valid)
    func takesAnElementAsTheTextTheReaderReads(_ text: String) throws {
        let array = Array("[\"a\", \(text), 3]".utf8)
        var elements: [[UInt8]] = []
        try JSONCursor.read(array) { cursor in try cursor.elements { cursor in elements.append(try cursor.text()) } }
        #expect(elements.count == 3)
        #expect(try JSONReader.value(elements[1]) == (try JSONReader.value(array)).arrayValue?[1])
    }

    @Test(arguments: [
        "", "[]", #"{"a""#, #"{"a":"#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":1 "b":2}"#, #"{"a":"unclosed}"#, #"{"a":[1,2}"#,
        #"{"a":{"b":1}"#, "{\"a\":\"line\nbreak\"}", #"{"a":,}"#,
    ])
    func refusesABrokenObject(_ text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONSkim.firstMember("missing", of: Array(text.utf8)) }
    }

    @Test func findsTheFirstMemberOfAKeyAndStopsThere() throws {
        let text = Array(#"{"error": {"id": "inner"}, "\u0069d": "first", "id": "second", "rest": [unchecked"#.utf8)
        #expect(try JSONSkim.string(text, in: try #require(try JSONSkim.firstMember("id", of: text))) == "first")
        #expect(try JSONSkim.firstMember("missing", of: Array(#"{"id": 1, "ok": true}"#.utf8)) == nil)
        #expect(try JSONSkim.firstMember("id", of: Array("{}".utf8)) == nil)
        #expect(throws: JSONReader.Failure.self) { try JSONSkim.firstMember("id", of: Array(#"{"ok": [1, }"#.utf8)) }
        #expect(throws: JSONReader.Failure.self) { try JSONSkim.firstMember("id", of: Array("[]".utf8)) }
    }

    @Test func readsASnapshotChunkAndKeepsEachItemsTextAsItIs() throws {
        let text =
            #"{"items":[{"data":{"id":"L-1","name":"甲\"乙\""},"type":"list.added"},{"type":"catalogue.loaded","data":[1, 2]}],"next":"8","seq":12,"span":4,"stream":"dispatch","total":9}"#
        let chunk = try EncodedSnapshotChunk(result: Array(text.utf8))
        #expect(chunk.stream == "dispatch" && chunk.seq == 12 && chunk.next == "8" && chunk.span == 4 && chunk.total == 9)
        #expect(chunk.items.map(\.type) == ["list.added", "catalogue.loaded"])
        #expect(String(decoding: chunk.items[0].data, as: UTF8.self) == #"{"id":"L-1","name":"甲\"乙\""}"#)
        #expect(String(decoding: chunk.items[1].data, as: UTF8.self) == "[1, 2]")
        let last = try EncodedSnapshotChunk(result: Array(#"{"items":[],"seq":3,"stream":"s"}"#.utf8))
        #expect(last.next == nil && last.span == nil && last.total == nil && last.items.isEmpty)
        #expect(throws: (any Error).self) {
            try EncodedSnapshotChunk(result: Array(#"{"items":[{"type":"x"}],"seq":3,"stream":"s"}"#.utf8))
        }
        #expect(throws: (any Error).self) { try EncodedSnapshotChunk(result: Array(#"{"items":[],"stream":"s"}"#.utf8)) }
    }

    /// A follower reads an item's data as the chunk is read when its type came first, keeping the
    /// text as well; data before its type (a publisher before 1.6) is read from its text after it,
    /// and data its reader refuses is only kept as text.
    @Test func readsAnItemsDataOnTheWayWhenItsTypeCameFirst() throws {
        let text = Array(
            (#"{"items":[{"type":"n","data":{"n": 7, "x": "}"}},{"data":{"n":8},"type":"n"},{"type":"n","data":{"n":"nine"}},"#
                + #"{"type":"other","data":[{"n":1}]}],"seq":1,"stream":"s"}"#).utf8)
        enum Member: String, JSONMembers {
            case n
            static let table = JSONMemberTable<Member>()
        }
        var asked: [String] = []
        let chunk = try EncodedSnapshotChunk(result: text) { type, cursor in
            asked.append(type)
            guard type == "n" else { return nil }
            var n: Int64?
            try cursor.members { (_: Member, cursor) in n = try cursor.integer() }
            return n
        }
        #expect(asked == ["n", "n", "n", "other"])
        #expect(chunk.items.map { $0.prepared as? Int64 } == [7, 8, nil, nil])
        #expect(
            chunk.items.map { String(decoding: $0.data, as: UTF8.self) } == [
                #"{"n": 7, "x": "}"}"#, #"{"n":8}"#, #"{"n":"nine"}"#, #"[{"n":1}]"#,
            ])
        // Data its reader refuses is walked as any item's data is (brackets and strings only) and kept
        // as text, for the follower to read again where it can say why it refuses it.
        let readAll: EncodedSnapshotChunk.Prepare = { _, cursor in
            try cursor.members { (_: Member, cursor) in _ = try cursor.integer() }
            return 1
        }
        let refused = try EncodedSnapshotChunk(
            result: Array(#"{"items":[{"type":"n","data":{"n":1,"x":[1 2]}}],"seq":1,"stream":"s"}"#.utf8), prepare: readAll)
        #expect(refused.items[0].prepared == nil && String(decoding: refused.items[0].data, as: UTF8.self) == #"{"n":1,"x":[1 2]}"#)
    }
}
