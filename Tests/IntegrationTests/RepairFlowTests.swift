import Foundation
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Repair of records (信用修复) with the real processes: refused before the minimum publicity period
/// (with the date), for a subject that offended again, and without proof; approved, the penalty leaves
/// the portal, grading stops counting it and the profile says repaired; a repaired court record ends
/// the listing made from it at the interceptor.
@Suite struct RepairFlowTests {
    static let company = "91330502MA28K6XY14"
    static let debtor = "91330500MA2D7E8F2D"
    static let person = "33010219750615002X"
    static let repeater = "91330100799655058B"

    /// A date `months` months before today (UTC), as the services count.
    static func monthsAgo(_ months: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(byAdding: .month, value: -months, to: Date())!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// The id of the subject's record with this document number, from the registry's profile.
    static func recordID(_ profile: String, document: String) -> String? {
        let value = try? WireCoding.decode(JSONValue.self, from: Array(profile.utf8))
        return value?["records"]?.arrayValue?.first { $0["record"]?["documentNumber"]?.stringValue == document }?["id"]?.stringValue
    }

    @Test func aPenaltyIsRepairedAfterItsMinimumPeriodAndACourtRecordsListingEnds() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let repairKinds = ["CREDIT_REPAIR_RECORD_KINDS": "penalty,court-dishonest-debtor"]
        let processes = [
            try SuiteProcess("registry", layout: layout), try SuiteProcess("sanction-dispatch", layout: layout),
            try SuiteProcess("grading", layout: layout), try SuiteProcess("disclosure", layout: layout),
            try SuiteProcess("repair", layout: layout, environment: repairKinds),
            try SuiteProcess("interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout),
        ]
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }

        // Four penalties: a general one (a fine of 6 万元: public 3 to 12 months) decided four months ago,
        // a severe one (a licence revoked: public a year at least), and a subject penalised again two
        // months ago.
        let header = "CF_WSH,CF_XDR_MC,CF_XDR_LB,CF_XDR_SHXYM,CF_XDR_ZJHM,CF_CFLB,CF_NR,CF_YJ,CF_JDRQ,CF_CFJG,CF_NR_FK"
        let rows = [
            "湖市监罚〔2026〕201号,湖州示例食品有限公司,法人及非法人组织,\(Self.company),,罚款,未按时公示年度报告,《企业信息公示暂行条例》第十八条,\(Self.monthsAgo(4)),湖州市市场监督管理局,6",
            "湖市监罚〔2026〕202号,王五,自然人,,\(Self.person),吊销食品经营许可证,销售过期食品,《中华人民共和国食品安全法》第一百二十四条,\(Self.monthsAgo(1)),湖州市市场监督管理局,",
            "湖市监罚〔2026〕203号,杭州某某贸易有限公司,法人及非法人组织,\(Self.repeater),,警告,未办理变更登记,《市场主体登记管理条例》第四十六条,\(Self.monthsAgo(5)),湖州市市场监督管理局,",
            "湖市监罚〔2026〕204号,杭州某某贸易有限公司,法人及非法人组织,\(Self.repeater),,警告,虚假宣传,《中华人民共和国反不正当竞争法》第二十条,\(Self.monthsAgo(2)),湖州市市场监督管理局,",
        ]
        let csv = layout.directory.appendingPathComponent("penalties.csv")
        try ([header] + rows).joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        var imported: CommandResult?
        #expect(
            try await eventually {
                imported = try await ctl("import", "--as", "market", "--format", "xzcf", csv.path)
                return imported?.stdout.contains("4 stored") == true
            }, "\(imported?.stdout ?? "")\(imported?.stderr ?? "")\n\(logs())")
        // The court's dishonest debtor, listed 14 months ago: a severe record, public at least a year.
        let shixin = try String(contentsOf: BuiltProducts.packageRoot.appendingPathComponent("demo/court-shixin.json"), encoding: .utf8)
            .replacingOccurrences(of: "2026年03月02日", with: Self.monthsAgo(14)).replacingOccurrences(
                of: "2026年06月15日", with: Self.monthsAgo(14))
        let court = layout.directory.appendingPathComponent("court.json")
        try shixin.write(to: court, atomically: true, encoding: .utf8)
        #expect(try await ctl("import", "--as", "court", "--format", "shixin", court.path).status == 0)

