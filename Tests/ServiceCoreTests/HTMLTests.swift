import HTTPSupport
import Testing

@testable import DisclosureCore
@testable import DispatchCore

/// `HTML.escape` and the two pages that use it (the public portal, dispatch's compliance table).
@Suite struct HTMLTests {
    @Test(arguments: [
        ("plain 文本", "plain 文本"),
        ("a & b", "a &amp; b"),
        ("<script>", "&lt;script&gt;"),
        (#"say "hi""#, "say &quot;hi&quot;"),
        ("it's", "it&#39;s"),
        ("&amp;", "&amp;amp;"),
        (#"<a href="x" title='y'>&</a>"#, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"),
        ("", ""),
    ])
    func escapesTheFiveCharactersThatEndTextOrAnAttribute(text: String, escaped: String) {
        #expect(HTML.escape(text) == escaped)
    }

    static let hostile = #"x" onfocus='alert(1)' a="<b>&"#

    @Test func thePortalEscapesWhatItWasAskedInsideTheSearchBox() {
        let page = PortalPage.render(query: Self.hostile, penalties: [], black: [], red: [])
        #expect(page.contains(#"value="x&quot; onfocus=&#39;alert(1)&#39; a=&quot;&lt;b&gt;&amp;""#))
        #expect(!page.contains("onfocus='"))
    }

    @Test func theCompliancePageEscapesQuotesInDepartmentsAndFeedback() {
        let row = DepartmentCompliance(
            department: Self.hostile, listingsPushed: 1, listingsAcknowledged: 1, liftsPushed: 0, liftsConfirmed: 0, overdue: 0,
            flagged: false, ackLatencyP50Seconds: nil, ackLatencyMaxSeconds: nil, feedback: [#"block"'"#: 2])
        let report = ComplianceReport(
            generatedAt: "2026-03-01T10:00:00.000Z", ackDeadlineSeconds: 60, departments: [row], activeByList: [:], activeByInitiator: [:],
            blackListShare: 0, blocksByMeasure: [:])
        let page = CompliancePage.render(report)
        #expect(page.contains("<td>x&quot; onfocus=&#39;alert(1)&#39; a=&quot;&lt;b&gt;&amp;</td>"))
        #expect(page.contains("block&quot;&#39; 2"))
        #expect(!page.contains(Self.hostile))
    }
}
