import CreditDomain
import Foundation
import HTTPSupport
import MeshProtocol
import Mustache

/// Builds the portal's pages from the templates (`PortalTemplates`): labels a citizen reads (kinds,
/// lists, marks) instead of internal codes, the authority's and department's full names.
struct PortalPage: Sendable {
    let library: MustacheLibrary
    /// The layout's head as rendered, before and after the page's title.
    let head: (beforeTitle: String, afterTitle: String)

    /// The search page with results, and with none, as rendered around its query and rows.
    let searchFound: Holes
    let searchNone: Holes

    init() throws {
        library = try PortalTemplates.library()
        let marker = "\u{E000}title\u{E000}"
        let parts = (library.render(["title": marker], withTemplate: "layoutHead") ?? "").components(separatedBy: marker)
        guard parts.count == 2 else { throw PortalTemplateError.layoutTitle }
        head = (parts[0], parts[1])
        let library = library
        func search(_ found: Bool) throws -> Holes {
            try Holes(
                library.render(
                    ["query": Holes.query, "searched": true, "rows": Holes.rows, "hasSubjects": found, "error": false],
                    withTemplate: "search") ?? "")
        }
        searchFound = try search(true)
        searchNone = try search(false)
    }

    enum PortalTemplateError: Error { case layoutTitle, noHoles }

    /// A page the template rendered once with markers where the query and the rows go: filled in, it
    /// is what the template renders for them (values escaped as `{{…}}` escapes them), without
    /// rendering the template for every search.
    struct Holes: Sendable {
        static let query = "\u{E000}query\u{E000}"
        static let rows = "\u{E000}rows\u{E000}"
        enum Part: Sendable {
            case text(String)
            case query
            case rows
        }
        let parts: [Part]

        init(_ rendered: String) throws {
            var parts: [Part] = []
            var rest = Substring(rendered)
            while true {
                let holes = [(Self.query, Part.query), (Self.rows, Part.rows)].compactMap { marker, part in
                    rest.range(of: marker).map { (range: $0, part: part) }
                }
                guard let hole = holes.min(by: { $0.range.lowerBound < $1.range.lowerBound }) else { break }
                parts.append(.text(String(rest[..<hole.range.lowerBound])))
                parts.append(hole.part)
                rest = rest[hole.range.upperBound...]
            }
            parts.append(.text(String(rest)))
            guard parts.contains(where: { if case .query = $0 { true } else { false } }) else { throw PortalTemplateError.noHoles }
            self.parts = parts
        }

        func filled(escapedQuery: String, rows: String) -> String {
            parts.reduce(into: "") { page, part in
                switch part {
                case .text(let text): page += text
                case .query: page += escapedQuery
                case .rows: page += rows
                }
            }
        }
    }

    /// Renders `template` with `context` inside the layout, whose title is escaped as every value is (`HTML.escape`).
    func render(_ template: String, title: String, _ context: [String: Any]) -> String {
        framed(escapedTitle: HTML.escape(title), body: library.render(context, withTemplate: template) ?? "")
    }

    /// A rendered body inside the layout.
    func framed(escapedTitle: String, body: String) -> String {
        head.beforeTitle + escapedTitle + head.afterTitle + "\n" + body + "\n" + PortalTemplates.layoutTail
    }

    // MARK: - Pages

    static let searchTitle = HTML.escape("查询 Search")

    /// The search page: with its result rows as `searchRow` renders them (stored with the pages), or
    /// with none when nothing was searched (nil) or the query was refused (`error`).
    func search(query: String?, rows: [String]?, error: String?) -> String {
        if let rows, error == nil {
            let holes = rows.isEmpty ? searchNone : searchFound
            let body = holes.filled(escapedQuery: HTML.escape(Self.shown(query)), rows: rows.joined(separator: "\n"))
            return framed(escapedTitle: Self.searchTitle, body: body)
        }
        return render(
            "search", title: "查询 Search",
            [
                "query": Self.shown(query), "searched": rows != nil, "rows": (rows ?? []).joined(separator: "\n"),
                "hasSubjects": !(rows ?? []).isEmpty, "error": error ?? false,
            ])
    }

    /// A subject as a row of the search's results.
    func searchRow(_ subject: PublicSubject) -> String {
        library.render(
            ["key": subject.key, "name": subject.name, "code": subject.code, "kindLabel": Self.kindLabel(subject.kind)],
            withTemplate: "searchRow") ?? ""
    }

    func subject(_ page: SubjectPage) -> String {
        render("subject", title: page.subject.name, Self.subjectContext(page))
    }

    /// A subject's page without the layout (stored, `StoredPages`).
    func subjectBody(_ page: SubjectPage) -> String {
        library.render(Self.subjectContext(page), withTemplate: "subject") ?? ""
    }

