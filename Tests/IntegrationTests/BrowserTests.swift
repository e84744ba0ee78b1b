import Foundation
import MeshProtocol
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The portal as a person uses it, in a real browser: Debian's headless Chromium renders the search,
/// a subject's page, the objection and repair forms, a credit report and its verification (forms are plain GET forms, so a submitted
/// form is the address it leads to); each page's DOM is read back and a screenshot of it saved under
/// `.build/test-output/portal/`. The report's PDF comes from the same browser. `make test` installs
/// Chromium and the CJK font (`CREDIT_REQUIRE_BROWSER=1`); elsewhere, without a browser, the test says
/// it was skipped.
@Suite struct BrowserTests {
    static let food = "91330502MA28K6XY14"

    static var browser: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func chromium(_ browser: String, _ arguments: [String], profile: URL) async throws -> CommandResult {
        try await Commands.run(
            path: browser,
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)"] + arguments,
            environment: ProcessInfo.processInfo.environment)
    }

    @Test func aPersonSearchesOpensASubjectIssuesAReportAndVerifiesIt() async throws {
        guard let browser = Self.browser else {
            if ProcessInfo.processInfo.environment["CREDIT_REQUIRE_BROWSER"] == "1" {
                Issue.record("Chromium is required (make test-deps installs Debian's chromium and fonts-noto-cjk)")
            } else {
                print("SKIPPED: BrowserTests need Debian's chromium (make test-deps installs it)")
            }
            return
        }
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let processes = ["registry", "sanction-dispatch", "disclosure"].compactMap { try? SuiteProcess($0, layout: layout) }
        defer { processes.forEach { $0.stop() } }
        func logs() -> String { processes.map { "== \($0.name)\n\($0.log.suffix(2_000))" }.joined(separator: "\n") }
        func ctl(_ arguments: String...) async throws -> CommandResult { try await Commands.run("creditctl", arguments, layout: layout) }
        let demo = BuiltProducts.packageRoot.appendingPathComponent("demo")
        let portal = layout.http("disclosure.http")
        var imported: CommandResult?
        #expect(
            try await eventually {
                imported = try await ctl("import", "--as", "market", "--format", "xzxk", demo.appendingPathComponent("licences.csv").path)
                return imported?.status == 0
            }, "\(imported?.stderr ?? "")\n\(logs())")
        _ = try await ctl("import", "--as", "market", "--format", "xzcf", demo.appendingPathComponent("penalties.csv").path)
        #expect(
            try await eventually { try await getRaw(portal + "/api/v1/subjects/\(Self.food)").0.contains("销售过期食品") },
            "\(logs())")

        let output = BuiltProducts.packageRoot.appendingPathComponent(".build/test-output/portal")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let profile = layout.directory.appendingPathComponent("chromium")
        /// Renders a page: its DOM after the browser laid it out, and a screenshot.
        func visit(_ name: String, _ path: String) async throws -> String {
            let url = portal + path
            let shot = output.appendingPathComponent("\(name).png")
            try? FileManager.default.removeItem(at: shot)
            let screenshot = try await Self.chromium(
                browser, ["--window-size=1280,1400", "--screenshot=\(shot.path)", url], profile: profile)
            #expect(screenshot.status == 0, "\(name): \(screenshot.stderr.suffix(500))")
            let size = (try? FileManager.default.attributesOfItem(atPath: shot.path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name): screenshot of \(size) bytes")
            let dom = try await Self.chromium(browser, ["--dump-dom", url], profile: profile)
            #expect(dom.status == 0, "\(name): \(dom.stderr.suffix(500))")
            return dom.stdout
        }

        let search = try await visit("1-search", "/?q=%E6%B9%96%E5%B7%9E%E7%A4%BA%E4%BE%8B%E9%A3%9F%E5%93%81")
        #expect(search.contains("湖州示例食品有限公司") && search.contains("/subjects/\(Self.food)"), "\(search)")
        let subject = try await visit("2-subject", "/subjects/\(Self.food)")
        #expect(subject.contains("糕点生产") && subject.contains("销售过期食品") && subject.contains("湖州市市场监督管理局"), "\(subject)")
        let record = try #require(subject.firstMatch(of: /objections\/new\?target=(R-\d+)/).map { String($0.1) }, "\(subject)")
        let objectionForm = try await visit("2a-objection-form", "/objections/new?target=\(record)")
        #expect(objectionForm.contains("提出异议") && objectionForm.contains("湖州示例食品有限公司 · 湖市监"), "\(objectionForm)")
        let repairForm = try await visit("2b-repair-form", "/repairs/new?target=\(record)")
        #expect(repairForm.contains("信用修复承诺书"), "\(repairForm)")
        let report = try await visit("3-report", "/reports/\(Self.food)")
        let number = try #require(report.firstMatch(of: /(CR\d{14})/).map { String($0.1) }, "\(report)")
        let code = try #require(report.firstMatch(of: /code=([0-9A-F]{12})/).map { String($0.1) }, "\(report)")
        let verify = try await visit("4-verify", "/verify/\(number)?code=\(code)")
        #expect(verify.contains("Genuine") && verify.contains("湖州示例食品有限公司"), "\(verify)")
        let forged = try await visit("5-verify-wrong-code", "/verify/\(number)?code=000000000000")
        #expect(forged.contains("not genuine"), "\(forged)")

        // The report as PDF, printed by the same browser.
        let (data, response) = try await URLSession.shared.data(from: URL(string: portal + "/reports/\(Self.food).pdf")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200 && data.starts(with: Data("%PDF".utf8)), "\(data.count) bytes")
        try data.write(to: output.appendingPathComponent("6-report.pdf"))
    }
}
