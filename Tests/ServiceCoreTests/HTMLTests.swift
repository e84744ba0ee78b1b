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

    /// Every value of every portal page is escaped scalar by scalar: a quote or bracket followed by a
    /// combining mark (one character to Swift, which Mustache's own escaping looks up whole) is
    /// escaped too, so it cannot end an attribute.
    @Test func portalValuesAreEscapedScalarByScalarEvenBeforeACombiningMark() throws {
        let pages = try PortalPage()
        let attack = "\"\u{301} autofocus onfocus=alert(1) x='\u{301}<\u{301}b>&\u{301}"
        let page = pages.search(query: attack, rows: [], error: attack)
        #expect(!page.contains("\"\u{301}") && !page.contains("<\u{301}") && !page.contains("'\u{301}"))
        #expect(page.contains("value=\"" + HTML.escape(attack) + "\""))
        let title = pages.problem(attack, "m")
        #expect(title.contains("<title>\(HTML.escape(attack)) · 信用公示") && !title.contains("\"\u{301}"))
    }

    /// The search page is filled into a rendering of its template: it must be that rendering.
    @Test func theSearchPageFilledInIsTheTemplatesRendering() throws {
        let pages = try PortalPage()
        for query in [Self.hostile, "湖州 示例", "\"\u{301}x", "330502198001011231", ""] {
            for rows in [[], ["<tr><td>a</td></tr>", "<tr><td>b</td></tr>"]] {
                let context: [String: Any] = [
                    "query": PortalPage.shown(query), "searched": true, "rows": rows.joined(separator: "\n"), "hasSubjects": !rows.isEmpty,
                    "error": false,
                ]
                #expect(pages.search(query: query, rows: rows, error: nil) == pages.render("search", title: "查询 Search", context))
            }
        }
    }

    @Test func thePortalEscapesWhatItWasAskedInsideTheSearchBox() throws {
        let page = try PortalPage().search(query: Self.hostile, rows: [], error: Self.hostile)
        #expect(page.contains(#"value="x&quot; onfocus=&#39;alert(1)&#39; a=&quot;&lt;b&gt;&amp;""#))
        #expect(!page.contains("onfocus='") && !page.contains("<b>"))
    }

    @Test func everyPortalTemplateParsesAndEscapesTheValuesOfRecordsAndListings() throws {
        let pages = try PortalPage()
        let record = PublicRecord(
            recordID: "R-1", kind: "penalty", subject: Self.hostile, subjectKey: "K", subjectName: Self.hostile, subjectKind: "enterprise",
            document: Self.hostile, authority: Self.hostile, content: Self.hostile, category: Self.hostile, decisionDate: "2026-01-01",
            publicityEnd: nil, performance: nil, disputed: Dispute(objection: "O-1", since: "2026-01-02"))
        let listing = PublicListing(
            listingID: "L-1", list: "black", subject: "S", subjectKey: "K", subjectName: Self.hostile, initiator: "court",
            initiatorName: Self.hostile, basis: Self.hostile, document: Self.hostile, start: "2026-01-01", until: "2027-01-01")
        let page = pages.subject(
            SubjectPage(
                subject: PublicSubject(key: "K", code: "C", name: Self.hostile, kind: "enterprise", aliases: [Self.hostile]),
                licences: [], penalties: [record], commitments: [], listings: [listing], asOf: "2026-01-03T00:00:00Z"))
        #expect(!page.contains(Self.hostile) && page.contains("x&quot; onfocus=&#39;alert(1)&#39;"))
        #expect(page.contains("异议核查中 Disputed since 2026-01-02") && page.contains("失信联合惩戒对象名单"))
        for html in [
            pages.list(title: "t", path: "/blacklist", query: Self.hostile, listings: [listing], error: nil),
            pages.records(title: "t", path: "/penalties", endLabel: "e", query: nil, records: [record], error: Self.hostile),
            pages.noticeForm(listing: Self.hostile, message: Self.hostile), pages.problem(Self.hostile, Self.hostile),
        ] {
            #expect(html.hasPrefix("<!doctype html>") && !html.contains(Self.hostile))
        }
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
