import Bus
import Foundation
import MeshProtocol
import TestSupport
import Testing

@Suite(.serialized, .enabled(if: NetworkLab.available, "needs root and iproute2 for network namespaces"))
struct NetworkCutTests {
    @Test func interceptorOnAnotherHostAnswersFromItsStaleReplicaWhileCutAndConvergesWhenRestored() async throws {
        let tag = String(UUID().uuidString.prefix(4)).lowercased()
        let namespace = "cm\(tag)"
        let (centreLink, hostLink) = ("cma\(tag)", "cmb\(tag)")
        let subnet = "10.77.\(Int.random(in: 1...250))"
        try NetworkLab.ip("netns", "add", namespace)
        defer {
            _ = try? NetworkLab.ip("link", "del", centreLink)
            _ = try? NetworkLab.ip("netns", "del", namespace)
        }
        try NetworkLab.ip("link", "add", centreLink, "type", "veth", "peer", "name", hostLink)
        try NetworkLab.ip("link", "set", hostLink, "netns", namespace)
        try NetworkLab.ip("addr", "add", "\(subnet).1/24", "dev", centreLink)
        try NetworkLab.ip("link", "set", centreLink, "up")
        try NetworkLab.ip("netns", "exec", namespace, "ip", "addr", "add", "\(subnet).2/24", "dev", hostLink)
        try NetworkLab.ip("netns", "exec", namespace, "ip", "link", "set", hostLink, "up")
        try NetworkLab.ip("netns", "exec", namespace, "ip", "link", "set", "lo", "up")

        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let suite = SuiteClient(layout: layout)
        let port = { (key: String) in layout.ports[key]! }
        // dispatch listens on the centre's side of the link; the interceptor on every address of its host.
        let centre = [
            "CREDIT_DISPATCH_PUB": "tcp://\(subnet).1:\(port("dispatch.pub"))",
            "CREDIT_DISPATCH_ROUTER": "tcp://\(subnet).1:\(port("dispatch.router"))",
        ]
        let host = centre.merging([
            "CREDIT_INTERCEPTORS_FINANCE_PUB": "tcp://*:\(port("interceptors.finance.pub"))",
            "CREDIT_INTERCEPTORS_FINANCE_ROUTER": "tcp://*:\(port("interceptors.finance.router"))",
            "CREDIT_INTERCEPTORS_FINANCE_HTTP": "127.0.0.1:\(port("interceptors.finance.http"))",
        ]) { $1 }
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: centre)
        defer { dispatch.stop() }
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout, environment: host,
            launcher: ["ip", "netns", "exec", namespace])
        defer { interceptor.stop() }

        let dispatchClient = try BusClient(
            endpoint: centre["CREDIT_DISPATCH_ROUTER"]!, security: try suite.security(toward: "dispatch", as: "market"))
        defer { dispatchClient.close() }
        let remoteInterceptor = "tcp://\(subnet).2:\(port("interceptors.finance.router"))"
        func dispatchActive() async throws -> [String] { try await ids(dispatchClient, op: "list.active") }
        func replica() async throws -> [String] {
            let client = try BusClient(endpoint: remoteInterceptor, security: try suite.security(toward: "interceptors.finance"))
            defer { client.close() }
            return try await ids(client, op: "replica.ids")
        }
        func initiate(_ range: Range<Int>) async throws {
            for number in range {
                _ = try await suite.request(dispatchClient, "list.initiate", as: "market", body: DeliveryTests.initiateBody(number))
            }
        }
        /// A check asked on the interceptor's own host, which stays reachable while the link is cut.
        func localCheck(_ number: Int) throws -> JSONValue {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = [
                "netns", "exec", namespace, BuiltProducts.directory().appendingPathComponent("creditctl").path, "check",
                "--dept", "finance", "--subject", GeneratedSubjects.uscc(number), "--action", "government-procurement", "--json",
                "--timeout", "3",
            ]
            process.environment = layout.environment.merging(
                ["CREDIT_INTERCEPTORS_FINANCE_ROUTER": "tcp://127.0.0.1:\(port("interceptors.finance.router"))"]) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (try? WireCoding.decode(JSONValue.self, from: Array(data))) ?? .null
        }

        try await initiate(0..<100)
        #expect(
            try await eventually(timeout: .seconds(60)) { try await replica() == dispatchActive() },
            "before the cut:\n\(interceptor.log.suffix(2_000))")

        try NetworkLab.ip("link", "set", centreLink, "down")
        try await initiate(100..<600)
        for id in try await dispatchActive().prefix(50) {
            _ = try await suite.request(
                dispatchClient, "list.remove", as: "market", body: .object(["listing": .string(id), "reason": "cut test"]))
        }
        // While cut the interceptor keeps answering from its replica, and says it is stale.
        var answer: JSONValue = .null
        let staleAnswer = try await eventually(timeout: .seconds(20), every: .milliseconds(500)) {
            answer = try localCheck(99)
            return answer["replica"]?["stale"] == .bool(true)
        }
        #expect(staleAnswer, "no stale answer during the cut: \(answer)")
        #expect(answer["decision"] == "block", "listing 99 was applied before the cut")
        #expect(try localCheck(300)["decision"] == "allow", "listing 300 came during the cut and cannot be known yet")

        try NetworkLab.ip("link", "set", centreLink, "up")
        var held: [String] = []
        var active: [String] = []
        let converged = try await eventually(timeout: .seconds(90), every: .milliseconds(500)) {
            active = try await dispatchActive()
            held = (try? await replica()) ?? []
            return held == active
        }
        #expect(converged, "after restoring: replica \(held.count), dispatch \(active.count)\n\(interceptor.log.suffix(2_000))")
        #expect(active.count == 550)
        #expect(try localCheck(300)["decision"] == "block")
        #expect(try localCheck(300)["replica"]?["stale"] == .bool(false))
    }

    func ids(_ client: BusClient, op: String) async throws -> [String] {
        var all: [String] = []
        var after: JSONValue = .null
        repeat {
            let page = try await client.request(op, body: .object(["after": after, "limit": 10_000]), timeout: .seconds(5))
            all += page["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            after = page["next"] ?? .null
        } while after != .null
        return all
    }
}
