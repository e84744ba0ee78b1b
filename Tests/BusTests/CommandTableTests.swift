import Bus
import Foundation
import GRDB
import Logging
import MeshProtocol
import ServiceKit
import TestSupport
import Testing

/// A handler with one command of each audit kind, and one for departments only.
private struct Ledger: RequestHandler {
    struct Entry: Codable, Sendable { var amount: Int; var note: String? }
    struct Receipt: Codable, Sendable { var amount: Int; var by: String; var loggedAs: String? }

    var commands: CommandTable {
        var commands = CommandTable(service: "ledger")
        commands.on("entry.add", access: .department, audit: .audited, body: Entry.self) { entry, caller in
            guard entry.amount > 0 else { throw ReplyError(.invalid, "entry.add: amount must be positive") }
            return Receipt(
                amount: entry.amount, by: caller.department, loggedAs: caller.logger[metadataKey: "request.id"].map { "\($0)" })
        }
        commands.on("entry.count", access: .anyone, audit: .query) { _ -> JSONValue in .int(3) }
        commands.on("entry.check", access: .except(.service, because: "services do not check"), audit: .byHandler) { _ in
            NoBody()
        }
        return commands
    }
}

@Suite struct CommandTableTests {
    let table = Ledger().commands

    @Test func decodesTheBodyAndPassesTheDepartment() async throws {
        let reply = try await table.perform(
            "entry.add", body: .object(["amount": 5]),
            context: RequestContext(department: "finance", authenticated: true, role: .department))
        #expect(reply["amount"] == 5 && reply["by"] == "finance")
    }

    @Test func aMissingOrMistypedFieldIsABadRequestNamingIt() async throws {
        let context = RequestContext(department: "finance", authenticated: false)
        await #expect(throws: ReplyError(.badRequest, "entry.add: body.amount is missing")) {
            try await table.perform("entry.add", body: .object([:]), context: context)
        }
        await #expect {
            try await table.perform("entry.add", body: .object(["amount": "five"]), context: context)
        } throws: { error in
            let reply = error as? ReplyError
            return reply?.code == .badRequest && reply?.message.contains("body.amount has the wrong type") == true
        }
    }

    @Test func departmentAccessRefusesRequestsWithoutOneAndOtherRoles() async throws {
        await #expect {
            try await table.perform(
                "entry.add", body: .object(["amount": 1]), context: RequestContext(department: nil, authenticated: false))
        } throws: { ($0 as? ReplyError)?.code == .forbidden && "\($0)".contains("none was given") }
        await #expect {
            try await table.perform(
                "entry.add", body: .object(["amount": 1]),
                context: RequestContext(department: "credit-office", authenticated: true, role: .operator))
        } throws: { ($0 as? ReplyError)?.code == .forbidden && "\($0)".contains("operator key") }
        // Access is checked before the body is read: a refused party learns nothing about the body.
        await #expect {
            try await table.perform("entry.add", body: .object([:]), context: RequestContext(department: nil, authenticated: false))
        } throws: { ($0 as? ReplyError)?.code == .forbidden }
    }

    @Test func exceptRefusesOnlyTheNamedRole() async throws {
        let service = RequestContext(department: "grading", authenticated: true, role: .service)
        await #expect {
            try await table.perform("entry.check", body: .object([:]), context: service)
        } throws: { "\($0)".contains("grading holds a service key; services do not check") }
        let reply = try await table.perform(
            "entry.check", body: .object([:]), context: RequestContext(department: "ops", authenticated: true, role: .operator))
        #expect(reply == .object([:]))
    }

    @Test func anUnknownOpNamesEveryDeclaredOne() async throws {
        await #expect(throws: ReplyError(.unknownOp, "ledger has no op entry.remove; it offers entry.add, entry.count, entry.check")) {
            try await table.perform("entry.remove", body: .object([:]), context: RequestContext(department: nil, authenticated: false))
        }
    }

    @Test func includeKeepsDeclarationOrder() {
        var combined = CommandTable(service: "ledger")
        combined.on("ping", access: .anyone, audit: .query) { _ in NoBody() }
        combined.include(table)
        #expect(combined.names == ["ping", "entry.add", "entry.count", "entry.check"])
        #expect(combined["entry.add"]?.audit == .audited)
        #expect(combined["entry.count"]?.access.summary == "anyone")
    }
}

/// The bus server audits, counts and lists ops from the table alone.
@Suite struct BusServerCommandTests {
    @Test func auditsOnlyAuditedCommandsAndReportsEveryOpInStatus() async throws {
        let database = try ServiceDatabase.inMemory { _ in }
        let ports = FreePorts.take(2)
        let server = BusServer(
            service: "ledger",
            options: BusServerOptions(pubEndpoint: "tcp://127.0.0.1:\(ports[0])", routerEndpoint: "tcp://127.0.0.1:\(ports[1])"),
            log: EventLog(stream: "ledger"), reader: database, handler: Ledger(), logger: Logger(label: "test"))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let client = try BusClient(endpoint: "tcp://127.0.0.1:\(ports[1])")
        defer { client.close() }

        // The handler's logger carries the request id, which the reply echoes. (The first reply waits for
        // the server to start: a minute, as CI runs every suite at once on two cores.)
        let reply = try await client.send(
            Request(id: "req-7", op: "entry.add", as: "finance", body: .object(["amount": 2])), timeout: .seconds(60))
        #expect(reply.id == "req-7" && reply.result?["loggedAs"] == "req-7")
        await #expect(throws: BusClientError.self) {
            try await client.request("entry.add", as: "finance", body: .object(["amount": -1]))
        }
        _ = try await client.request("entry.count")
        _ = try await client.request("entry.check")
        await #expect(throws: BusClientError.self) { try await client.request("entry.remove") }
        _ = try await client.request("ping")

        // Two entries: the accepted add and the refused one; queries, checks and ping are not audited.
        let entries = try await database.read { try AuditLog.entries($0, after: 0, limit: 100) }
        #expect(entries.map(\.action) == ["entry.add", "entry.add"])
        #expect(entries.map { $0.detail["ok"] } == [.bool(true), .bool(false)])
        #expect(entries.allSatisfy { $0.actor == "finance" })

        let status = try await client.request("status")
        let ops = try #require(status["ops"])
        #expect(ops["entry.add"]?["audit"] == "audited")
        #expect(ops["entry.add"]?["access"] == "department")
        #expect(ops["entry.add"]?["ok"] == 1)
        #expect(ops["entry.add"]?["refused"] == 1)
        #expect(ops["entry.count"]?["audit"] == "query")
        #expect(ops["entry.check"]?["audit"] == "by-handler")
        #expect(ops["(unknown)"]?["refused"] == 1)
        for builtIn in ["ping", "replay", "snapshot", "audit.verify", "status"] {
            #expect(ops[builtIn]?["audit"] == "query", "\(builtIn)")
        }
        #expect(ops["ping"]?["ok"] == 1)
    }
}
