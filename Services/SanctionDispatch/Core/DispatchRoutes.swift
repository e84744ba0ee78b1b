import Foundation
import HTTPSupport
import Hummingbird
import MeshProtocol

/// sanction-dispatch's dashboard: `GET /v1/compliance` (JSON, as `compliance.report`) and `GET /`
/// (the same as an HTML table, for the credit office).
enum DispatchRoutes {
    static func router(handler: DispatchHandler) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/compliance") { _, _ -> Response in
            do {
                return JSONResponses.ok(try await handler.complianceReport())
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the compliance report could not be made"))
            }
        }
        router.get("/") { _, _ -> Response in
            do {
                return JSONResponses.html(CompliancePage.render(try await handler.complianceReport()))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the compliance report could not be made"))
            }
        }
        return router
    }
}

/// The compliance table as a page. Values are escaped.
enum CompliancePage {
    static func render(_ report: ComplianceReport) -> String {
        let e = HTML.escape
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "–" }
        let rows = report.departments.map { row in
            let feedback = row.feedback.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "<tr\(row.flagged ? " style=\"background:#fdd\"" : "")><td>\(e(row.department))</td><td>\(row.listingsPushed)</td>"
                + "<td>\(row.listingsAcknowledged)</td><td>\(row.liftsPushed)</td><td>\(row.liftsConfirmed)</td><td>\(row.overdue)</td>"
                + "<td>\(seconds(row.ackLatencyP50Seconds))</td><td>\(seconds(row.ackLatencyMaxSeconds))</td><td>\(e(feedback))</td></tr>"
        }.joined(separator: "\n")
        func cases(_ title: String, _ cases: DeadlineCompliance, _ open: String) -> String {
            let late = cases.overdueByDecider.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return """
                <h2>\(title)</h2><p\(cases.overdue > 0 ? " style=\"background:#fdd\"" : "")>\(open): \(cases.open);
                past a deadline: \(cases.overdue)\(late.isEmpty ? "" : " — " + e(late)).</p>
                """
        }
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>联合奖惩 compliance</title>
            <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}</style></head>
            <body><h1>发起-响应-反馈 · Compliance</h1><p>Generated \(e(report.generatedAt)); acknowledgement deadline \(report.ackDeadlineSeconds) s.
            Black-list share of known subjects: \(String(format: "%.2f%%", report.blackListShare * 100)).</p>
            <table><thead><tr><th>Department</th><th>Listings pushed</th><th>Acknowledged</th><th>Lifts pushed</th><th>Lifts confirmed</th>
            <th>Overdue</th><th>Ack p50</th><th>Ack max</th><th>Feedback</th></tr></thead><tbody>
            \(rows)
            </tbody></table>
            \(cases("异议 · Objections", report.objections, "Being verified"))
            \(cases("信用修复 · Repair applications", report.repairs, "Being decided"))
            <p><small>JSON: /v1/compliance</small></p></body></html>
            """
    }
}
