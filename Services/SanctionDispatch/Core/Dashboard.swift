import Bus
import Foundation
import MeshProtocol
import ServiceKit

/// What the operator's dashboard shows: every stream with its head, every follower's position and lag,
/// the departments behind on acknowledgements, the dead letters, and the objections and repair
/// applications being decided. `GET /v1/dashboard` returns it as JSON, `GET /` as a page.
public struct DashboardView: Codable, Sendable {
    public struct Stream: Codable, Sendable, Equatable {
        public var name: String
        public var up: Bool
        public var head: Int64?
        public var deadLetters: Int64?
        /// Why it did not answer `status`.
        public var error: String?
    }

    public struct Follower: Codable, Sendable, Equatable {
        /// The following process, named by its stream.
        public var follower: String
        public var stream: String
        public var applied: Int64
        /// The stream's head as read in the same poll, minus `applied`; nil when the publisher did not answer.
        public var lag: Int64?
        /// An interceptor's replica state (`live`, `diverged`, …), with its last error and its last
        /// rebuild (PROTOCOL.md §6, "When the publisher went back").
        public var state: String?
        public var lastError: String?
        public var rebuilt: String?
    }

    public var generatedAt: String
    /// Changes when anything shown changes (not the time): `GET /v1/dashboard?after=VERSION` waits for that.
    public var version: String
    public var streams: [Stream]
    public var followers: [Follower]
    /// Departments with pushes past `dispatch.ackDeadlineSeconds` unacknowledged.
    public var departmentsBehind: [DepartmentCompliance]
    public var objections: DeadlineCompliance
    public var repairs: DeadlineCompliance
    public var compliance: ComplianceReport
    /// The page's sections as HTML (by element id), for the page's script to put in place.
    public var html: [String: String]

    /// Builds the view from every process's `status` and dispatch's compliance report.
    public static func make(rows: [SuiteStatus.Row], compliance: ComplianceReport, generatedAt: String) -> DashboardView {
        let streams = rows.map { Stream(name: $0.name, up: $0.up, head: $0.head, deadLetters: $0.deadLetters, error: $0.error) }
        var followers: [Follower] = []
        let heads = Dictionary(rows.compactMap { row in row.head.map { (row.name, $0) } }, uniquingKeysWith: { first, _ in first })
        for row in rows {
            let replica = row.details?["replica"]
            for stream in row.applied.keys.sorted() {
                // An interceptor follows one stream, dispatch; its replica state is that follower's.
                let own = replica != nil && stream == "dispatch"
                let applied = row.applied[stream] ?? 0
                var follower = Follower(
                    follower: row.name, stream: stream, applied: applied, lag: row.lag[stream],
                    state: own ? replica?["state"]?.stringValue : nil, lastError: own ? replica?["lastError"]?.stringValue : nil,
                    rebuilt: own ? replica?["rebuilt"]?.stringValue : nil)
                // A lag of 0 would hide it: the publisher went back below what this follower applied.
                if let head = heads[stream], head < applied, follower.state == nil {
                    follower.state = "diverged"
                    follower.lastError = "publisher head \(head) is behind applied seq \(applied)"
                }
                followers.append(follower)
            }
        }
        let behind = compliance.departments.filter { $0.overdue > 0 }
        var view = DashboardView(
            generatedAt: generatedAt, version: "", streams: streams, followers: followers, departmentsBehind: behind,
            objections: compliance.objections, repairs: compliance.repairs, compliance: compliance, html: [:])
        view.version = view.fingerprint()
        view.html = DashboardPage.sections(view)
        return view
    }

    /// FNV-1a of what is shown, without the times that change on every reading.
    func fingerprint() -> String {
        struct Shown: Encodable {
            var streams: [Stream]
            var followers: [Follower]
            var departments: [DepartmentCompliance]
            var objections: DeadlineCompliance
            var repairs: DeadlineCompliance
            var activeByList: [String: Int]
        }
        var compliance = compliance.departments
        for index in compliance.indices {
            compliance[index].ackLatencyP50Seconds = nil
            compliance[index].ackLatencyMaxSeconds = nil
        }
        let shown = Shown(
            streams: streams.map {
                var stream = $0; stream.error = stream.error == nil ? nil : "down"; return stream
            },
            followers: followers, departments: compliance, objections: objections, repairs: repairs,
            activeByList: self.compliance.activeByList)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (try? WireCoding.encode(shown)) ?? [] {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

/// Reads the dashboard: every process's `status` over the bus (with dispatch's own key), and the
/// compliance report from dispatch's database.
public struct Dashboard: Sendable {
    let handler: DispatchHandler
    let targets: [(name: String, endpoints: BusEndpoints)]
    let security: Security
    /// How long a process may take to answer `status` before it is shown as not answering.
    let statusTimeout: Duration
    let clock: ServiceClock

    public init(
        handler: DispatchHandler, targets: [(name: String, endpoints: BusEndpoints)], security: Security,
        statusTimeout: Duration = .seconds(1), clock: ServiceClock = .system
    ) {
        self.handler = handler
        self.targets = targets
        self.security = security
        self.statusTimeout = statusTimeout
        self.clock = clock
    }

    /// The view now; with `after`, the first view whose version differs from it, read every second for
    /// up to `wait` (the page's script asks this way, so it hears of a change within a second and asks
    /// nothing meanwhile). The compliance report, which reads every listing, is read again every 5 s.
    public func view(after version: String? = nil, wait: Duration = .zero) async throws -> DashboardView {
        let deadline = clock.now.advanced(by: wait)
        var compliance = try await handler.complianceReport()
        var complianceRead = clock.now
        while true {
            let rows = await SuiteStatus.collect(targets, security: security, timeout: statusTimeout)
            if complianceRead.duration(to: clock.now) >= .seconds(5) {
                compliance = try await handler.complianceReport()
                complianceRead = clock.now
            }
            let view = DashboardView.make(rows: rows, compliance: compliance, generatedAt: WireTime.format(clock.date))
            guard let version, view.version == version, clock.now < deadline else { return view }
            try await clock.sleep(for: .seconds(1))
        }
    }
}
