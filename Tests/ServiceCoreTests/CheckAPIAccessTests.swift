import Bus
import CreditDomain
import Foundation
import GRDB
import HTTPSupport
import Hummingbird
import HummingbirdTesting
import Logging
import MeshProtocol
import ServiceKit
import Testing

@testable import InterceptorCore

@Suite struct APITokenFileTests {
    @Test func issuesRevokesAndReadsBackOnlyHashes() throws {
        var file = APITokenFile()
        let token = try file.issue(to: "procurement-portal", at: "2026-12-05T10:00:00Z")
        #expect(token.hasPrefix("cmt_") && token.count == 47)
        let text = file.text
        #expect(!text.contains(token), "the token itself is never stored")
        #expect(text.contains(APITokenFile.hash(of: token)))
        var reread = try APITokenFile.parse(text, path: "t")
        #expect(reread.caller(presenting: token)?.name == "procurement-portal")
        #expect(reread.caller(presenting: token + "x") == nil)
        try reread.revoke("procurement-portal", at: "2026-12-05T11:00:00Z")
        #expect(try APITokenFile.parse(reread.text, path: "t").caller(presenting: token) == nil)
        #expect(try APITokenFile.parse(reread.text, path: "t").entries.first?.revoked == "2026-12-05T11:00:00Z")
    }

    @Test func refusesASecondActiveTokenForOneNameAndBadNames() throws {
        var file = APITokenFile()
        _ = try file.issue(to: "hr", at: "t")
        #expect(throws: APITokenError.self) { _ = try file.issue(to: "hr", at: "t") }
        #expect { _ = try file.issue(to: "Bad Name", at: "t") } throws: { "\($0)".contains("is not a system name") }
        #expect { try file.revoke("nobody", at: "t") } throws: { "\($0)".contains("nobody has no active token; active: hr") }
        try file.revoke("hr", at: "t")
        _ = try file.issue(to: "hr", at: "t2")
        #expect(file.entries.count == 2)
    }

    @Test func namesTheLineOfAMalformedFile() {
        #expect {
            _ = try APITokenFile.parse("# header\nhr\tnot-a-hash\tt\t-\n", path: "/x/tokens")
        } throws: { "\($0)".contains("/x/tokens line 2 is not name, SHA-256 hex") }
    }
}

@Suite struct CheckAPIAccessTests {
    func topology(_ values: [String: String]) -> Topology {
        Topology(config: SuiteConfig(values: values.merging(["dataDir": "/var/lib/credit-mesh"]) { $1 }))
    }

    @Test func loopbackNeedsNeitherTLSNorTokens() throws {
        let access = try CheckAPIAccess.load(department: "finance", http: HostPort(host: "127.0.0.1", port: 8620), topology: topology([:]))
        #expect(access.auth == .none && access.tls == nil)
        #expect(access.tokensPath == "/var/lib/credit-mesh/interceptor-finance.tokens")
    }

    @Test(arguments: [
        [:],
        ["interceptors.finance.auth": "tokens"],
        ["interceptors.finance.tls.certificate": "/c.pem", "interceptors.finance.tls.key": "/k.pem"],
    ])
    func anAddressBeyondLoopbackNeedsTLSAndTokens(values: [String: String]) {
        #expect {
            _ = try CheckAPIAccess.load(department: "finance", http: HostPort(host: "0.0.0.0", port: 8620), topology: topology(values))
        } throws: { error in
            let text = "\(error)"
            return text.contains("config interceptors.finance.http") && text.contains("needs TLS and API tokens")
        }
    }

    @Test func plainHTTPBeyondLoopbackOnlyWhenSaidSo() throws {
        let access = try CheckAPIAccess.load(
            department: "finance", http: HostPort(host: "0.0.0.0", port: 8620),
            topology: topology(["interceptors.finance.allowPlainHttp": "true"]))
        #expect(access.tls == nil)
    }

    @Test func refusesHalfATLSPairAndAnUnknownAuth() {
        #expect {
            _ = try CheckAPIAccess.load(
                department: "finance", http: HostPort(host: "127.0.0.1", port: 1),
                topology: topology(["interceptors.finance.tls.certificate": "/c.pem"]))
        } throws: { "\($0)".contains("config interceptors.finance.tls.key") }
        #expect {
            _ = try CheckAPIAccess.load(
                department: "finance", http: HostPort(host: "127.0.0.1", port: 1),
                topology: topology(["interceptors.finance.auth": "basic"]))
        } throws: { "\($0)".contains(#""basic" is not one of none, tokens"#) }
    }

    @Test func unreadableCertificateFilesNameTheirKey() throws {
        let files = TLSFiles(
            certificate: "/nonexistent/cert.pem", key: "/nonexistent/key.pem", certificateKey: "interceptors.finance.tls.certificate",
            keyKey: "interceptors.finance.tls.key")
        #expect { _ = try files.serverConfiguration() } throws: {
            "\($0)".hasPrefix("config interceptors.finance.tls.certificate: /nonexistent/cert.pem is not a readable PEM")
        }
    }
}

