import Bus
import CreditDomain
import Foundation
import GRDB
import MeshProtocol
import ServiceKit

/// Where the assessment's other parts come from: the portal (双公示 timeliness) and grading (inspections).
public struct AssessmentSources: Sendable {
    let security: Security
    let disclosure: BusEndpoints
    let grading: BusEndpoints
    /// How long each may take to answer before its part is reported unavailable.
    let timeout: Duration

    public init(security: Security, disclosure: BusEndpoints, grading: BusEndpoints, timeout: Duration = .seconds(5)) {
        self.security = security
        self.disclosure = disclosure
        self.grading = grading
        self.timeout = timeout
    }
}

/// The credit office's department assessment (考核, Huzhou Joint Reward and Punishment Opinions 三(三);
/// Opinions on Social Credit Supervision 六(四)): per department and period, acknowledgement of pushes,
/// feedback, 双公示 timeliness, objections and repairs decided on time, inspections done.
extension DispatchHandler {
    public func assessment(_ period: AssessmentPeriod) async throws -> AssessmentReport {
        async let publication = part("disclosure", "publication.assessment", period, decoding: [PublicationWork].self)
        async let inspections = part("grading", "inspection.assessment", period, decoding: [InspectionWork].self)
        var rows = try await ownAssessment(period)
        var unavailable: [String: String] = [:]
        let publicationResult = await publication
        let inspectionResult = await inspections
        // Departments known only to a part are added; then a part that was had goes to every
        // department (zero where it did nothing), and one that was not is named in `unavailable`.
        func departments<Work>(_ result: Result<[Work], any Error>?, _ department: (Work) -> String) -> [String] {
            if case .success(let works)? = result { works.map(department) } else { [] }
        }
        for key in departments(publicationResult, \.department) + departments(inspectionResult, \.department) where rows[key] == nil {
            rows[key] = DepartmentAssessment(department: key)
        }
        func merge<Work>(
            _ name: String, _ result: Result<[Work], any Error>?, _ department: (Work) -> String, none: (String) -> Work,
            _ put: (inout DepartmentAssessment, Work) -> Void
        ) {
            switch result {
            case nil: unavailable[name] = "not configured"
            case .failure(let error): unavailable[name] = "\(error)"
            case .success(let works):
                let byDepartment = Dictionary(works.map { (department($0), $0) }) { $1 }
                for key in rows.keys { put(&rows[key]!, byDepartment[key] ?? none(key)) }
            }
        }
        merge("publication", publicationResult, \.department, none: { PublicationWork(department: $0, published: 0, onTime: 0) }) {
            $0.publication = $1
        }
        merge(
            "inspections", inspectionResult, \.department,
            none: { InspectionWork(department: $0, draws: 0, selected: 0, results: 0, problemsFound: 0) }
        ) { $0.inspections = $1 }
        return AssessmentReport(
            period: period, generatedAt: WireTime.format(now()), ackDeadlineSeconds: policy.ackDeadlineSeconds,
            departments: rows.values.sorted { $0.department < $1.department }, unavailable: unavailable)
    }

    /// One service's part, or why it could not be had; nil when dispatch was not told where it is.
    private func part<Work: Decodable & Sendable>(
        _ service: String, _ op: String, _ period: AssessmentPeriod, decoding: Work.Type
    ) async -> Result<Work, any Error>? {
        guard let sources = assessmentSources else { return nil }
        do {
            let client = try sources.security.busClient(toward: service == "grading" ? sources.grading : sources.disclosure)
            defer { client.close() }
            return .success(
                try await client.request(
                    op, body: AssessmentQuery(period: period.name), decoding: Work.self, timeout: sources.timeout))
        } catch BusClientError.refused(let refusal) where refusal.code == .unknownOp {
            return .failure(ReplyError(.unknownOp, "\(service) has no \(op): it predates protocol revision 1.4; upgrade it"))
        } catch {
            return .failure(error)
        }
    }

