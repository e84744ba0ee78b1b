import Bus
import CreditDomain
import Foundation
import GRDB
import Logging
import MeshMetrics
import MeshProtocol

/// One department's part in 发起-响应-反馈: what was pushed to it, what it acknowledged and how fast,
/// what it fed back.
public struct DepartmentCompliance: Codable, Sendable, Equatable {
    public var department: String
    /// Listings that took effect (`list.added`) and lifts (`list.removed` of listings that had).
    public var listingsPushed: Int
    public var listingsAcknowledged: Int
    public var liftsPushed: Int
    public var liftsConfirmed: Int
    /// Pushes older than the deadline with no acknowledgement yet.
    public var overdue: Int
    /// True when `overdue` > 0: the department is lagging (Huzhou Joint Reward and Punishment Opinions
    /// 三(三): 跟踪、监测、统计、评估, 通报并督促整改).
    public var flagged: Bool
    public var ackLatencyP50Seconds: Double?
    public var ackLatencyMaxSeconds: Double?
    public var feedback: [String: Int]
}

public struct ComplianceReport: Codable, Sendable {
    public var generatedAt: String
    public var ackDeadlineSeconds: Int
    public var departments: [DepartmentCompliance]
    /// Active listings by list, and by initiating department (domain).
    public var activeByList: [String: Int]
    public var activeByInitiator: [String: Int]
    /// Black-listed subjects among all subjects known to dispatch (from the registry and listings).
    public var blackListShare: Double
    /// Blocks by measure id, then by department, from feedback.
    public var blocksByMeasure: [String: [String: Int]]
    /// Objections not yet decided, and those past a deadline (acknowledge or decide), by the deciding
    /// department: a department that lets them run over is behind on verifying what it provided.
    public var objections: DeadlineCompliance = DeadlineCompliance()
    /// Repair applications not yet decided, and those past a deadline (accept or decide), by the
    /// deciding department.
    public var repairs: DeadlineCompliance = DeadlineCompliance()
}

/// Cases a department must handle within working-day deadlines: how many are open, how many are late.
public struct DeadlineCompliance: Codable, Sendable, Equatable {
    public var open = 0
    public var overdue = 0
    public var overdueByDecider: [String: Int] = [:]
}

extension DispatchHandler {
    /// Records an interceptor's acknowledgement once per event id (resends are harmless).
    func recordAck(_ event: Event, from department: String) async throws -> JSONValue {
        let judged = try await recordAcks([.success(event)], from: department, op: "ack.submit")
        if case .refused(_, let error) = judged[0] { throw error }
        return judged[0].json
    }

