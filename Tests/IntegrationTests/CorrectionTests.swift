import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A corrected record (the same natural key imported again with other content) reaches everything
/// built on it: the portal shows the current version, grading re-scores, the court's listing follows.
@Suite struct CorrectionTests {
    static let company = "91330502MA28K6XY14"
    static let debtor = "91330500MA2D7E8F2D"

    @Test func aCorrectionReachesThePortalGradingAndTheListing() async throws {
        let layout = try TestSuiteLayout()
        defer { layout.remove() }
        let processes = ["registry", "sanction-dispatch", "grading", "disclosure", "repair"].map { try? SuiteProcess($0, layout: layout) }
            .compactMap { $0 }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let root = BuiltProducts.packageRoot.appendingPathComponent("demo")

        var imported: CommandResult?
        #expect(
            try await eventually {
                imported = try await ctl("import", "--as", "market", "--format", "xzcf", root.appendingPathComponent("penalties.csv").path)
                return imported?.stdout.contains("3 rows read") == true
            }, "\(imported?.stdout ?? "")\(imported?.stderr ?? "")\n\(logs())")
        _ = try await ctl("import", "--as", "court", "--format", "shixin", root.appendingPathComponent("court-shixin.json").path)
        var portal = ""
        var grade = ""
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                grade = try await ctl("grade", "--subject", Self.company, "--json").stdout
                return portal.contains("销售过期食品") && grade.contains(#""records":1"#)
            }, "\(portal)\n\(grade)\n\(logs())")
        let before = try #require(grade.firstMatch(of: /"score":(\d+)/).map { Int($0.1)! })

        // The same penalty (same document, authority, subject) with corrected content and severity.
        let csv = try String(contentsOf: root.appendingPathComponent("penalties.csv"), encoding: .utf8)
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[0] += ",SEVERITY"
        lines[1] = lines[1].replacingOccurrences(of: "销售过期食品", with: "销售过期食品（更正：涉案批次三批）") + ",severe"
        for index in 2..<lines.count where !lines[index].isEmpty { lines[index] += ",general" }
        let corrected = layout.directory.appendingPathComponent("penalties-corrected.csv")
        try lines.joined(separator: "\n").write(to: corrected, atomically: true, encoding: .utf8)
        let again = try await ctl("import", "--as", "market", "--format", "xzcf", corrected.path)
        // Both good rows changed (the first its content, both their SEVERITY field): new versions, no new records.
        #expect(again.stdout.contains("0 stored") && again.stdout.contains("2 corrected"), "\(again.stdout)\(again.stderr)")

        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                return portal.contains("涉案批次三批")
            }, "portal still shows the old version: \(portal)\n\(logs())")
        #expect(!portal.contains(#""content":"销售过期食品""#), "\(portal)")
        #expect(
            try await eventually {
                grade = try await ctl("grade", "--subject", Self.company, "--json").stdout
                return (grade.firstMatch(of: /"score":(\d+)/).map { Int($0.1)! } ?? before) < before
            }, "grading did not re-score the corrected severity: \(grade)")
        #expect(grade.contains(#""records":1"#), "a correction is not a second record: \(grade)")

        // The court corrects its debtor's performance: the automatic listing's facts follow.
        let shixin = try String(contentsOf: root.appendingPathComponent("court-shixin.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"performance\": \"全部未履行\"", with: "\"performance\": \"部分履行\"")
        let courtFile = layout.directory.appendingPathComponent("shixin-corrected.json")
        try shixin.write(to: courtFile, atomically: true, encoding: .utf8)
        #expect(try await ctl("import", "--as", "court", "--format", "shixin", courtFile.path).status == 0)
        var listings = ""
        #expect(
            try await eventually {
                listings = try await ctl("listings", "--subject", Self.debtor, "--json").stdout
                return listings.contains("履行情况：部分履行")
            }, "the listing did not follow the corrected record: \(listings)\n\(logs())")
        #expect(!listings.contains("履行情况：全部未履行"))

        // An objection to the penalty, decided revoked by market: the registry withdraws the record, the
        // portal stops publishing it and grading no longer counts it.
        let profile = try await ctl("profile", Self.company, "--json").stdout
        let record = try #require(profile.firstMatch(of: /"id":"(R-\d+)"/).map { String($0.1) }, "\(profile)")
        var filed: CommandResult?
        #expect(
            try await eventually {
                filed = try await ctl("objection", "file", "--record", record, "--reason", "处罚决定已被行政复议撤销", "--json")
                return filed?.status == 0
            }, "\(filed?.stderr ?? "")\n\(logs())")
        let objection = try #require(filed?.stdout.firstMatch(of: /"id":"(O-\d+)"/).map { String($0.1) })
        let decided = try await ctl("objection", "decide", objection, "--as", "market", "--outcome", "revoked", "--note", "复议撤销原处罚")
        #expect(decided.status == 0, "\(decided.stderr)")
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                return !portal.contains("涉案批次三批")
            }, "the portal still shows the withdrawn penalty: \(portal)\n\(logs())")
        #expect(
            try await eventually {
                grade = try await ctl("grade", "--subject", Self.company, "--json").stdout
                return grade.contains(#""records":0"#)
            }, "grading still counts the withdrawn record: \(grade)")
        let withdrawn = try await ctl("profile", Self.company, "--json").stdout
        #expect(withdrawn.contains(#""withdrawn":{"#) && withdrawn.contains(objection), "\(withdrawn)")
    }
}
