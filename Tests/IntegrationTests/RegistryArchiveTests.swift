import Foundation
import MeshProtocol
import TestSupport
import Testing

/// The archive through the real processes: creditctl imports into a running registry, writes its
/// report, resumes, and reads the profile back.
@Suite(.serialized) struct RegistryArchiveIntegrationTests {
    static let header = "CF_WSH,CF_XDR_MC,CF_XDR_SHXYM,CF_XDR_ZZJG,CF_FRDB,CF_FR_ZJHM,CF_CFLB,CF_NR_FK,CF_JDRQ,CF_CFJG,CF_NR"

    static func line(_ number: Int, code: String? = nil) -> String {
        "罚〔2026〕\(number)号,示例\(number)有限公司,\(code ?? GeneratedSubjects.uscc(number)),,张三,11010519491231002X,罚款,1.5,2026-03-0\(1 + number % 9),"
            + "湖州市市场监督管理局,\"销售过期食品，没收并罚款\""
    }

    @Test func importsReportsResumesAndReadsTheProfileBack() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        let registry = try SuiteProcess("registry", layout: layout)
        defer { registry.stop() }
        let suite = SuiteClient(layout: layout)
        let client = try suite.client("registry")
        defer { client.close() }
        _ = try await suite.request(client, "ping")
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }

        // Four rows, the third with a wrong check character.
        let file = layout.directory.appendingPathComponent("penalties.csv")
        let bad = "91330100MA2AB000X7"
        try ([Self.header] + [Self.line(1), Self.line(2), Self.line(3, code: bad), Self.line(4)]).joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let first = try await ctl("import", "--as", "market", "--format", "xzcf", "--batch", "2", file.path)
        #expect(first.status == 3, "\(first.stdout) \(first.stderr)")
        #expect(first.stdout.contains("4 rows read, 3 stored, 0 already present, 1 refused, 0 corrected"), "\(first.stdout)")
        #expect(first.stdout.contains("row 4: CF_XDR_SHXYM \"\(bad)\": check character should be"), "\(first.stdout)")
        let reportPath = file.path + ".rejected.csv"
        let report = try String(contentsOfFile: reportPath, encoding: .utf8)
        let reportLines = report.split(separator: "\n")
        #expect(reportLines.first == Substring(Self.header + ",_row,_field,_reason"))
        #expect(reportLines.count == 2 && reportLines[1].hasPrefix(Self.line(3, code: bad) + ",4,CF_XDR_SHXYM,\"check character should be"))
        #expect(!FileManager.default.fileExists(atPath: file.path + ".progress"))

        // The operator fixes the code in the report and imports the report itself.
        try report.replacingOccurrences(of: bad, with: GeneratedSubjects.uscc(3)).write(
            toFile: reportPath, atomically: true, encoding: .utf8)
        let fixed = try await ctl("import", "--as", "market", "--format", "xzcf", "--no-report", reportPath)
        #expect(fixed.status == 0 && fixed.stdout.contains("1 rows read, 1 stored"), "\(fixed.stdout) \(fixed.stderr)")

        // Same file again: nothing new.
        let again = try await ctl("import", "--as", "market", "--format", "xzcf", "--no-report", file.path)
        #expect(again.stdout.contains("4 rows read, 0 stored, 3 already present, 1 refused"), "\(again.stdout)")

        // An interrupted run of another file: its progress file says rows up to 3 are stored.
        let second = layout.directory.appendingPathComponent("more.csv")
        let lines = [Self.header] + (10..<16).map { Self.line($0) }
        try lines.joined(separator: "\n").write(to: second, atomically: true, encoding: .utf8)
        let offset = lines.prefix(3).map { $0.utf8.count + 1 }.reduce(0, +)
        let size = lines.joined(separator: "\n").utf8.count
        try #"{"format":"xzcf","rowsDone":3,"offset":\#(offset),"size":\#(size)}"#
            .write(toFile: second.path + ".progress", atomically: true, encoding: .utf8)
        let resumed = try await ctl("import", "--as", "market", "--format", "xzcf", "--resume", second.path)
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming \(second.path) after row 3"))
        #expect(resumed.stdout.contains("4 rows read, 4 stored"), "\(resumed.stdout)")
        let status = try await client.request("status")
        #expect(status["details"]?["records"]?.intValue == 8)

        // The profile, found by code, and a search.
        let profile = try await ctl("profile", GeneratedSubjects.uscc(2))
        #expect(profile.status == 0, "\(profile.stderr)")
        #expect(profile.stdout.contains("示例2有限公司 (enterprise, uscc)"), "\(profile.stdout)")
        #expect(profile.stdout.contains("罚〔2026〕2号 by 湖州市市场监督管理局 on 2026-03-03 [general] from market"), "\(profile.stdout)")
        #expect(profile.stdout.contains("legal-representative 张三 (11010519491231002X)"), "\(profile.stdout)")
        let search = try await ctl("search", "示例1", "--limit", "3")
        // Rows 10 and 11 of the second file were skipped by --resume; names sort by their bytes.
        #expect(
            search.stdout.hasPrefix("\(GeneratedSubjects.uscc(12))  示例12有限公司") && search.stdout.contains("more: --after"),
            "\(search.stdout)")
        let represented = try await ctl("relations", "--person", "11010519491231002X")
        #expect(represented.stdout.contains("8 roles"), "\(represented.stdout)")
    }
}
