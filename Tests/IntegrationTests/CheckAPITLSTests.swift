import Foundation
import GRDB
import MeshProtocol
import TestSupport
import Testing

/// The check API off its host: the real interceptor serving HTTPS with a throwaway certificate and
/// API tokens issued and revoked with the real creditctl, called with curl from another network
/// namespace (from loopback, said loudly, where namespaces cannot be made).
@Suite(.serialized) struct CheckAPITLSTests {
    /// A self-signed certificate for `addresses`, made with openssl.
    static func makeCertificate(in directory: URL, addresses: [String]) async throws -> (certificate: String, key: String) {
        let certificate = directory.appendingPathComponent("interceptor.crt").path
        let key = directory.appendingPathComponent("interceptor.key").path
        let result = try await Commands.run(
            path: "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", certificate,
                "-days", "2", "-subj", "/CN=interceptor-finance",
                "-addext", "subjectAltName=" + addresses.map { "IP:\($0)" }.joined(separator: ","),
            ], environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw CheckAPIFailure("openssl: \(result.stderr)") }
        return (certificate, key)
    }

    /// curl's answer: the HTTP status (0 when no HTTP answer came) and the body.
    static func curl(_ arguments: [String]) async throws -> (status: Int, body: String) {
        let result = try await Commands.run(
            path: "/usr/bin/curl", ["-sS", "--max-time", "5", "-w", "\n%{http_code}"] + arguments,
            environment: ProcessInfo.processInfo.environment)
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n") + result.stderr)
    }

    @Test func checksOverTLSNeedATokenThatRevocationTakesAwayWithoutRestart() async throws {
        let remote = NetworkLab.sayWhenSkipped("the check API called from another network namespace (calling it on loopback instead)")
        let hosts = remote ? try NetworkLab.Hosts(["finance"]) : nil
        defer { hosts?.remove() }
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let port = { (key: String) in layout.ports[key]! }
        let address = hosts?.address("finance") ?? "127.0.0.1"
        let centre = hosts.map { "\($0.subnet).254" } ?? "127.0.0.1"
        let (certificate, key) = try await Self.makeCertificate(in: layout.directory, addresses: [address, "127.0.0.1"])
        let toDispatch = [
            "CREDIT_DISPATCH_PUB": "tcp://\(centre):\(port("dispatch.pub"))",
            "CREDIT_DISPATCH_ROUTER": "tcp://\(centre):\(port("dispatch.router"))",
        ]
        let dispatch = try SuiteProcess("sanction-dispatch", layout: layout, environment: toDispatch)
        defer { dispatch.stop() }
        let url = "https://\(address):\(port("interceptors.finance.http"))"
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout,
            environment: toDispatch.merging([
                "CREDIT_INTERCEPTORS_FINANCE_HTTP": "\(address):\(port("interceptors.finance.http"))",
                "CREDIT_INTERCEPTORS_FINANCE_TLS_CERTIFICATE": certificate, "CREDIT_INTERCEPTORS_FINANCE_TLS_KEY": key,
                "CREDIT_INTERCEPTORS_FINANCE_AUTH": "tokens",
            ]) { $1 },
            launcher: hosts?.launcher("finance") ?? [])
        defer { interceptor.stop() }

        let check = #"{"subject":"91330500MA2D7E8F2D","action":"government-procurement","requester":"clerk-7"}"#
        func post(_ headers: [String]) async throws -> (status: Int, body: String) {
            try await Self.curl(
                ["--cacert", certificate, "-X", "POST", "-H", "Content-Type: application/json", "-d", check] + headers + [
                    "\(url)/v1/checks"
                ])
        }
        var answer = (status: 0, body: "")
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await post([])
                return answer.status == 401
            }, "the interceptor did not answer over TLS: \(answer)\n\(interceptor.log.suffix(2_000))")
        #expect(answer.body.contains(#""code":"unauthenticated""#) && answer.body.contains("needs an API token"), "\(answer.body)")
        // The same port without TLS gives no HTTP answer.
        #expect(try await Self.curl(["http://\(address):\(port("interceptors.finance.http"))/v1/health"]).status != 200)

        let issued = try await Commands.run("creditctl", ["token", "add", "procurement-portal", "--dept", "finance"], layout: layout)
        #expect(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("cmt_"))
        let listed = try await Commands.run("creditctl", ["token", "list", "--dept", "finance", "--json"], layout: layout)
        #expect(listed.stdout.contains(#""name":"procurement-portal""#) && !listed.stdout.contains(token))

        #expect(try await post(["-H", "Authorization: Bearer \(token)x"]).status == 401)
        #expect(
            try await eventually(timeout: .seconds(30)) {
                answer = try await post(["-H", "Authorization: Bearer \(token)"])
                return answer.status == 200  // 503 until the catalogue has come from dispatch
            }, "a valid token: \(answer)")
        #expect(answer.body.contains(#""decision":"allow""#), "\(answer.body)")

        let revoked = try await Commands.run("creditctl", ["token", "revoke", "procurement-portal", "--dept", "finance"], layout: layout)
        #expect(revoked.status == 0, "\(revoked.stderr)")
        answer = try await post(["-H", "Authorization: Bearer \(token)"])
        #expect(answer.status == 401 && answer.body.contains("unknown or was revoked"), "\(answer)")

        // One check was logged, under the system's name; the refusals left nothing.
        let database = try DatabaseQueue(
            path: layout.directory.appendingPathComponent("data/interceptor-finance.sqlite").path,
            configuration: {
                var c = Configuration(); c.readonly = true; return c
            }())
        // The check moves from the journal into the database within milliseconds of its answer.
        var (checks, actors) = (0, [String]())
        let moved = try await eventually(timeout: .seconds(10)) {
            (checks, actors) = try await database.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checks") ?? 0, try String.fetchAll(db, sql: "SELECT actor FROM audit_log"))
            }
            return checks > 0
        }
        #expect(moved && checks == 1 && actors == ["system:procurement-portal"], "checks \(checks), audit actors \(actors)")
        #expect(interceptor.isRunning)
    }

    @Test func refusesToServePlainHTTPBeyondLoopback() async throws {
        let layout = try TestSuiteLayout(departments: ["finance"])
        defer { layout.remove() }
        let interceptor = try SuiteProcess(
            "interceptor", ["--dept", "finance"], name: "interceptor-finance", layout: layout,
            environment: ["CREDIT_INTERCEPTORS_FINANCE_HTTP": "0.0.0.0:\(layout.ports["interceptors.finance.http"]!)"])
        defer { interceptor.stop(signal: SIGKILL) }
        #expect(await eventually(timeout: .seconds(20)) { !interceptor.isRunning }, "it kept running")
        let output = interceptor.log
        #expect(output.contains("interceptors.finance.http") && output.contains("needs TLS and API tokens"), "\(output)")
    }
}

struct CheckAPIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