    /// A credit report as issued, printable.
    func report(_ report: CreditReport, code: String) -> String {
        var context = Self.subjectContext(report.page)
        context.merge(["number": report.number, "code": code, "issuedAt": report.issuedAt, "issuer": report.issuer]) { $1 }
        return render("report", title: "信用报告 \(report.number)", context)
    }

    /// The verification of a report number and code: what the genuine report said, or that there is none.
    func verify(number: String, report: CreditReport?) -> String {
        var context: [String: Any] = ["number": number, "genuine": report != nil]
        if let report {
            context.merge(Self.subjectContext(report.page)) { $1 }
            context["issuedAt"] = report.issuedAt
        }
        return render("verify", title: "报告核验 Verification", context)
    }

    static func subjectContext(_ page: SubjectPage) -> [String: Any] {
        let listings = page.listings.map(Self.listing)
        let sections = [
            Self.section("行政许可 · Administrative licences", endLabel: "有效期至 Valid until", page.licences, showSubject: false),
            Self.section("行政处罚 · Administrative penalties", endLabel: "公示截止 Public until", page.penalties, showSubject: false),
            Self.section("信用承诺 · Credit commitments", endLabel: "公示截止 Public until", page.commitments, showSubject: false),
        ]
        return [
            "subject": Self.subject(page.subject), "kindLabel": Self.kindLabel(page.subject.kind),
            "hasAliases": !page.subject.aliases.isEmpty, "page": ["asOf": page.asOf], "listings": listings,
            "hasListings": !listings.isEmpty, "sections": sections,
        ]
    }

    func list(title: String, path: String, query: String?, listings: [PublicListing], error: String?) -> String {
        let rows = listings.map(Self.listing)
        return render(
            "list", title: title,
            [
                "title": title, "path": path, "query": Self.shown(query), "listings": rows, "hasListings": !rows.isEmpty,
                "error": error ?? false,
            ])
    }

    func records(title: String, path: String, endLabel: String, query: String?, records: [PublicRecord], error: String?) -> String {
        render(
            "recordsPage", title: title,
            [
                "title": title, "path": path, "query": Self.shown(query), "error": error ?? false,
                "sections": [Self.section(title, endLabel: endLabel, records, showSubject: true)],
            ])
    }

    func statistics(_ stats: PortalStatistics) -> String {
        let departments = stats.departments.map { entry -> [String: Any] in
            [
                "departmentName": entry.departmentName, "published": entry.published, "onTime": entry.onTime,
                "rate": String(format: "%.1f%%", entry.onTimeRate * 100), "lateCount": entry.late.count, "notPublic": entry.notPublic,
                "missing": entry.missing.map(String.init) ?? "?",
            ]
        }
        let late = stats.departments.flatMap { entry in
            entry.late.map { late -> [String: Any] in
                [
                    "departmentName": entry.departmentName, "document": late.document, "decisionDate": late.decisionDate,
                    "receivedOn": late.receivedOn, "workingDaysLate": late.workingDaysLate,
                ]
            }
        }
        return render(
            "statistics", title: "统计 Statistics",
            [
                "stats": [
                    "deadlineWorkingDays": stats.deadlineWorkingDays, "commitmentDeadlineWorkingDays": stats.commitmentDeadlineWorkingDays,
                    "generatedAt": stats.generatedAt,
                ],
                "departments": departments, "late": late, "hasLate": !late.isEmpty,
            ])
    }

    func notice(_ notice: JSONValue) -> String {
        let measures = (notice["measures"]?.arrayValue ?? []).map { line -> [String: Any] in
            [
                "department": line["department"]?.stringValue ?? "", "title": line["title"]?.stringValue ?? "",
                "effect": line["effect"]?.stringValue ?? "", "basis": line["basis"]?.stringValue ?? "",
            ]
        }
        let id = notice["listing"]?["id"]?.stringValue ?? ""
        return render(
            "notice", title: "告知书 Notice \(id)",
            [
                "id": id, "text": notice["text"]?.stringValue ?? "", "catalogue": notice["catalogueVersion"]?.stringValue ?? "none",
                "measures": measures,
            ])
    }

    /// The objection or repair form for one record or listing.
    func form(_ kind: String, target: String, targetLabel: String, values: [String: String] = [:], error: String? = nil) -> String {
        let objection = kind == "objection"
        return render(
            "form", title: objection ? "提出异议 Object" : "申请信用修复 Apply for repair",
            [
                "heading": objection ? "提出异议 · Object to information" : "申请信用修复 · Apply for credit repair",
                "lead": objection
                    ? "认为信息有误的，说明哪里有误、理由是什么。 Say what is wrong and why."
                    : "已纠正失信行为、履行义务的，提交信用修复承诺书（用自己的话）。 Write the credit-repair commitment letter in your own words.",
                "action": objection ? "/objections" : "/repairs", "target": target, "targetLabel": targetLabel,
                "textLabel": objection ? "异议理由 Reason" : "信用修复承诺书 Commitment letter",
                "applicant": values["applicant"] ?? "", "contact": values["contact"] ?? "", "text": values["text"] ?? "",
                "error": error ?? false,
            ])
    }