    /// What dispatch itself knows: pushes and acknowledgements, feedback, objections and repairs.
    func ownAssessment(_ period: AssessmentPeriod) async throws -> [String: DepartmentAssessment] {
        let roster = policy.departments
        let deadline = Double(policy.ackDeadlineSeconds)
        let today = today()
        return try await writer.read { db in
            var rows: [String: DepartmentAssessment] = [:]
            func row(_ department: String) -> DepartmentAssessment {
                rows[department] ?? DepartmentAssessment(department: department)
            }
            // Timestamps sort as text; every time on the period's last day sorts below "through~".
            let (start, end) = (period.from, period.through + "~")
            let pushes = try Row.fetchAll(
                db, sql: "SELECT seq, at FROM bus_events WHERE type IN ('list.added', 'list.removed') AND at >= ? AND at <= ? ORDER BY seq",
                arguments: [start, end]
            ).map { (seq: $0["seq"] as Int64, at: WireTime.parse($0["at"] as String)) }
            var latencies: [String: [Int64: Double?]] = [:]
            // Each department's snapshots by the time loaded: a push a snapshot brought counts as
            // acknowledged when the first snapshot covering it was loaded.
            var snapshots: [String: [(seq: Int64, at: Date?)]] = [:]
            if let first = pushes.first?.seq, let last = pushes.last?.seq {
                for ack in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT department, dispatch_seq, latency_seconds FROM acks
                        WHERE kind != 'snapshot' AND dispatch_seq >= ? AND dispatch_seq <= ?
                        """, arguments: [first, last])
                {
                    let latency: Double? = ack["latency_seconds"]
                    latencies[ack["department"], default: [:]][ack["dispatch_seq"]] = latency
                }
                for snapshot in try Row.fetchAll(
                    db,
                    sql:
                        "SELECT department, dispatch_seq, acked_at FROM acks WHERE kind = 'snapshot' AND dispatch_seq >= ? ORDER BY acked_at",
                    arguments: [first])
                {
                    snapshots[snapshot["department"], default: []].append(
                        (snapshot["dispatch_seq"], WireTime.parse(snapshot["acked_at"] as String)))
                }
            }
            for department in roster {
                let own = latencies[department] ?? [:]
                let loaded = snapshots[department] ?? []
                var acknowledged = 0
                var timed: [Double] = []
                for push in pushes {
                    if let latency = own[push.seq] {
                        acknowledged += 1
                        if let latency { timed.append(latency) }
                    } else if let snapshot = loaded.first(where: { $0.seq >= push.seq }) {
                        acknowledged += 1
                        if let ackedAt = snapshot.at, let pushedAt = push.at { timed.append(max(0, ackedAt.timeIntervalSince(pushedAt))) }
                    }
                }
                timed.sort()
                var entry = row(department)
                entry.acknowledgement = AcknowledgementWork(
                    pushes: pushes.count, acknowledged: acknowledged, inTime: timed.filter { $0 <= deadline }.count,
                    latencyP50Seconds: timed.isEmpty ? nil : timed[timed.count / 2], latencyMaxSeconds: timed.last)
                rows[department] = entry
            }
            for feedback in try Row.fetchAll(
                db,
                sql:
                    "SELECT department, decision, COUNT(*) AS n FROM feedback WHERE decided_at >= ? AND decided_at <= ? GROUP BY department, decision",
                arguments: [start, end])
            {
                var entry = row(feedback["department"])
                entry.feedback[feedback["decision"]] = feedback["n"]
                rows[entry.department] = entry
            }
            // Decided in the period (on time: by the deadline's day), and due in it, overdue, still open.
            func cases(_ table: String, open: String, _ put: (inout DepartmentAssessment, CaseWork) -> Void) throws {
                for counts in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT decider,
                               SUM(CASE WHEN decided_at >= ?1 AND decided_at <= ?2 THEN 1 ELSE 0 END) AS decided,
                               SUM(CASE WHEN decided_at >= ?1 AND decided_at <= ?2 AND substr(decided_at, 1, 10) <= decide_by THEN 1 ELSE 0 END) AS on_time,
                               SUM(CASE WHEN \(open) AND decide_by >= ?3 AND decide_by <= ?4 AND decide_by < ?5 THEN 1 ELSE 0 END) AS overdue
                        FROM \(table) GROUP BY decider
                        """, arguments: [start, end, period.from, period.through, today])
                {
                    let work = CaseWork(
                        decided: counts["decided"] ?? 0, decidedOnTime: counts["on_time"] ?? 0, overdueOpen: counts["overdue"] ?? 0)
                    guard work != CaseWork() else { continue }
                    let decider: String = counts["decider"]
                    var entry = row(decider)
                    put(&entry, work)
                    rows[decider] = entry
                }
            }
            try cases("objections", open: "status <> 'decided'") { $0.objections = $1 }
            try cases("repairs", open: "status IN ('pending', 'accepted')") { $0.repairs = $1 }
            return rows
        }
    }
}
