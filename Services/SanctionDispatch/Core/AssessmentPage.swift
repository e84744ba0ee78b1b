import CreditDomain
import Foundation
import HTTPSupport

/// The department assessment (考核) as a page: one row per department, a form to choose the period.
/// Every value is escaped; rates below 100% are marked.
enum AssessmentPage {
    static func render(_ report: AssessmentReport) -> String {
        let e = HTML.escape
        let missing = report.unavailable.sorted { $0.key < $1.key }.map { "<li>\(e($0.key)): \(e($0.value))</li>" }.joined()
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>部门考核 · Assessment \(e(report.period.name))</title>
            <style>\(DashboardPage.style)</style></head>
            <body><h1>部门考核 · Department assessment \(e(report.period.name))</h1>
            <form method="get" action="/assessment"><label>期间 Period <input name="period" value="\(e(report.period.name))"
            placeholder="2026Q4 or 2026" size="8"></label> <button type="submit">Show</button></form>
            <p>\(e(report.period.from)) – \(e(report.period.through)); generated \(e(report.generatedAt)); acknowledgement
            deadline \(report.ackDeadlineSeconds) s.</p>
            \(missing.isEmpty ? "" : "<div class=\"bad\"><p>Not gathered:</p><ul>\(missing)</ul></div>")
            \(table(report))
            <p><small>JSON: <a href="/v1/assessment?period=\(e(report.period.name))">/v1/assessment?period=\(e(report.period.name))</a>;
            <a href="/">dashboard</a></small></p></body></html>
            """
    }

    /// `done/of (rate)`, marked when below 100%; a dash when there was nothing to do.
    static func share(_ done: Int, of total: Int) -> (text: String, short: Bool) {
        guard total > 0 else { return ("–", false) }
        return ("\(done)/\(total) (\(percent(done, of: total)))", done < total)
    }

    static func percent(_ done: Int, of total: Int) -> String {
        String(format: "%.1f%%", Double(done) * 100 / Double(max(total, 1)))
    }

    static func table(_ report: AssessmentReport) -> String {
        let e = HTML.escape
        func cell(_ share: (text: String, short: Bool)) -> String {
            "<td\(share.short ? " class=\"bad\"" : "")>\(e(share.text))</td>"
        }
        func cases(_ work: CaseWork) -> String {
            cell(share(work.decidedOnTime, of: work.decided))
                + "<td\(work.overdueOpen > 0 ? " class=\"bad\"" : "")>\(work.overdueOpen)</td>"
        }
        let rows = report.departments.map { row in
            let ack = row.acknowledgement
            let p50 = ack?.latencyP50Seconds.map { String(format: "%.2f s", $0) } ?? "–"
            let feedback = row.feedback.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let inspections = row.inspections.map { "\($0.results)/\($0.selected) in \($0.draws) draws" } ?? "?"
            let publication = row.publication.map { share($0.onTime, of: $0.published) } ?? ("?", false)
            return "<tr><td>\(e(row.department))</td>"
                + (ack.map { cell(share($0.acknowledged, of: $0.pushes)) + cell(share($0.inTime, of: $0.pushes)) }
                    ?? "<td>–</td><td>–</td>")
                + "<td>\(e(p50))</td><td>\(e(feedback.isEmpty ? "–" : feedback))</td>\(cell(publication))"
                + cases(row.objections) + cases(row.repairs)
                + cell((inspections, (row.inspections.map { $0.results < $0.selected }) ?? false)) + "</tr>"
        }.joined(separator: "\n")
        return """
            <table><thead><tr><th>Department</th><th>Pushes acknowledged</th><th>Acknowledged in time</th><th>Ack p50</th>
            <th>Feedback</th><th>双公示 on time</th><th>Objections decided on time</th><th>Objections overdue</th>
            <th>Repairs decided on time</th><th>Repairs overdue</th><th>Inspections done</th></tr></thead><tbody>
            \(rows.isEmpty ? "<tr><td colspan=\"11\">No department did anything in this period.</td></tr>" : rows)
            </tbody></table>
            """
    }
}
