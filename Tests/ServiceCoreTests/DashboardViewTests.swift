import Foundation
import MeshProtocol
import ServiceKit
import Testing

@testable import DispatchCore

/// The dashboard's view from the processes' `status` rows and the compliance report, without sockets.
@Suite struct DashboardViewTests {
    static func rows(registryHead: Int64 = 3, dispatchHead: Int64 = 5) -> [SuiteStatus.Row] {
        [
            SuiteStatus.Row(name: "registry", endpoint: "tcp://r", up: true, head: registryHead, deadLetters: 0),
            SuiteStatus.Row(
                name: "dispatch", endpoint: "tcp://d", up: true, head: dispatchHead, applied: ["registry": 9], lag: ["registry": 0],
                deadLetters: 0),
            SuiteStatus.Row(
                name: "interceptor.finance", endpoint: "tcp://f", up: true, head: 2, applied: ["dispatch": 4], lag: ["dispatch": 1],
                details: .object(["replica": .object(["state": "live", "rebuilt": "2026-12-05T10:00:00.000Z: publisher head 2 is behind"])]
                ),
                deadLetters: 2),
            SuiteStatus.Row(name: "interceptor.commerce", endpoint: "tcp://c", up: false, error: "no connection <b>"),
        ]
    }

    static let report = ComplianceReport(
        generatedAt: "2026-12-05T10:00:00.000Z", ackDeadlineSeconds: 60,
        departments: [
            DepartmentCompliance(
                department: "finance", listingsPushed: 4, listingsAcknowledged: 4, liftsPushed: 0, liftsConfirmed: 0, overdue: 0,
                flagged: false, ackLatencyP50Seconds: 0.1, ackLatencyMaxSeconds: 0.2, feedback: [:]),
            DepartmentCompliance(
                department: "commerce", listingsPushed: 4, listingsAcknowledged: 1, liftsPushed: 0, liftsConfirmed: 0, overdue: 3,
                flagged: true, ackLatencyP50Seconds: nil, ackLatencyMaxSeconds: nil, feedback: [:]),
        ], activeByList: ["black": 4], activeByInitiator: ["market": 4], blackListShare: 0.5, blocksByMeasure: [:],
        objections: DeadlineCompliance(open: 2, overdue: 1, overdueByDecider: ["market": 1]))

    @Test func showsFollowersLagDepartmentsBehindAndDeadLetters() {
        let view = DashboardView.make(rows: Self.rows(), compliance: Self.report, generatedAt: "2026-12-05T10:00:01.000Z")
        #expect(view.streams.map(\.name) == ["registry", "dispatch", "interceptor.finance", "interceptor.commerce"])
        let finance = view.followers.first { $0.follower == "interceptor.finance" }
        #expect(finance?.lag == 1 && finance?.state == "live" && finance?.rebuilt != nil)
        // dispatch applied registry seq 9, registry's head is 3: a lag of 0 would hide that it went back.
        let dispatch = view.followers.first { $0.follower == "dispatch" }
        #expect(dispatch?.state == "diverged" && dispatch?.lastError == "publisher head 3 is behind applied seq 9")
        #expect(view.departmentsBehind.map(\.department) == ["commerce"])
        #expect(view.html["dead-letters"]?.contains(#"data-dead-letters="interceptor.finance">interceptor.finance: 2"#) == true)
        #expect(view.html["cases"]?.contains("past a deadline: 1 — market 1") == true)
        let page = DashboardPage.render(view)
        #expect(page.contains("no connection") == false, "errors are not on the page, only 'not answering'")
        #expect(page.contains(#"<td class="bad">not answering</td>"#))
        #expect(page.contains(#"data-version="\#(view.version)""#))
    }

    @Test func theVersionChangesWithWhatIsShownNotWithTheTime() {
        let first = DashboardView.make(rows: Self.rows(), compliance: Self.report, generatedAt: "2026-12-05T10:00:01.000Z")
        var later = Self.report
        later.generatedAt = "2026-12-05T10:00:09.000Z"
        later.departments[0].ackLatencyMaxSeconds = 0.3
        let same = DashboardView.make(rows: Self.rows(), compliance: later, generatedAt: "2026-12-05T10:00:09.000Z")
        #expect(same.version == first.version)
        let moved = DashboardView.make(rows: Self.rows(dispatchHead: 6), compliance: Self.report, generatedAt: "2026-12-05T10:00:01.000Z")
        #expect(moved.version != first.version)
    }
}