    func receipt(_ submission: JSONValue, subjectKey: String) -> String {
        let kind = submission["kind"]?.stringValue == "objection" ? "异议 Objection" : "信用修复 Repair"
        return render(
            "receipt", title: "已收到 Received",
            [
                "id": submission["id"]?.stringValue ?? "", "kindLabel": kind, "target": submission["target"]?.stringValue ?? "",
                "receivedAt": submission["receivedAt"]?.stringValue ?? "", "contact": submission["contact"]?.stringValue ?? "",
                "subjectKey": subjectKey,
            ])
    }

    func noticeForm(listing: String, message: String?) -> String {
        render("noticeForm", title: "告知书查询 Notice", ["listing": listing, "message": message ?? false])
    }

    func problem(_ heading: String, _ message: String) -> String {
        render("problem", title: heading, ["heading": heading, "message": message])
    }

    // MARK: - Values

    /// A query as the page shows it back: a personal identifier masked like every other (a unified
    /// social credit code stays as it is).
    static func shown(_ query: String?) -> String {
        guard let query else { return "" }
        let text = SearchText.normalised(query)
        let digits = text.filter(\.isNumber).count
        return text.count >= 15 && digits >= 14 ? Identifiers.maskForPublic(text) : query
    }

    static func subject(_ subject: PublicSubject) -> [String: Any] {
        ["key": subject.key, "name": subject.name, "code": subject.code, "aliases": subject.aliases]
    }

    static func section(_ title: String, endLabel: String, _ records: [PublicRecord], showSubject: Bool) -> [String: Any] {
        let rows = records.map { record -> [String: Any] in
            [
                "recordID": record.recordID, "document": record.document, "authority": record.authority, "content": record.content,
                "category": record.category ?? false,
                "decisionDate": record.decisionDate, "publicityEnd": record.publicityEnd ?? "—", "subjectKey": record.subjectKey,
                "subjectName": record.subjectName, "subject": record.subject, "showSubject": showSubject,
                "performanceLabel": record.performance.map(performanceLabel) ?? false, "marks": marks(record.disputed, record.repair),
            ]
        }
        return ["title": title, "endLabel": endLabel, "rows": rows, "hasRows": !rows.isEmpty, "showSubject": showSubject]
    }

    static func listing(_ listing: PublicListing) -> [String: Any] {
        [
            "listingID": listing.listingID, "listLabel": listLabel(listing.list), "initiatorName": listing.initiatorName,
            "basis": listing.basis,
            "document": listing.document, "start": listing.start, "until": listing.until, "subjectKey": listing.subjectKey,
            "subjectName": listing.subjectName, "subject": listing.subject, "marks": marks(listing.disputed, listing.repair),
        ]
    }

    /// The marks a citizen reads: 异议核查中 while an objection is verified, 信用修复办理中 while a repair
    /// application is decided.
    static func marks(_ dispute: Dispute?, _ repair: RepairMark?) -> String {
        [
            dispute.map { "异议核查中 Disputed since \($0.since)" },
            repair.map { "信用修复办理中 Repair applied for on \($0.since)" },
        ].compactMap { $0 }.joined(separator: "; ")
    }

    static func kindLabel(_ kind: String) -> String {
        switch SubjectKind(rawValue: kind) {
        case .enterprise: "企业 Enterprise"
        case .naturalPerson: "自然人 Natural person"
        case .socialOrganisation: "社会组织 Social organisation"
        case .publicInstitution: "事业单位 Public institution"
        case .governmentAgency: "行政机关 Government agency"
        case .individualBusiness: "个体工商户 Individual business"
        case nil: kind
        }
    }

    static func listLabel(_ list: String) -> String {
        switch ListType(rawValue: list) {
        case .black: "失信联合惩戒对象名单（黑名单）Black list"
        case .red: "守信联合激励对象名单（红名单）Red list"
        case .keyAttention: "重点关注对象名单 Key-attention list"
        case .grade: "信用等级 Credit grade"
        case nil: list
        }
    }

    static func performanceLabel(_ performance: String) -> String {
        switch Performance(rawValue: performance) {
        case .kept: "已履约 Kept"
        case .breached: "违约 Breached"
        case .pending: "履行中 Pending"
        case nil: performance
        }
    }
}
