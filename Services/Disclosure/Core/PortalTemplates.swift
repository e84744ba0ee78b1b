import Foundation
import HTTPSupport
import Mustache

/// The portal's pages, server-rendered from Mustache templates: zh-CN first with English labels, no
/// JavaScript, printable. Every value goes through `{{…}}`, which escapes `& < > " '` with `HTML.escape`
/// (`contentType`): the one escaping rule of every page. Only what a template rendered is put in unescaped: a page's body, and the
/// search's result rows (`searchRow`).
enum PortalTemplates {
    /// The frame of every page up to its body; `layoutTail` closes it.
    static let layoutHead = """
        <!doctype html>
        <html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · 信用公示 Credit disclosure</title>
        <style>
        body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}
        header a,nav a{margin-right:1em}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f4f4f4}
        .mark{color:#a40;font-weight:bold}.error{color:#a00;font-weight:bold}.none{color:#777}
        pre{white-space:pre-wrap;border:1px solid #ccc;padding:1em}
        @media print{nav,form{display:none}}
        </style></head><body>
        <header><strong>信用信息公示 · Public credit disclosure</strong></header>
        <nav><a href="/">查询 Search</a><a href="/blacklist">黑名单 Black list</a><a href="/redlist">红名单 Red list</a><a href="/commitments">信用承诺 Commitments</a><a href="/statistics">统计 Statistics</a></nav>
        <main>
        """

    static let layoutTail = """
        </main>
        <footer><p><small>个人身份证件号码已部分遮盖 · Personal identification numbers are masked.</small></p></footer>
        </body></html>
        """

    static let search = """
        <h1>一站式查询 · Search</h1>
        <form method="get" action="/"><label>名称或代码 Name or code:
        <input name="q" value="{{query}}" size="40" placeholder="统一社会信用代码、注册号、组织机构代码、身份证号或名称"></label>
        <button>查询 Search</button></form>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{#searched}}
        <h2>查询结果 Results</h2>
        {{#hasSubjects}}
        <table><thead><tr><th>名称 Name</th><th>代码 Code</th><th>类别 Kind</th></tr></thead><tbody>
        {{{rows}}}
        </tbody></table>
        {{/hasSubjects}}
        {{^hasSubjects}}<p class="none">没有找到 · Nothing found for “{{query}}”.</p>{{/hasSubjects}}
        {{/searched}}
        """

    /// A subject in the search's results (stored with its page, `StoredPages`).
    static let searchRow = """
        <tr><td><a href="/subjects/{{key}}">{{name}}</a></td><td>{{code}}</td><td>{{kindLabel}}</td></tr>
        """

    static let subject = """
        <p><small>截至 As of {{page.asOf}} · <a href="/reports/{{subject.key}}">出具信用报告 Issue a credit report</a> · JSON: <a href="/api/v1/subjects/{{subject.key}}">/api/v1/subjects/{{subject.key}}</a></small></p>
        {{> subjectBody}}
        <h2>异议与信用修复 · Objection and repair</h2>
        <p>对上述信息有异议，或已纠正失信行为、履行义务的，可向信用办提出异议或信用修复申请（提供统一社会信用代码或身份证件、理由或信用修复承诺书及证明材料）。
        If any of this is wrong, or the conduct has been corrected and the obligations fulfilled, the subject may object or apply for repair through the credit office.</p>
        """

    /// What a subject's page and its reports show.
    static let subjectBody = """
        <h1>{{subject.name}}</h1>
        <p>代码 Code: {{subject.code}} · 类别 Kind: {{kindLabel}}{{#hasAliases}} · 原代码 Former codes: {{#subject.aliases}}{{.}} {{/subject.aliases}}{{/hasAliases}}</p>
        <h2>名单状态 List status</h2>
        {{#hasListings}}
        <table><thead><tr><th>名单 List</th><th>认定部门 Initiator</th><th>依据 Basis</th><th>文书 Document</th><th>期限 Term</th><th>标注 Marks</th><th>办理 Act</th></tr></thead><tbody>
        {{#listings}}<tr><td>{{listLabel}}</td><td>{{initiatorName}}</td><td>{{basis}}</td><td>{{document}}</td><td>{{start}} – {{until}}</td><td class="mark">{{marks}}</td><td><a href="/objections/new?target={{listingID}}">异议 Object</a> · <a href="/repairs/new?target={{listingID}}">修复 Repair</a></td></tr>{{/listings}}
        </tbody></table>
        {{/hasListings}}
        {{^listings}}<p class="none">不在公开的名单上 · On no public list.</p>{{/listings}}
        {{> records}}
        """

