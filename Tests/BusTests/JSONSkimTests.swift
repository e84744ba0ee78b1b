import Foundation
import MeshProtocol
import Testing

/// `JSONSkim` finds each member and element where `JSONReader` would read it, and refuses a text
/// whose structure (brackets, strings, separators) is broken.
@Suite struct JSONSkimTests {
    @Test(arguments: JSONReaderTests.valid)
    func findsAMemberWhereTheReaderReadsIt(_ text: String) throws {
        let object = Array(#"{"before": "x", "k\"ey": \#(text) , "after": [1, {"}": "]"}]}"#.utf8)
        let members = try JSONSkim.members(object)
        #expect(Set(members.keys) == ["before", "k\"ey", "after"])
        let value = try JSONReader.value(Array(object[try #require(members["k\"ey"])]))
        #expect(value == (try JSONReader.value(object))["k\"ey"])
        #expect(try JSONReader.value(Array(object[try #require(members["after"])])) == .array([.int(1), .object(["}": .string("]")])]))
    }

    @Test(arguments: JSONReaderTests.valid)
    func findsAnElementWhereTheReaderReadsIt(_ text: String) throws {
        let array = Array("[\"a\", \(text), 3]".utf8)
        let elements = try JSONSkim.elements(array)
        #expect(elements.count == 3)
        #expect(try JSONReader.value(Array(array[elements[1]])) == (try JSONReader.value(array)).arrayValue?[1])
    }

    @Test(arguments: [
        "", "[]", #"{"a""#, #"{"a":"#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":1 "b":2}"#, #"{"a":"unclosed}"#, #"{"a":[1,2}"#,
        #"{"a":{"b":1}"#, #"{"a":1} x"#, "{\"a\":\"line\nbreak\"}", #"{"a":,}"#,
    ])
    func refusesABrokenObject(_ text: String) {
        #expect(throws: JSONReader.Failure.self) { try JSONSkim.members(Array(text.utf8)) }
    }

    @Test func readsASnapshotChunkAndKeepsEachItemsTextAsItIs() throws {
        let text =
            #"{"items":[{"data":{"id":"L-1","name":"甲\"乙\""},"type":"list.added"},{"type":"catalogue.loaded","data":[1, 2]}],"next":"8","seq":12,"span":4,"stream":"dispatch"}"#
        let chunk = try EncodedSnapshotChunk(result: Array(text.utf8))
        #expect(chunk.stream == "dispatch" && chunk.seq == 12 && chunk.next == "8" && chunk.span == 4)
        #expect(chunk.items.map(\.type) == ["list.added", "catalogue.loaded"])
        #expect(String(decoding: chunk.items[0].data, as: UTF8.self) == #"{"id":"L-1","name":"甲\"乙\""}"#)
        #expect(String(decoding: chunk.items[1].data, as: UTF8.self) == "[1, 2]")
        let last = try EncodedSnapshotChunk(result: Array(#"{"items":[],"seq":3,"stream":"s"}"#.utf8))
        #expect(last.next == nil && last.span == nil && last.items.isEmpty)
        #expect(throws: (any Error).self) {
            try EncodedSnapshotChunk(result: Array(#"{"items":[{"type":"x"}],"seq":3,"stream":"s"}"#.utf8))
        }
        #expect(throws: (any Error).self) { try EncodedSnapshotChunk(result: Array(#"{"items":[],"stream":"s"}"#.utf8)) }
    }
}