/// The check API behind tokens, through Hummingbird's router without sockets (the real interceptor
/// over TLS is in IntegrationTests).
@Suite struct APITokenRoutesTests {
    let database: DatabaseQueue
    let index = ReplicaIndex()
    let checker: Checker
    let directory: URL

    init() throws {
        database = try ServiceDatabase.inMemory { InterceptorSchema.register(in: &$0) }
        let state = ReplicaState(seq: 2, activeListings: 1, stale: false, state: "live")
        checker = Checker(
            checkLog: try CheckLog(
                path: InterceptorTests.journal(), department: .finance, writer: database, log: EventLog(stream: "interceptor.finance")),
            writer: database, index: index, replicaState: { state }, today: { "2026-11-23" })
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString.prefix(8))")
        let url = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().appendingPathComponent("../../config/catalogue.yaml")
        let event = Event(
            stream: "dispatch", seq: 1, id: "e1", type: "catalogue.loaded", at: "",
            data: try JSONValue(encoding: try CatalogueLoader.load(contentsOf: url)))
        try database.write { try DispatchReplicaApplier(index: index).apply(event, in: $0) }
    }

    /// The checks and audit entries logged, once the journal has moved into the database.
    func counts() async throws -> (checks: Int, audit: Int) {
        try await checker.checkLog.flush()
        return try await database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checks") ?? 0,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_log") ?? 0
            )
        }
    }

    @Test func refusesMissingWrongAndRevokedTokensWithoutLoggingADecision() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("interceptor-finance.tokens").path
        var issued = APITokenFile()
        let token = try issued.issue(to: "procurement-portal", at: "2026-12-05T10:00:00Z")
        try issued.save(path: path)
        let store = try APITokenStore(path: path, logger: Logger(label: "test"))
        let health = Health(
            department: "finance", replica: ReplicaState(seq: 2, activeListings: 1, stale: false, state: "live"), pendingFeedback: 0)
        let app = Application(router: InterceptorRoutes.router(checker: checker, health: { health }, tokens: store))
        let body = ByteBuffer(string: #"{"subject":"91330500MA2D7E8F2D","action":"government-procurement","requester":"clerk-7"}"#)
        try await app.test(.router) { client in
            for (header, message) in [
                (nil, "this check API needs an API token"), ("Basic abc", "must be Bearer <token>"),
                ("Bearer \(token)x", "the API token is not valid"),
            ] {
                var headers = HTTPFields()
                if let header { headers[.authorization] = header }
                try await client.execute(uri: "/v1/checks", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    let text = String(buffer: response.body)
                    #expect(text.contains(#""code":"unauthenticated""#) && text.contains(message), "\(text)")
                }
            }
            #expect(try await counts() == (0, 0), "a refused request logs no check and no audit entry")
            try await client.execute(uri: "/v1/checks", method: .post, headers: [.authorization: "Bearer \(token)"], body: body) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains(#""decision":"allow""#))
            }
            try await checker.checkLog.flush()
            let entry = try await database.read { try AuditLog.entries($0, after: 0, limit: 10) }.last
            #expect(entry?.actor == "system:procurement-portal")
            #expect(entry?.detail["system"] == "procurement-portal" && entry?.detail["requester"] == "clerk-7")
            // Revoked on disk, refused on the next request: no restart, no new router.
            var onDisk = try APITokenFile.load(path: path)
            try onDisk.revoke("procurement-portal", at: "2026-12-05T11:00:00Z")
            try onDisk.save(path: path)
            try await client.execute(uri: "/v1/checks", method: .post, headers: [.authorization: "Bearer \(token)"], body: body) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/health", method: .get, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.status == .unauthorized)
            }
            #expect(try await counts() == (1, 1))
        }
    }

    @Test func anUnreadableTokenFileAdmitsNoOne() async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("tokens").path
        var file = APITokenFile()
        let token = try file.issue(to: "hr", at: "t")
        try file.save(path: path)
        let store = try APITokenStore(path: path, logger: Logger(label: "test"))
        #expect(try store.authenticate("Bearer \(token)").get() == "hr")
        try "hr\tgarbage\n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .failure(let error) = store.authenticate("Bearer \(token)") else {
            Issue.record("a token file that cannot be parsed admitted a caller")
            return
        }
        #expect(error.code == .unavailable && error.message.contains("line 1"))
    }
}