    /// Licences, penalties, commitments: one table each.
    static let records = """
        {{#sections}}
        <h2>{{title}}</h2>
        {{#hasRows}}
        <table><thead><tr><th>文书 Document</th><th>机关 Authority</th><th>内容 Content</th><th>决定日期 Decided</th><th>{{endLabel}}</th>{{#showSubject}}<th>对象 Subject</th>{{/showSubject}}<th>标注 Marks</th>{{^showSubject}}<th>办理 Act</th>{{/showSubject}}</tr></thead><tbody>
        {{#rows}}<tr><td>{{document}}</td><td>{{authority}}</td><td>{{content}}{{#category}}（{{category}}）{{/category}}{{#performanceLabel}} · {{performanceLabel}}{{/performanceLabel}}</td><td>{{decisionDate}}</td><td>{{publicityEnd}}</td>{{#showSubject}}<td><a href="/subjects/{{subjectKey}}">{{subjectName}}</a> {{subject}}</td>{{/showSubject}}<td class="mark">{{marks}}</td>{{^showSubject}}<td><a href="/objections/new?target={{recordID}}">异议 Object</a> · <a href="/repairs/new?target={{recordID}}">修复 Repair</a></td>{{/showSubject}}</tr>{{/rows}}
        </tbody></table>
        {{/hasRows}}
        {{^rows}}<p class="none">无 · None.</p>{{/rows}}
        {{/sections}}
        """

    static let list = """
        <h1>{{title}}</h1>
        <form method="get" action="{{path}}"><input name="q" value="{{query}}" placeholder="名称或代码 name or code"> <button>筛选 Filter</button></form>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{#hasListings}}
        <table><thead><tr><th>名称 Name</th><th>代码 Code</th><th>认定部门 Initiator</th><th>依据 Basis</th><th>文书 Document</th><th>期限 Term</th><th>标注 Marks</th></tr></thead><tbody>
        {{#listings}}<tr><td><a href="/subjects/{{subjectKey}}">{{subjectName}}</a></td><td>{{subject}}</td><td>{{initiatorName}}</td><td>{{basis}}</td><td>{{document}}</td><td>{{start}} – {{until}}</td><td class="mark">{{marks}}</td></tr>{{/listings}}
        </tbody></table>
        {{/hasListings}}
        {{^listings}}<p class="none">无 · None.</p>{{/listings}}
        """

    static let recordsPage = """
        <h1>{{title}}</h1>
        <form method="get" action="{{path}}"><input name="q" value="{{query}}" placeholder="名称或代码 name or code"> <button>筛选 Filter</button></form>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{> records}}
        """

    static let statistics = """
        <h1>双公示统计 · Double publicity statistics</h1>
        <p>行政许可、行政处罚应自决定之日起 {{stats.deadlineWorkingDays}} 个工作日内公示，信用承诺 {{stats.commitmentDeadlineWorkingDays}} 个工作日内。
        Licences and penalties are due public within {{stats.deadlineWorkingDays}} working days of the decision, commitments within {{stats.commitmentDeadlineWorkingDays}}.
        Generated {{stats.generatedAt}}. JSON: <a href="/api/v1/statistics">/api/v1/statistics</a></p>
        <table><thead><tr><th>部门 Department</th><th>已公示 Published</th><th>按时 On time</th><th>按时率 On-time rate</th><th>逾期 Late</th><th>未公开 Not public</th><th>待公示 Missing</th></tr></thead><tbody>
        {{#departments}}<tr><td>{{departmentName}}</td><td>{{published}}</td><td>{{onTime}}</td><td>{{rate}}</td><td>{{lateCount}}</td><td>{{notPublic}}</td><td>{{missing}}</td></tr>{{/departments}}
        </tbody></table>
        {{#hasLate}}
        <h2>逾期公示 · Published late</h2>
        <table><thead><tr><th>部门 Department</th><th>文书 Document</th><th>决定 Decided</th><th>收到 Received</th><th>逾期工作日 Working days late</th></tr></thead><tbody>
        {{#late}}<tr><td>{{departmentName}}</td><td>{{document}}</td><td>{{decisionDate}}</td><td>{{receivedOn}}</td><td>{{workingDaysLate}}</td></tr>{{/late}}
        </tbody></table>
        {{/hasLate}}
        """

    static let notice = """
        <h1>信用惩戒告知书 · Notice of listing {{id}}</h1>
        <pre>{{text}}</pre>
        <h2>措施 Measures (catalogue {{catalogue}})</h2>
        <table><thead><tr><th>部门 Department</th><th>措施 Measure</th><th>效果 Effect</th><th>依据 Basis</th></tr></thead><tbody>
        {{#measures}}<tr><td>{{department}}</td><td>{{title}}</td><td>{{effect}}</td><td>{{basis}}</td></tr>{{/measures}}
        </tbody></table>
        """

    static let noticeForm = """
        <h1>信用惩戒告知书查询 · Notice of a listing</h1>
        {{#message}}<p class="error">{{message}}</p>{{/message}}
        <form method="get" action="/notices/{{listing}}"><p>名单编号 Listing: {{listing}}</p>
        <label>查询码 Notice code: <input name="code" autocomplete="off"></label> <button>查看 Show</button></form>
        <p><small>查询码印在告知书上 · The notice code is printed on the notice the subject received.</small></p>
        """

