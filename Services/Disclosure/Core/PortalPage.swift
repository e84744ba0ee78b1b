import HTTPSupport
import MeshProtocol

/// The public portal's one page: search box, penalties, black list, red list. Values are escaped.
enum PortalPage {
    static func render(query: String?, penalties: [PublicPenalty], black: [PublicListing], red: [PublicListing]) -> String {
        let e = HTML.escape
        func table(_ headers: [String], _ rows: [[String]]) -> String {
            guard !rows.isEmpty else { return "<p class=\"none\">No entries.</p>" }
            let head = headers.map { "<th>\(e($0))</th>" }.joined()
            let body = rows.map { "<tr>" + $0.map { "<td>\(e($0))</td>" }.joined() + "</tr>" }.joined(separator: "\n")
            return "<table><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
        }
        /// The dispute mark (异议标注): the information is being verified.
        func mark(_ dispute: Dispute?) -> String {
            dispute.map { "异议核查中 Disputed since \($0.since) (\($0.objection))" } ?? ""
        }
        let listingHeaders = ["Listing", "Name", "Code", "Initiator", "Basis", "Document", "From", "Until", "Mark"]
        func listingRows(_ list: [PublicListing]) -> [[String]] {
            list.map {
                [$0.listingID, $0.subjectName, $0.subject, $0.initiator, $0.basis, $0.document, $0.start, $0.until, mark($0.disputed)]
            }
        }
        return """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>信用公示 Credit disclosure</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style>
            </head><body>
            <h1>信用信息公示 · Public credit disclosure</h1>
            <form method="get" action="/"><input name="q" value="\(e(query ?? ""))" placeholder="名称或统一社会信用代码 name or code"> <button>查询 Search</button></form>
            <h2>行政处罚 Administrative penalties (双公示)</h2>
            \(table(["Record", "Name", "Code", "Document", "Authority", "Content", "Decided", "Public until", "Mark"],
                penalties.map { [$0.recordID, $0.subjectName, $0.subject, $0.document, $0.authority, $0.content, $0.decisionDate, $0.publicityEnd ?? "", mark($0.disputed)] }))
            <h2>失信联合惩戒对象名单 Black list</h2>
            \(table(listingHeaders, listingRows(black)))
            <h2>红名单 Red list</h2>
            \(table(listingHeaders, listingRows(red)))
            <p><small>Personal identification numbers are masked. JSON: /api/v1/penalties, /api/v1/blacklist, /api/v1/redlist</small></p>
            </body></html>
            """
    }

    static let style =
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}"
        + "pre{white-space:pre-wrap;border:1px solid #ccc;padding:1em}"

    /// The form that asks for a listing's notice code, with a message when it was wrong.
    static func noticeForm(listing: String, message: String?) -> String {
        let e = HTML.escape
        return """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>告知书查询 Notice</title><style>\(style)</style></head><body>
            <h1>信用惩戒告知书查询 · Notice of a listing</h1>
            \(message.map { "<p class=\"error\">\(e($0))</p>" } ?? "")
            <form method="get" action="/notices/\(e(listing))">
            <p>名单编号 Listing: \(e(listing))</p>
            <label>查询码 Notice code: <input name="code" autocomplete="off"></label> <button>查看 Show</button>
            </form>
            <p><small>The notice code is printed on the notice the subject received. <a href="/">Portal</a></small></p>
            </body></html>
            """
    }

    /// A listing's notice (告知书) as sanction-dispatch builds it: the text, and the measures as a table.
    static func notice(_ notice: JSONValue) -> String {
        let e = HTML.escape
        let rows = (notice["measures"]?.arrayValue ?? []).map { line in
            let cells = ["department", "title", "effect", "basis"].map { "<td>\(e(line[$0]?.stringValue ?? ""))</td>" }.joined()
            return "<tr>\(cells)</tr>"
        }.joined(separator: "\n")
        let id = notice["listing"]?["id"]?.stringValue ?? ""
        return """
            <!doctype html>
            <html lang="zh-CN"><head><meta charset="utf-8"><title>告知书 Notice \(e(id))</title><style>\(style)</style></head><body>
            <h1>信用惩戒告知书 · Notice of listing \(e(id))</h1>
            <pre>\(e(notice["text"]?.stringValue ?? ""))</pre>
            <h2>措施 Measures (catalogue \(e(notice["catalogueVersion"]?.stringValue ?? "none")))</h2>
            <table><thead><tr><th>Department</th><th>Measure</th><th>Effect</th><th>Basis</th></tr></thead><tbody>
            \(rows)
            </tbody></table>
            <p><small><a href="/">Portal</a></small></p>
            </body></html>
            """
    }
}
