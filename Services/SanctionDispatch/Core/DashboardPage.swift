import Foundation
import HTTPSupport

/// The operator's dashboard as a page. Everything is rendered on the server, so the page is complete
/// without JavaScript (it then reloads every 30 s); with it, a small script asks `/v1/dashboard` for
/// the next change and puts the sections it returns in place, without reloading. Values are escaped.
enum DashboardPage {
    static let style = """
        body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}\
        td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.bad{background:#fdd}.ok{color:#060}.muted{color:#666}
        """

    /// Section ids and their titles, in page order.
    static let titles: [(id: String, title: String)] = [
        ("streams", "事件流 · Streams"),
        ("followers", "订阅 · Followers"),
        ("behind", "响应滞后 · Departments behind on acknowledgements"),
        ("dead-letters", "死信 · Dead letters"),
        ("cases", "异议与修复 · Objections and repairs"),
        ("compliance", "发起-响应-反馈 · Compliance"),
    ]

    static func render(_ view: DashboardView) -> String {
        let e = HTML.escape
        let sections = sections(view)
        let body = titles.map { "<h2>\($0.title)</h2>\n<section id=\"\($0.id)\">\(sections[$0.id] ?? "")</section>" }
            .joined(separator: "\n")
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>sanction-dispatch · dashboard</title>
            <noscript><meta http-equiv="refresh" content="30"></noscript>
            <style>\(style)</style></head>
            <body data-version="\(e(view.version))"><h1>联合奖惩 · Credit Mesh dashboard</h1>
            <p id="refreshed" data-refreshes="0" data-generated="\(e(view.generatedAt))">Read at \(e(view.generatedAt)).
            <noscript>Without JavaScript this page reloads every 30 s.</noscript></p>
            \(body)
            <p><a href="/assessment">部门考核 · Department assessment</a> · <a href="/compliance">Compliance</a></p>
            <p><small>JSON: <a href="/v1/dashboard">/v1/dashboard</a>, <a href="/v1/compliance">/v1/compliance</a>;
            metrics: <a href="/metrics">/metrics</a></small></p>
            <script>\(script)</script></body></html>
            """
    }

    /// Waits for the next change (`after` the version shown), puts the new sections in place, and asks
    /// again 2 s later; when dispatch does not answer, says so and tries again after 5 s.
    static let script = """
        (function () {
          var version = document.body.getAttribute("data-version");
          var refreshes = 0;
          var wait = new URLSearchParams(location.search).get("wait") || "15";
          var status = document.getElementById("refreshed");
          function next() {
            fetch("/v1/dashboard?after=" + encodeURIComponent(version) + "&wait=" + encodeURIComponent(wait), {cache: "no-store"})
              .then(function (response) { if (!response.ok) { throw new Error("HTTP " + response.status); } return response.json(); })
              .then(function (view) {
                version = view.version;
                Object.keys(view.html).forEach(function (id) {
                  var section = document.getElementById(id);
                  if (section) { section.innerHTML = view.html[id]; }
                });
                refreshes += 1;
                status.setAttribute("data-refreshes", String(refreshes));
                status.setAttribute("data-generated", view.generatedAt);
                status.textContent = "Read at " + view.generatedAt + "; updated without reloading.";
                setTimeout(next, 2000);
              })
              .catch(function (error) {
                status.textContent = "sanction-dispatch does not answer (" + error.message + "); trying again.";
                setTimeout(next, 5000);
              });
          }
          next();
        })();
        """

    /// Each section's HTML, by id.
    static func sections(_ view: DashboardView) -> [String: String] {
        [
            "streams": streams(view), "followers": followers(view), "behind": behind(view), "dead-letters": deadLetters(view),
            "cases": CompliancePage.cases(view.compliance), "compliance": CompliancePage.table(view.compliance),
        ]
    }

    static func streams(_ view: DashboardView) -> String {
        let e = HTML.escape
        let rows = view.streams.map { stream in
            let state = stream.up ? "<td class=\"ok\">up</td>" : "<td class=\"bad\">not answering</td>"
            let dead = stream.deadLetters ?? 0
            return "<tr data-stream=\"\(e(stream.name))\"><td>\(e(stream.name))</td>\(state)"
                + "<td data-head>\(stream.head.map(String.init) ?? "–")</td>"
                + "<td\(dead > 0 ? " class=\"bad\"" : "")>\(stream.up ? String(dead) : "–")</td></tr>"
        }.joined(separator: "\n")
        return
            "<table><thead><tr><th>Stream</th><th>Service</th><th>Head</th><th>Dead letters</th></tr></thead><tbody>\n\(rows)\n</tbody></table>"
    }

    static func followers(_ view: DashboardView) -> String {
        let e = HTML.escape
        guard !view.followers.isEmpty else { return "<p class=\"muted\">No follower answered.</p>" }
        let rows = view.followers.map { follower in
            let lagging = (follower.lag ?? 0) > 0 || (follower.state.map { $0 != "live" } ?? false)
            var state = follower.state ?? "–"
            if let error = follower.lastError { state += ": " + error }
            let rebuilt = follower.rebuilt.map { "<br><small>rebuilt \(e($0))</small>" } ?? ""
            return "<tr data-follower=\"\(e(follower.follower))\" data-stream=\"\(e(follower.stream))\"\(lagging ? " class=\"bad\"" : "")>"
                + "<td>\(e(follower.follower))</td><td>\(e(follower.stream))</td><td>\(follower.applied)</td>"
                + "<td data-lag>\(follower.lag.map(String.init) ?? "?")</td><td>\(e(state))\(rebuilt)</td></tr>"
        }.joined(separator: "\n")
        return
            "<table><thead><tr><th>Follower</th><th>Stream</th><th>Applied</th><th>Lag</th><th>State</th></tr></thead><tbody>\n\(rows)\n</tbody></table>"
    }

    static func behind(_ view: DashboardView) -> String {
        let e = HTML.escape
        guard !view.departmentsBehind.isEmpty else {
            return "<p class=\"ok\">Every department acknowledged its pushes within \(view.compliance.ackDeadlineSeconds) s.</p>"
        }
        let rows = view.departmentsBehind.map { row in
            "<tr class=\"bad\" data-department=\"\(e(row.department))\"><td>\(e(row.department))</td><td>\(row.overdue)</td>"
                + "<td>\(row.listingsAcknowledged) of \(row.listingsPushed)</td><td>\(row.liftsConfirmed) of \(row.liftsPushed)</td></tr>"
        }.joined(separator: "\n")
        return """
            <table><thead><tr><th>Department</th><th>Pushes overdue</th><th>Listings acknowledged</th><th>Lifts confirmed</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            """
    }

    static func deadLetters(_ view: DashboardView) -> String {
        let e = HTML.escape
        let services = view.streams.filter { ($0.deadLetters ?? 0) > 0 }
        guard !services.isEmpty else { return "<p class=\"ok\">None.</p>" }
        return "<ul>"
            + services.map { "<li class=\"bad\" data-dead-letters=\"\(e($0.name))\">\(e($0.name)): \($0.deadLetters ?? 0)</li>" }.joined()
            + "</ul><p class=\"muted\">See OPERATIONS.md, \"Dead letters\": they are in each service's bus_dead_letters table.</p>"
    }
}
