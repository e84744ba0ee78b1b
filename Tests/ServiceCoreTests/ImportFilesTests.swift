import Foundation
import MeshProtocol
import Testing

@testable import CreditCtlCore

@Suite struct ImportFilesTests {
    func write(_ text: String, bom: Bool = false) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)").path
        var data = Data(text.utf8)
        if bom { data.insert(contentsOf: [0xEF, 0xBB, 0xBF], at: 0) }
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func csvRowsAreNumberedAsASpreadsheetShowsThemHeaderBeingRowOne() throws {
        let path = try write("CF_WSH,CF_XDR_MC\nA1,甲\n\"B,2\",乙\nonly-one-column\n", bom: true)
        let parsed = try ImportFiles.read(path: path, format: .xzcf)
        #expect(parsed.rows.map(\.row) == [2, 3])
        #expect(parsed.rows[0].fields["CF_WSH"] == .string("A1"))
        #expect(parsed.rows[1].fields["CF_WSH"] == .string("B,2"))
        #expect(parsed.refused.map(\.row) == [4])
        #expect(parsed.refused.first?.reason.contains("1 columns") == true)
    }

    @Test func jsonRowsAreNumberedFromOneAndNonObjectsRefused() throws {
        let path = try write(#"[{"iname":"a"}, 7, {"iname":"b"}]"#)
        let parsed = try ImportFiles.read(path: path, format: .shixin)
        #expect(parsed.rows.map(\.row) == [1, 3])
        #expect(parsed.refused.map(\.row) == [2])
    }

    @Test func unreadableFilesAreNamed() throws {
        #expect { try ImportFiles.read(path: "/nonexistent/x.csv", format: .xzcf) } throws: { "\($0)".contains("/nonexistent/x.csv") }
        let path = try write("{not json")
        #expect { try ImportFiles.read(path: path, format: .shixin) } throws: { "\($0)".contains("not valid JSON") }
    }
}