    /// A credit report: the subject's page at a moment, with its number, verification code and the
    /// links to check it.
    static let report = """
        <h1>信用报告 · Credit report</h1>
        <table><tbody>
        <tr><th>报告编号 Report number</th><td>{{number}}</td></tr>
        <tr><th>核验码 Verification code</th><td>{{code}}</td></tr>
        <tr><th>出具时间 Issued</th><td>{{issuedAt}}</td></tr>
        <tr><th>出具单位 Issuer</th><td>{{issuer}}</td></tr>
        </tbody></table>
        <p>核验 Verify: <a href="/verify/{{number}}?code={{code}}">/verify/{{number}}?code={{code}}</a> · 签名文件 Signed file: <a href="/reports/{{number}}.json">{{number}}.json</a> (Ed25519; public key at <a href="/reports/public-key">/reports/public-key</a>)</p>
        {{> subjectBody}}
        """

    static let verify = """
        <h1>报告核验 · Report verification</h1>
        {{#genuine}}<p class="mark">真实有效 · Genuine: report {{number}} was issued by this portal on {{issuedAt}}, and said what follows. Compare it with the copy you hold.</p>
        {{> subjectBody}}{{/genuine}}
        {{^genuine}}<p class="error">没有与该编号和核验码相符的报告 · No report with number {{number}} and this verification code was issued here: the copy is not genuine, or the code was mistyped.</p>
        <form method="get" action="/verify/{{number}}"><label>核验码 Verification code: <input name="code" autocomplete="off"></label> <button>核验 Verify</button></form>{{/genuine}}
        """

    /// The objection and repair forms: plain HTML forms posted to the portal, received for the credit office.
    static let form = """
        <h1>{{heading}}</h1>
        <p>{{lead}}</p>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        <form method="post" action="{{action}}">
        <input type="hidden" name="target" value="{{target}}">
        <p>{{targetLabel}}</p>
        <p><label>统一社会信用代码或身份证号 The subject's full code<br><input name="code" size="30" autocomplete="off" required></label></p>
        <p><label>申请人 Who applies (the subject, or its agent)<br><input name="applicant" size="30" value="{{applicant}}" required></label></p>
        <p><label>联系方式 Phone or e-mail<br><input name="contact" size="30" value="{{contact}}" required></label></p>
        <p><label>{{textLabel}}<br><textarea name="text" rows="8" cols="80" required>{{text}}</textarea></label></p>
        <p><button>提交 Submit</button></p>
        </form>
        <p><small>提交后由信用办核实身份并受理；证明材料请按回执所示提交。 The credit office checks who sent it and files it; bring or send the evidence as the receipt says.</small></p>
        """

    static let receipt = """
        <h1>已收到 · Received</h1>
        <p class="mark">收件号 Submission number: {{id}}</p>
        <p>{{kindLabel}} · {{target}} · {{receivedAt}}</p>
        <p>信用办将核实申请人身份后正式受理，并通过 {{contact}} 联系您；异议受理后，相关惩戒措施在核实期间暂停。
        The credit office checks who sent this and files it, then contacts you at {{contact}}. Once an objection is filed, the measures resting on the information are suspended while it is verified.</p>
        <p><a href="/subjects/{{subjectKey}}">返回 Back</a></p>
        """

    static let problem = """
        <h1>{{heading}}</h1>
        <p class="error">{{message}}</p>
        <p><a href="/">返回查询 Back to search</a></p>
        """

    /// Every value in every template is escaped by `HTML.escape`, scalar by scalar: Mustache's own HTML
    /// escaping looks characters up whole, so a quote followed by a combining mark (`"\u{301}`) would
    /// pass unescaped and end an attribute. Each template (partials too: they start again in Mustache's
    /// HTML) begins with this pragma.
    static let contentType = "{{% CONTENT_TYPE: PORTAL_HTML}}"

    struct PortalHTML: MustacheContentType {
        func escapeText(_ text: String) -> String { HTML.escape(text) }
    }

    /// The templates, parsed once at start; a template that does not parse stops start-up.
    static func library() throws -> MustacheLibrary {
        MustacheContentTypes.register(PortalHTML(), named: "PORTAL_HTML")
        var library = MustacheLibrary()
        let templates = [
            "layoutHead": layoutHead, "search": search, "searchRow": searchRow, "subject": subject, "records": records, "list": list,
            "recordsPage": recordsPage,
            "statistics": statistics, "notice": notice, "noticeForm": noticeForm, "problem": problem, "subjectBody": subjectBody,
            "report": report, "verify": verify, "form": form, "receipt": receipt,
        ]
        for (name, text) in templates { try library.register(contentType + text, named: name) }
        return library
    }
}
