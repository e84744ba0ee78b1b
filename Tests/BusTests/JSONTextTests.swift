import Foundation
import MeshProtocol
import Testing

/// `JSONText`/`JSONWriter` write what `WireCoding` (JSONEncoder, sorted keys) writes, and
/// `WireTime`/`CivilDate` what Foundation's calendar and ISO 8601 format style give: the hot paths
/// replaced those, and every consumer keeps reading the same text.
@Suite struct JSONTextTests {
    static let strings = [
        "", "plain", "quote \" and backslash \\", "line\nfeed\r\ttab", "bell \u{07} unit \u{1F} nul \u{00}",
        "backspace \u{08} form feed \u{0C}", "delete \u{7F}", "slash / stays", "杭州市市场监督管理局〔2025〕1号", "emoji 🧾 and é",
    ]

    @Test(arguments: strings)
    func stringsAreEscapedAsJSONEncoderDoes(_ text: String) throws {
        let expected = String(decoding: try WireCoding.encode(text), as: UTF8.self)
        #expect(JSONText.text(.string(text)) == expected)
    }

    /// A request frame as `JSONWriter` writes it is, byte for byte, what `WireCoding` writes.
    @Test func requestFramesAreWhatTheEncoderWrites() throws {
        let csv = (0..<50).map { "杭市监罚〔2025〕\($0)号,\"张 \"\"三\"\"\",2.5,2026-03-01\t/x" }.joined(separator: "\r\n")
        let requests = [
            Request(id: "r-1", op: "ping"),
            Request(
                id: "AB-\u{7F}", op: "records.import", as: "market",
                body: .object([
                    "format": "xzcf", "columns": .array(["CF_WSH", "CF_XDR_MC"]), "csv": .string(csv), "firstRow": 2,
                    "nested": .object(["fine": .double(2.5), "whole": .double(80), "flag": true, "none": .null, "list": .array([])]),
                ])),
            Request(id: "局", op: "subject.search", as: "", body: .object(["prefix": .string(Self.strings.joined())])),
        ]
        for request in requests {
            #expect(request.frame == (try WireCoding.encode(request)), "\(request.op)")
        }
    }

    /// The writer's own buffer grows from its smallest size by single bytes, by short literals and
    /// by long texts, and what it wrote comes out whole (as bytes and as text).
    @Test func theBufferGrowsWithoutLosingWhatWasWritten() throws {
        var writer = JSONWriter(capacity: 0)
        var expected: [UInt8] = []
        writer.raw("[")
        expected += Array("[".utf8)
        for index in 0..<300 {
            if index > 0 {
                writer.raw(",")
                expected += Array(",".utf8)
            }
            let text = String(repeating: index % 2 == 0 ? "局" : "a\"", count: index % 37)
            writer.string(text)
            expected += try WireCoding.encode(text)
        }
        writer.raw("]")
        expected += Array("]".utf8)
        #expect(writer.bytes == expected)
        #expect(writer.text == String(decoding: expected, as: UTF8.self))
    }

    /// The writer skips clean text eight bytes at a time: every character that needs escaping, at
    /// every offset within and across those words, among ASCII and three-byte CJK characters.
    @Test func escapesAreFoundAtEveryOffsetOfTheWordScan() throws {
        let escaped: [Character] = ["\"", "\\", "\n", "\r", "\t", "\u{00}", "\u{08}", "\u{0C}", "\u{1F}"]
        let fillers = ["a", "局"]
        for filler in fillers {
            for length in 0..<20 {
                for position in 0...length {
                    for character in escaped {
                        var text = String(repeating: filler, count: length)
                        text.insert(character, at: text.index(text.startIndex, offsetBy: position))
                        let expected = String(decoding: try WireCoding.encode(text), as: UTF8.self)
                        #expect(
                            JSONText.text(.string(text)) == expected, "\(filler) × \(length), \(character.debugDescription) at \(position)")
                    }
                }
            }
        }
        // Bytes just around the three escaped ranges, and every other ASCII byte, stay as they are.
        let ascii = String(decoding: (0x20...0x7E).map { UInt8($0) }, as: UTF8.self)
        #expect(JSONText.text(.string(ascii)) == String(decoding: try WireCoding.encode(ascii), as: UTF8.self))
    }

    @Test func valuesAreWrittenAsWireCodingWritesThem() throws {
        let values: [JSONValue] = [
            .null, .bool(true), .bool(false), .int(0), .int(-42), .int(Int64.max), .double(2.5), .double(-3), .double(0.1),
            .double(1_234_567), .array([]), .object([:]),
            .object([
                "zeta": .int(1), "alpha": .array([.string("x"), .null, .double(0.25)]),
                "Beta": .object(["b": .bool(true), "a": .string("\"")]),
            ]),
        ]
        for value in values {
            let expected = String(decoding: try WireCoding.encode(value), as: UTF8.self)
            #expect(JSONText.text(value) == expected, "\(value)")
        }
    }

    @Test func framedObjectsKeepTheirMembersAsWritten() {
        let text = JSONText.object(["data": .json(#"{"b":1}"#), "id": .string("a\"b")])
        #expect(text == #"{"data":{"b":1},"id":"a\"b"}"#)
        #expect(JSONText.objectBytes(["data": .json("[]")]) == Array(#"{"data":[]}"#.utf8))
    }

    /// The same text as the format style, but for the last digit of the milliseconds where the
    /// style's floating-point arithmetic truncates one lower (`.123` written `.122`): WireTime keeps
    /// the instant's own millisecond.
    @Test func wireTimeIsTheISO8601FormatStylesText() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
        var instants: [TimeInterval] = [0, 0.001, 0.5, 59.25, 951_782_400, 951_868_799.5, 4_107_542_400, 1_795_000_000.25]
        // Spread over 1970–2100 with every kind of fraction, the same each run.
        for index in 1...5_000 { instants.append((Double(index) * 820_489.137_211_3).truncatingRemainder(dividingBy: 4_102_444_800)) }
        /// Whole milliseconds of a parsed text (parsing a decimal into binary is off by far less).
        func milliseconds(_ text: String) throws -> Int64 {
            Int64((try #require(WireTime.parse(text), "\(text)").timeIntervalSince1970 * 1_000).rounded())
        }
        var lastDigitDiffers = 0
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            let text = WireTime.format(date)
            let expected = date.formatted(style)
            #expect(try milliseconds(text) == Int64((seconds * 1_000).rounded(.down)), "\(seconds): \(text)")
            if text != expected {
                lastDigitDiffers += 1
                #expect(abs(try milliseconds(text) - milliseconds(expected)) <= 1, "\(seconds): \(text) vs \(expected)")
            }
        }
        // Exact binary fractions (the fixed instants) agree to the digit; the rest nearly always.
        #expect(lastDigitDiffers < instants.count / 10)
    }

    @Test func civilDatesAreTheGregorianCalendarsInUTC() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        for days in stride(from: -30_000, through: 50_000, by: 7) {
            let components = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(days) * 86_400))
            let civil = CivilDate.date(daysSince1970: days)
            #expect(civil.year == components.year && civil.month == components.month && civil.day == components.day, "\(days)")
            #expect(CivilDate.days(year: civil.year, month: civil.month, day: civil.day) == days)
        }
    }
}
