import CreditDomain
import Foundation
import HTTPSupport
import Hummingbird
import MeshProtocol

/// sanction-dispatch's dashboard: `GET /` (the operator's page), `GET /v1/dashboard` (the same as
/// JSON; `?after=VERSION&wait=S` waits up to S seconds for a change), `GET /compliance` and
/// `GET /v1/compliance` (the compliance report, as `compliance.report`), `GET /assessment` and
/// `GET /v1/assessment` (`?period=2026Q4`: the department assessment, as `assessment.get`).
enum DispatchRoutes {
    static func router(handler: DispatchHandler, dashboard: Dashboard) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/compliance") { _, _ -> Response in
            do {
                return JSONResponses.ok(try await handler.complianceReport())
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the compliance report could not be made"))
            }
        }
        router.get("/compliance") { _, _ -> Response in
            do {
                return JSONResponses.html(CompliancePage.render(try await handler.complianceReport()))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the compliance report could not be made"))
            }
        }
        // The department assessment for `?period=2026Q4` (or a year; none: the quarter under way).
        @Sendable func assessment(_ request: Request) async -> Result<AssessmentReport, ReplyError> {
            let query = AssessmentQuery(period: request.uri.queryParameters.get("period").map { String($0) })
            do {
                return .success(try await handler.assessment(query.period(today: handler.today(), op: "assessment")))
            } catch let error as ReplyError {
                return .failure(error)
            } catch {
                return .failure(ReplyError(.internal, "the assessment could not be made"))
            }
        }
        router.get("/v1/assessment") { request, _ -> Response in
            switch await assessment(request) {
            case .success(let report): JSONResponses.ok(report)
            case .failure(let error): JSONResponses.failure(error)
            }
        }
        router.get("/assessment") { request, _ -> Response in
            switch await assessment(request) {
            case .success(let report): JSONResponses.html(AssessmentPage.render(report))
            case .failure(let error):
                JSONResponses.html(
                    """
                    <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>部门考核 · Assessment</title></head>
                    <body><h1>部门考核 · Department assessment</h1><p>\(HTML.escape(error.message))</p>
                    <p><a href="/assessment">The quarter under way</a></p></body></html>
                    """, status: error.code == .internal ? .internalServerError : .badRequest)
            }
        }
        router.get("/v1/dashboard") { request, _ -> Response in
            let after = request.uri.queryParameters.get("after").map { String($0) }
            let text = request.uri.queryParameters.get("wait").map { String($0) } ?? "15"
            guard let wait = Int(text), (0...30).contains(wait) else {
                return JSONResponses.failure(ReplyError(.invalid, "wait must be whole seconds from 0 to 30"))
            }
            do {
                return JSONResponses.ok(try await dashboard.view(after: after, wait: .seconds(wait)))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the dashboard could not be read"))
            }
        }
        router.get("/") { _, _ -> Response in
            do {
                return JSONResponses.html(DashboardPage.render(try await dashboard.view()))
            } catch {
                return JSONResponses.failure(ReplyError(.internal, "the dashboard could not be read"))
            }
        }
        return router
    }
}

/// The compliance table as a page. Values are escaped.
enum CompliancePage {
    static func render(_ report: ComplianceReport) -> String {
        """
        <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>联合奖惩 compliance</title>
        <style>\(DashboardPage.style)</style></head>
        <body><h1>发起-响应-反馈 · Compliance</h1>\(table(report))
        \(cases(report))
        <p><small>JSON: /v1/compliance</small></p></body></html>
        """
    }

    /// The summary line and the table of departments.
    static func table(_ report: ComplianceReport) -> String {
        let e = HTML.escape
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "–" }
        let rows = report.departments.map { row in
            let feedback = row.feedback.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "<tr\(row.flagged ? " class=\"bad\"" : "")><td>\(e(row.department))</td><td>\(row.listingsPushed)</td>"
                + "<td>\(row.listingsAcknowledged)</td><td>\(row.liftsPushed)</td><td>\(row.liftsConfirmed)</td><td>\(row.overdue)</td>"
                + "<td>\(seconds(row.ackLatencyP50Seconds))</td><td>\(seconds(row.ackLatencyMaxSeconds))</td><td>\(e(feedback))</td></tr>"
        }.joined(separator: "\n")
        return """
            <p>Generated \(e(report.generatedAt)); acknowledgement deadline \(report.ackDeadlineSeconds) s.
            Black-list share of known subjects: \(String(format: "%.2f%%", report.blackListShare * 100)).</p>
            <table><thead><tr><th>Department</th><th>Listings pushed</th><th>Acknowledged</th><th>Lifts pushed</th><th>Lifts confirmed</th>
            <th>Overdue</th><th>Ack p50</th><th>Ack max</th><th>Feedback</th></tr></thead><tbody>
            \(rows)
            </tbody></table>
            """
    }

    /// Objections being verified and repair applications being decided, red when any is overdue.
    static func cases(_ report: ComplianceReport) -> String {
        func cases(_ title: String, _ cases: DeadlineCompliance, _ open: String) -> String {
            let late = cases.overdueByDecider.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return """
                <h2>\(title)</h2><p\(cases.overdue > 0 ? " class=\"bad\"" : "")>\(open): \(cases.open);
                past a deadline: \(cases.overdue)\(late.isEmpty ? "" : " — " + HTML.escape(late)).</p>
                """
        }
        return cases("异议 · Objections", report.objections, "Being verified") + "\n"
            + cases("信用修复 · Repair applications", report.repairs, "Being decided")
    }
}
