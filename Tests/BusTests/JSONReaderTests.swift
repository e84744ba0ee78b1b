import Foundation
import MeshProtocol
import Testing

/// `JSONReader` reads what `JSONDecoder` reads into a `JSONValue`, the same value for every text,
/// and refuses what it refuses: it replaced the decoder on the bus's hot paths.
@Suite struct JSONReaderTests {
    static let valid: [String] = [
        "null", "true", "false", " \t\r\n true \n",
        "0", "-0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "123456789012345678901234567890", "1.5", "-2.25", "2.0", "-0.0", "1e3", "1E-2", "2.5e+2", "1e-7", "0.1",
        "1.7976931348623157e308", "5e-324", "20.1", "3.14159265358979",
        #""""#, #""abc""#, #""杭州市市场监督管理局〔2025〕1号""#, #""a\"b\\c\/d\b\f\n\r\t""#, #""\u0041\u00e9\u4e2d\u0000""#,
        #""\ud83d\ude00 and 😀""#, #""\uD83D\uDE00""#, #""tab\tin the middle\u001f""#,
        "[]", "{}", "[[]]", "[{}]", " [1, \"a\", null, true, {\"k\": [2.5, {}]}] ",
        #"{"a":1,"a":2}"#, "[1,]", #"{"a":1,}"#, "[[1,],{\"b\":[],}]", #"{"": "empty key", "\u00e9": "escaped key"}"#,
        #"{"id":"R-00000001","record":{"authority":"嘉兴市市场监督管理局","fineAmount":20.1,"relatedPersons":[{"name":"张伟","role":"legal-representative"}],"sourceFields":{}},"source":"market"}"#,
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ]

    static let invalid: [String] = [
        "", " ", "[", "{", "]", "}", #"{"a"}"#, #"{"a":}"#, #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "[,1]", "[,]", "{,}", "[1,,]", #"{"a":1,,}"#,
        "01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "--1", "0x10", "NaN", "Infinity", "-Infinity", "1e400", "-1e400",
        #""abc"#, #""a\x""#, #""\u12""#, #""\u12g4""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#, "\"a\u{01}b\"", "\"line\nbreak\"",
        "tru", "nul", "falsey", "1 2", "[1] x", #""a" "b""#, "'single'", "[1]]",
        String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    @Test(arguments: valid)
    func readsTheValueJSONDecoderReads(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONReader.value(Array(text.utf8)) == expected)
    }

    @Test(arguments: invalid)
    func refusesWhatJSONDecoderRefuses(_ text: String) {
        #expect(throws: (any Error).self, "JSONDecoder refuses it") { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
        #expect(throws: JSONReader.Failure.self) { try JSONReader.value(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8AndNamesWhere() throws {
        for bytes: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xE6, 0x9D, 0x22], [0x5B, 0x22, 0xC0, 0xAF, 0x22, 0x5D], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0x5C, 0x6E, 0xFF, 0x22], [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D],
        ] {
            #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
            #expect(throws: JSONReader.Failure.self) { try JSONReader.value(bytes) }
        }
        let failure = #expect(throws: JSONReader.Failure.self) { try JSONReader.value(Array(#"{"a": [1, 2,, 3]}"#.utf8)) }
        #expect(failure?.offset == 12)
        #expect(failure?.description == "invalid JSON at byte 12: unexpected character")
    }

    /// Text is valid when decoding it changes nothing: U+FFFD written in the text is kept, and what
    /// decoding would repair is refused.
    @Test func validUTF8IsTakenAsItIsAndAnythingElseRefused() {
        let valid: [[UInt8]] = [[], Array("abc".utf8), Array("杭州 \u{FFFD} 😀".utf8), [0xEF, 0xBF, 0xBD]]
        for bytes in valid {
            #expect(bytes.withUnsafeBufferPointer { String(validUTF8: $0) } == String(decoding: bytes, as: UTF8.self))
        }
        for bytes: [UInt8] in [[0xFF], [0x61, 0xE6, 0x9D], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xEF, 0xBF]] {
            #expect(bytes.withUnsafeBufferPointer { String(validUTF8: $0) } == nil)
        }
    }

    /// Clean runs are skipped eight bytes at a time: an escape, a closing quote or a raw control
    /// character at every offset of the word scan is still found.
    @Test func theWordScanFindsEveryEscapeQuoteAndControlByteAtEveryOffset() throws {
        for filler in ["a", "杭"] {
            for offset in 0..<20 {
                let before = String(repeating: filler, count: offset)
                for piece in [#"\""#, #"\\"#, #"\n"#, #"\u0001"#, ""] {
                    let text = "\"\(before)\(piece)\(String(repeating: filler, count: 11))\""
                    let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                    #expect(try JSONReader.value(Array(text.utf8)) == expected, "\(text)")
                }
                let raw = Array("\"\(before)\u{01}\(String(repeating: filler, count: 11))\"".utf8)
                #expect(throws: JSONReader.Failure.self, "raw control byte after \(offset) × \(filler)") { try JSONReader.value(raw) }
                let open = Array("\"\(before)\(String(repeating: filler, count: 11))".utf8)
                #expect(throws: JSONReader.Failure.self, "unclosed after \(offset) × \(filler)") { try JSONReader.value(open) }
            }
        }
    }

    /// Escapes split and surround clean runs at every position, with CJK around them.
    @Test func escapesAnywhereInAStringReadAsJSONDecoderReadsThem() throws {
        let pieces = [#"\""#, #"\\"#, #"\n"#, #"\u4e2d"#, #"\ud83d\ude00"#, "杭", "a", "😀"]
        for first in pieces {
            for second in pieces {
                let text = "\"x\(first)y\(second)\(first)\""
                let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
                #expect(try JSONReader.value(Array(text.utf8)) == expected, "\(text)")
            }
        }
    }
}
