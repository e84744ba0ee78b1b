import Foundation
import MeshProtocol
import RegistryProtocol
import Testing

@testable import CreditCtlCore

/// creditctl's streaming reader, report and progress file.
@Suite struct ImportReaderTests {
    func write(_ text: String, suffix: String = ".csv") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString)\(suffix)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let csv = "CF_WSH,CF_XDR_MC\r\nA1,甲\r\n\"B,2\",\"乙\n第二行\"\r\n\r\nC3,丙\nD4,丁\nE5,戊\n"

    @Test func readsCSVInBatchesKeepingSpreadsheetRowNumbersAndRawText() throws {
        let path = try write(Self.csv)
        let reader = try ImportReader(path: path, format: .xzcf)
        #expect(reader.isCSV && reader.header == ["CF_WSH", "CF_XDR_MC"])
        let first = try #require(try reader.next(rows: 3))
        #expect(first.firstRow == 2 && first.lastRow == 4 && first.rowCount == 2)
        #expect(first.request.csv == "A1,甲\n\"B,2\",\"乙\n第二行\"\n")
        #expect(first.request.firstRow == 2 && first.request.columns == ["CF_WSH", "CF_XDR_MC"])
        #expect(first.raw[3] == "\"B,2\",\"乙\n第二行\"")
        let second = try #require(try reader.next(rows: 3))
        #expect(second.firstRow == 5 && second.lastRow == 7 && second.request.csv == "C3,丙\nD4,丁\nE5,戊")
        #expect(second.endOffset == Self.csv.utf8.count)
        #expect(try reader.next(rows: 3)?.firstRow == nil)

        let resumed = try ImportReader(path: path, format: .xzcf, resumeAt: (first.endOffset, first.lastRow))
        let rest = try #require(try resumed.next(rows: 10))
        #expect(rest.firstRow == 5 && rest.request.csv == "C3,丙\nD4,丁\nE5,戊")
    }

    @Test func streamsJSONArraysObjectByObject() throws {
        let path = try write(#" [ {"iname": "a", "note": "x,]}"} , 7,{"iname":"b"}, {broken} ] "#, suffix: ".json")
        let reader = try ImportReader(path: path, format: .shixin)
        let batch = try #require(try reader.next(rows: 2))
        #expect(batch.request.rows.map(\.row) == [1] && batch.refused.map(\.row) == [2])
        #expect(batch.request.rows[0].fields["note"] == "x,]}")
        let rest = try #require(try reader.next(rows: 10))
        #expect(rest.request.rows.map(\.row) == [3] && rest.refused.map(\.row) == [4])
        #expect(rest.refused[0].reason == "is not valid JSON")
        #expect(try reader.next(rows: 10)?.firstRow == nil)
    }

    @Test func refusesToResumeAFileShorterThanItsProgress() throws {
        let path = try write(Self.csv)
        #expect { try ImportReader(path: path, format: .xzcf, resumeAt: (10_000, 50)) } throws: { "\($0)".contains("changed") }
    }

    @Test func theCSVReportIsTheRowsAsTheyWerePlusTheReasons() throws {
        let path = try write(Self.csv)
        let reader = try ImportReader(path: path, format: .xzcf)
        let batch = try #require(try reader.next(rows: 10))
        let reportPath = path + ".rejected.csv"
        let report = try ImportReport(path: reportPath, reader: reader, append: false)
        try report.write(
            [RefusedRow(row: 3, field: "CF_XDR_SHXYM", value: nil, reason: "is required, or else the certificate number")], raw: batch.raw)
        try report.close()
        let text = try String(contentsOfFile: reportPath, encoding: .utf8)
        #expect(
            text
                == "CF_WSH,CF_XDR_MC,_row,_field,_reason\n\"B,2\",\"乙\n第二行\",3,CF_XDR_SHXYM,\"is required, or else the certificate number\"\n"
        )
    }

    @Test func theJSONReportIsAnArrayOfTheOriginalObjectsAndGrowsOnResume() throws {
        let path = try write(#"[{"iname":"a"},{"iname":"b"}]"#, suffix: ".json")
        let reader = try ImportReader(path: path, format: .shixin)
        let batch = try #require(try reader.next(rows: 10))
        let reportPath = path + ".rejected.json"
        for (row, append) in [(1, false), (2, true)] {
            let report = try ImportReport(path: reportPath, reader: reader, append: append)
            try report.write([RefusedRow(row: row, field: "cardNum", value: nil, reason: "is required")], raw: batch.raw)
            try report.close()
        }
        let value = try WireCoding.decode(JSONValue.self, from: Array(try Data(contentsOf: URL(fileURLWithPath: reportPath))))
        #expect(value.arrayValue?.map { $0["iname"] } == ["a", "b"])
        #expect(value.arrayValue?.first?["_reason"] == "is required")
    }

    @Test func theProgressFileRoundTrips() throws {
        let file = ImportProgressFile(path: try write("") + ".progress")
        #expect(try file.load() == nil)
        try file.save(.init(format: "xzcf", rowsDone: 42, offset: 1_234, size: 9_999))
        #expect(try file.load()?.rowsDone == 42)
        file.remove()
        #expect(try file.load() == nil)
    }
}
