import RegistryProtocol
import Testing

/// `CSVText.forEachRow`: the row checks the registry and creditctl share.
@Suite struct CSVRowsTests {
    enum Seen: Equatable {
        case values(Int, [String])
        case refused(RefusedRow)
    }

    static func rows(_ text: String, firstRow: Int = 2, columns: Int = 3) -> [Seen] {
        var seen: [Seen] = []
        CSVText.forEachRow(in: text, firstRow: firstRow, columnCount: columns) { row, record in
            switch record {
            case .values(let values): seen.append(.values(row, values))
            case .refused(let refusal): seen.append(.refused(refusal))
            }
        }
        return seen
    }

    @Test func numbersRowsAsTheFileDoesSkippingBlankOnes() {
        #expect(
            Self.rows("a,b,c\n\n d ,\"e,1\" ,f\r\n", firstRow: 2) == [
                .values(2, ["a", "b", "c"]), .values(4, ["d", "e,1", "f"]),
            ])
    }

    @Test func refusesAnOpenQuoteAndAColumnCountUnlikeTheHeaders() {
        #expect(
            Self.rows("a,b\na,b,c\n\"open,b,c", firstRow: 10) == [
                .refused(RefusedRow(row: 10, field: "row", value: nil, reason: "has 2 columns; the header has 3")),
                .values(11, ["a", "b", "c"]),
                .refused(RefusedRow(row: 12, field: "row", value: nil, reason: "has a quote that is never closed")),
            ])
    }
}