    /// Records acknowledgements once per event id, the acceptable ones of a batch in one transaction;
    /// one that is unreadable, another department's or not an acknowledgement is answered by its id
    /// with the error `ack.submit` would have given, and the others are recorded. `recorded` is false
    /// for a resend and for an acknowledgement of an event this log no longer holds.
    func recordAcks(_ events: [Result<Event, ReplyError>], from department: String, op: String) async throws -> [BatchOutcome] {
        struct Ack { var department: String; var dispatchSeq: Int64; var listingID: String? }
        var judged: [BatchOutcome?] = Array(repeating: nil, count: events.count)
        var accepted: [(index: Int, event: Event, ack: Ack, kind: String)] = []
        for (index, result) in events.enumerated() {
            guard case .success(let event) = result else {
                if case .failure(let error) = result { judged[index] = .refused(id: "", error) }
                continue
            }
            let name = events.count == 1 ? op : "\(op): \(event.id)"
            // Read by hand: every interceptor acknowledges every listing.
            guard case .string(let acknowledging)? = event.data["department"], case .int(let dispatchSeq)? = event.data["dispatchSeq"]
            else {
                judged[index] = .refused(
                    id: event.id,
                    ReplyError(.badRequest, "\(name): event.data must hold department (text) and dispatchSeq (an integer)"))
                continue
            }
            let ack = Ack(department: acknowledging, dispatchSeq: dispatchSeq, listingID: event.data["listingID"]?.stringValue)
            guard ack.department == department else {
                judged[index] = .refused(
                    id: event.id, ReplyError(.forbidden, "\(name): \(department) may not acknowledge for \(ack.department)"))
                continue
            }
            let kind: String
            switch event.type {
            case "listing.applied": kind = "applied"
            case "listing.lifted": kind = "lifted"
            case "snapshot.applied": kind = "snapshot"
            default:
                judged[index] = .refused(id: event.id, ReplyError(.invalid, "\(name): event type \(event.type) is not an acknowledgement"))
                continue
            }
            accepted.append((index, event, ack, kind))
        }
        if !accepted.isEmpty {
            let inserted = try await writer.write { [accepted] db -> [Bool] in
                try accepted.map { _, event, ack, kind in
                    // Statements cached: a batch holds many acknowledgements, and every listing brings one per department.
                    if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM acks WHERE event_id = ?"), arguments: [event.id]) ?? false {
                        return false
                    }
                    let pushed = try String.fetchOne(
                        db.cachedStatement(sql: "SELECT at FROM bus_events WHERE seq = ?"), arguments: [ack.dispatchSeq])
                    // An acknowledgement names the event by seq and commit time (`ack-<dept>-<seq>-<digits of at>`):
                    // one for an event this log no longer holds (dispatch was restored from a backup and gave the
                    // seq to another event) acknowledges nothing here.
                    let prefix = "ack-\(department)-\(ack.dispatchSeq)-"
                    if kind != "snapshot", event.id.hasPrefix(prefix), let pushed,
                        event.id.dropFirst(prefix.count) != pushed.filter(\.isNumber)
                    {
                        return false
                    }
                    // Likewise a snapshot beyond this log's head was loaded from a history it no longer has.
                    if kind == "snapshot", ack.dispatchSeq > 0, pushed == nil { return false }
                    let latency = zip2(WireTime.parse(event.at), pushed.flatMap { WireTime.parse($0) }).map { $0.timeIntervalSince($1) }
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO acks(event_id, department, kind, listing_id, dispatch_seq, acked_at, latency_seconds)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """
                    ).execute(
                        arguments: [
                            event.id, department, kind, ack.listingID, ack.dispatchSeq, event.at, kind == "snapshot" ? nil : latency,
                        ])
                    return true
                }
            }
            for (entry, isNew) in zip(accepted, inserted) {
                judged[entry.index] = isNew ? .recorded(id: entry.event.id) : .duplicate(id: entry.event.id)
            }
        }
        return judged.map { $0! }
    }

    /// An event `e` counts as acknowledged by department `?1` by its own ack or by a snapshot covering its seq.
    static let acknowledgedPush = """
        (EXISTS (SELECT 1 FROM acks a WHERE a.department = ?1 AND a.dispatch_seq = e.seq AND a.kind != 'snapshot')
         OR EXISTS (SELECT 1 FROM acks s WHERE s.department = ?1 AND s.kind = 'snapshot' AND s.dispatch_seq >= e.seq))
        """

    /// Pushes (listings and lifts) made before `deadline` that the department has not acknowledged.
    static func overduePushes(_ db: Database, department: String, deadline: String) throws -> Int {
        try Int.fetchOne(
            db,
            sql:
                "SELECT COUNT(*) FROM bus_events e WHERE e.type IN ('list.added', 'list.removed') AND e.at < ?2 AND NOT \(acknowledgedPush)",
            arguments: [department, deadline]) ?? 0
    }

    /// The oldest push time that is overdue when not yet acknowledged.
    var ackDeadline: String { WireTime.format(now().addingTimeInterval(-Double(policy.ackDeadlineSeconds))) }

    /// `credit_acks_overdue{dept}` for every department of the roster, counted as the compliance report
    /// counts them, when the metrics are scraped.
    public func exposeOverdueAcknowledgements(in metrics: ServiceMetrics, logger: Logger) {
        let gauges = policy.departments.map { ($0, metrics.gauge(.acksOverdue, [("dept", $0)])) }
        metrics.onScrape {
            let deadline = ackDeadline
            do {
                let counts = try await writer.read { db in
                    try gauges.map { department, _ in try Self.overduePushes(db, department: department, deadline: deadline) }
                }
                for ((_, gauge), count) in zip(gauges, counts) { gauge.record(count) }
            } catch {
                logger.warning("Metrics could not count overdue acknowledgements", metadata: ["error": "\(error)"])
            }
        }
    }

    public func complianceReport() async throws -> ComplianceReport {
        let deadline = ackDeadline
        let departments = policy.departments
        let today = today()
        return try await writer.read { db in
            var rows: [DepartmentCompliance] = []
            for department in departments {
                func pushed(_ type: String) throws -> Int {
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_events WHERE type = ?", arguments: [type]) ?? 0
                }
                func acknowledged(_ type: String) throws -> Int {
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM bus_events e WHERE e.type = ?2 AND \(Self.acknowledgedPush)",
                        arguments: [department, type]) ?? 0
                }
                let overdue = try Self.overduePushes(db, department: department, deadline: deadline)
                let latencies = try Double.fetchAll(
                    db,
                    sql: "SELECT latency_seconds FROM acks WHERE department = ? AND latency_seconds IS NOT NULL ORDER BY latency_seconds",
                    arguments: [department])
                var feedback: [String: Int] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT decision, COUNT(*) AS n FROM feedback WHERE department = ? GROUP BY decision", arguments: [department])
                {
                    feedback[row["decision"]] = row["n"]
                }
                rows.append(
                    DepartmentCompliance(
                        department: department, listingsPushed: try pushed("list.added"),
                        listingsAcknowledged: try acknowledged("list.added"),
                        liftsPushed: try pushed("list.removed"), liftsConfirmed: try acknowledged("list.removed"), overdue: overdue,
                        flagged: overdue > 0, ackLatencyP50Seconds: latencies.isEmpty ? nil : latencies[latencies.count / 2],
                        ackLatencyMaxSeconds: latencies.last, feedback: feedback))
            }
            var byList: [String: Int] = [:]
            var byInitiator: [String: Int] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT list, initiator, COUNT(*) AS n FROM listings WHERE status = 'active' GROUP BY list, initiator")
            {
                byList[row["list"], default: 0] += row["n"] as Int
                byInitiator[row["initiator"], default: 0] += row["n"] as Int
            }
            let subjects =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM (SELECT id FROM known_subjects UNION SELECT subject_id FROM listings)") ?? 0
            let black =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(DISTINCT subject_id) FROM listings WHERE status = 'active' AND list = 'black'") ?? 0
            var blocks: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(
                db,
                sql:
                    "SELECT IFNULL(measure_id, '') AS measure, department, COUNT(*) AS n FROM feedback WHERE decision = 'block' GROUP BY measure, department"
            ) {
                blocks[row["measure"], default: [:]][row["department"]] = row["n"]
            }
            func deadlines(_ sql: String) throws -> DeadlineCompliance {
                var result = DeadlineCompliance()
                for row in try Row.fetchAll(db, sql: sql, arguments: [today]) {
                    result.open += row["n"] as Int
                    let late: Int = row["late"]
                    result.overdue += late
                    if late > 0 { result.overdueByDecider[row["decider"]] = late }
                }
                return result
            }
            let objections = try deadlines(
                """
                SELECT decider, COUNT(*) AS n,
                       SUM(CASE WHEN (status = 'open' AND acknowledge_by < ?1) OR decide_by < ?1 THEN 1 ELSE 0 END) AS late
                FROM objections WHERE status <> 'decided' GROUP BY decider
                """)
            let repairs = try deadlines(
                """
                SELECT decider, COUNT(*) AS n,
                       SUM(CASE WHEN (status = 'pending' AND accept_by < ?1) OR decide_by < ?1 THEN 1 ELSE 0 END) AS late
                FROM repairs WHERE status IN ('pending', 'accepted') GROUP BY decider
                """)
            return ComplianceReport(
                generatedAt: WireTime.format(now()), ackDeadlineSeconds: policy.ackDeadlineSeconds, departments: rows,
                activeByList: byList, activeByInitiator: byInitiator,
                blackListShare: subjects == 0 ? 0 : Double(black) / Double(subjects), blocksByMeasure: blocks, objections: objections,
                repairs: repairs)
        }
    }
}

private func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