        var portal = ""
        var grade = ""
        var check: CommandResult?
        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                grade = try await ctl("grade", "--subject", Self.company, "--json").stdout
                check = try await ctl("check", "--dept", "finance", "--subject", Self.debtor, "--action", "government-procurement")
                return portal.contains("未按时公示年度报告") && grade.contains(#""records":1"#) && check?.stdout.contains("BLOCK") == true
            }, "\(portal)\n\(grade)\n\(check?.stdout ?? "")\n\(logs())")

        let companyProfile = try await ctl("profile", Self.company, "--json").stdout
        let repairable = try #require(Self.recordID(companyProfile, document: "湖市监罚〔2026〕201号"), "\(companyProfile)")
        let food = try #require(Self.recordID(try await ctl("profile", Self.person, "--json").stdout, document: "湖市监罚〔2026〕202号"))
        let repeaterProfile = try await ctl("profile", Self.repeater, "--json").stdout
        let reoffended = try #require(Self.recordID(repeaterProfile, document: "湖市监罚〔2026〕203号"), "\(repeaterProfile)")
        let debtorProfile = try await ctl("profile", Self.debtor, "--json").stdout
        let courtRecord = try #require(Self.recordID(debtorProfile, document: "(2026)浙0502执1024号"), "\(debtorProfile)")

        let letter = "本公司已按期缴清罚款并完成整改，承诺今后依法诚信经营"
        let proof = layout.directory.appendingPathComponent("receipt.txt")
        try "罚款缴纳凭证".write(to: proof, atomically: true, encoding: .utf8)
        // Too early: severe dishonesty stays public a year; the refusal gives the date.
        var early: CommandResult?
        #expect(
            try await eventually {
                early = try await ctl("repair", "apply", "--record", food, "--commitment", letter, "--evidence", proof.path)
                return early?.stderr.contains("not yet eligible") == true
            }, "\(early?.stdout ?? "")\(early?.stderr ?? "")\n\(logs())")
        let foodDate = Self.monthsAgo(1)
        #expect(
            early?.stderr.contains("12 months") == true && early?.stderr.contains("severe dishonesty") == true, "\(early?.stderr ?? "")")
        #expect(early?.stderr.contains("apply from \(Self.plusYear(foodDate))") == true, "\(early?.stderr ?? "")")
        // Penalised again two months ago: refused, with the date from which it may apply.
        let again = try await ctl("repair", "apply", "--record", reoffended, "--commitment", letter, "--evidence", proof.path)
        #expect(again.status != 0 && again.stderr.contains("offended again"), "\(again.stderr)")
        #expect(again.stderr.contains("apply from \(Self.plusYear(Self.monthsAgo(2)))"), "\(again.stderr)")
        // No proof of having fulfilled the penalty.
        let bare = try await ctl("repair", "apply", "--record", repairable, "--commitment", letter)
        #expect(bare.status != 0 && bare.stderr.contains("attach proof"), "\(bare.stderr)")

        let applied = try await ctl("repair", "apply", "--record", repairable, "--commitment", letter, "--evidence", proof.path, "--json")
        let application = try #require(applied.stdout.firstMatch(of: /"id":"(A-\d+)"/).map { String($0.1) }, "\(applied.stderr)")
        let resent = try await ctl("repair", "apply", "--record", repairable, "--commitment", letter, "--evidence", proof.path, "--json")
        #expect(resent.stdout.contains(application), "a resend is the same application: \(resent.stdout)\(resent.stderr)")
        let listed = try await ctl("repair", "list")
        #expect(listed.stdout.contains(application) && listed.stdout.contains("decided by market"), "\(listed.stdout)")
        let compliance = try await ctl("compliance")
        #expect(compliance.stdout.contains("repair applications being decided: 1"), "\(compliance.stdout)")

        let wrong = try await ctl("repair", "approve", application, "--as", "finance")
        #expect(wrong.status != 0 && wrong.stderr.contains("forbidden"), "\(wrong.stderr)")
        #expect(try await ctl("repair", "accept", application, "--as", "market").status == 0)
        let approved = try await ctl("repair", "approve", application, "--as", "market", "--note", "已履行处罚并完成整改")
        #expect(approved.status == 0 && approved.stdout.contains("approved"), "\(approved.stdout)\(approved.stderr)")

        #expect(
            try await eventually {
                portal = try await getRaw(layout.http("disclosure.http") + "/api/v1/penalties").0
                return !portal.contains("未按时公示年度报告")
            }, "the portal still publishes the repaired penalty: \(portal)\n\(logs())")
        #expect(portal.contains("销售过期食品"), "the other penalties stay public: \(portal)")
        #expect(
            try await eventually {
                grade = try await ctl("grade", "--subject", Self.company, "--json").stdout
                return grade.contains(#""records":0"#)
            }, "grading still counts the repaired record: \(grade)")
        let repaired = try await ctl("profile", Self.company, "--json").stdout
        #expect(repaired.contains(#""repaired":{"#) && repaired.contains(application), "\(repaired)")

        // The court's record, repaired by the court: the black listing made from it ends, and the
        // interceptor stops blocking.
        let courtApplied = try await ctl(
            "repair", "apply", "--record", courtRecord, "--commitment", "已全部履行生效判决确定的义务，承诺诚信经营", "--evidence", proof.path,
            "--json")
        let courtApplication = try #require(
            courtApplied.stdout.firstMatch(of: /"id":"(A-\d+)"/).map { String($0.1) }, "\(courtApplied.stderr)")
        let byCourt = try await ctl("repair", "approve", courtApplication, "--as", "court", "--note", "已履行完毕")
        #expect(byCourt.status == 0, "\(byCourt.stderr)")
        #expect(
            try await eventually {
                check = try await ctl("check", "--dept", "finance", "--subject", Self.debtor, "--action", "government-procurement")
                return check?.stdout.contains("ALLOW") == true
            }, "the listing made from the repaired record still blocks: \(check?.stdout ?? "")\n\(logs())")
        let listings = try await ctl("listings", "--subject", Self.debtor, "--status", "removed", "--json")
        #expect(listings.stdout.contains("repaired: record \(courtRecord)"), "\(listings.stdout)\(listings.stderr)")
    }

    /// The date a year after an ISO date (29 February becomes 28 February).
    static func plusYear(_ iso: String) -> String {
        let year = Int(iso.prefix(4))! + 1
        var text = "\(year)" + iso.dropFirst(4)
        if text.hasSuffix("-02-29") { text = String(text.dropLast(2)) + "28" }
        return text
    }
}
