import Bus
import Foundation
import MeshProtocol

/// The whole suite as its processes report themselves on `status`: every central service and every
/// interceptor of `interceptors.departments`, asked at the same time. What `creditctl status` prints
/// and sanction-dispatch's dashboard shows.
public enum SuiteStatus {
    /// One process's answer, or why it gave none.
    public struct Row: Codable, Sendable {
        /// The stream name: `dispatch`, `interceptor.finance`.
        public var name: String
        public var endpoint: String
        public var up: Bool
        /// `curve` or `insecure`, as the service reports it.
        public var security: String?
        public var head: Int64?
        /// For each stream the process follows, the last seq applied.
        public var applied: [String: Int64]
        /// For each stream the process follows, the stream's head (as read in the same poll) minus `applied`.
        public var lag: [String: Int64]
        public var details: JSONValue?
        /// Every op the service declares, with access, audit and counts (PROTOCOL.md §5, `status`).
        public var ops: JSONValue?
        public var deadLetters: Int64?
        public var error: String?

        public init(
            name: String, endpoint: String, up: Bool, security: String? = nil, head: Int64? = nil, applied: [String: Int64] = [:],
            lag: [String: Int64] = [:], details: JSONValue? = nil, ops: JSONValue? = nil, deadLetters: Int64? = nil, error: String? = nil
        ) {
            self.name = name
            self.endpoint = endpoint
            self.up = up
            self.security = security
            self.head = head
            self.applied = applied
            self.lag = lag
            self.details = details
            self.ops = ops
            self.deadLetters = deadLetters
            self.error = error
        }

        /// An interceptor's replica state (`live`, `diverged`, …), nil for a central service.
        public var replicaState: String? { details?["replica"]?["state"]?.stringValue }
    }

    /// Every process of the suite with its bus endpoints, central services first. With
    /// `skippingUnconfigured`, an interceptor whose addresses are not configured (a department without
    /// default ports) is left out instead of stopping the caller: a service that only watches the
    /// others does not refuse to start over a department it does not talk to.
    public static func targets(
        _ topology: Topology, skippingUnconfigured: Bool = false
    ) throws -> [(name: String, endpoints: BusEndpoints)] {
        var targets: [(String, BusEndpoints)] = []
        for service in CentralService.allCases { targets.append((service.rawValue, try topology.endpoints(of: service))) }
        for department in topology.interceptorDepartments {
            if skippingUnconfigured {
                guard let endpoints = try? topology.interceptorEndpoints(of: department) else { continue }
                targets.append(("interceptor.\(department)", endpoints))
            } else {
                targets.append(("interceptor.\(department)", try topology.interceptorEndpoints(of: department)))
            }
        }
        return targets
    }

    /// Asks every target for its `status` at once; a target that does not answer within `timeout` is
    /// a row with `up` false and the error.
    public static func collect(
        _ targets: [(name: String, endpoints: BusEndpoints)], security: Security, timeout: Duration = .seconds(2)
    ) async -> [Row] {
        await withTaskGroup(of: (Int, Row).self) { group in
            for (index, (name, endpoints)) in targets.enumerated() {
                let endpoint = endpoints.router
                group.addTask {
                    do {
                        let client = try security.busClient(toward: endpoints)
                        defer { client.close() }
                        let status = try await client.request("status", timeout: timeout)
                        var applied: [String: Int64] = [:]
                        for (stream, seq) in status["applied"]?.objectValue ?? [:] { applied[stream] = seq.intValue }
                        return (
                            index,
                            Row(
                                name: name, endpoint: endpoint, up: true, security: status["security"]?.stringValue,
                                head: status["head"]?.intValue, applied: applied, details: status["details"], ops: status["ops"],
                                deadLetters: status["deadLetters"]?.intValue)
                        )
                    } catch {
                        return (index, Row(name: name, endpoint: endpoint, up: false, error: "\(error)"))
                    }
                }
            }
            var rows = [Row?](repeating: nil, count: targets.count)
            for await (index, row) in group { rows[index] = row }
            var result = rows.compactMap { $0 }
            let heads = Dictionary(result.map { ($0.name, $0.head ?? 0) }, uniquingKeysWith: { a, _ in a })
            for index in result.indices {
                for (stream, seq) in result[index].applied {
                    if let head = heads[stream] { result[index].lag[stream] = max(0, head - seq) }
                }
            }
            return result
        }
    }
}
