import ArgumentParser
import Foundation
import MeshProtocol
import ServiceKit

/// `creditctl token`: the API tokens of an interceptor's HTTP check API, one per calling business
/// system, run on the department's host. The file is `interceptors.<dept>.tokens`; the interceptor
/// reads it again when it changes, so issuing and revoking need no restart.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Issue, list and revoke the API tokens of a department's check API (on the department's host).",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Target: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @Option(help: "The department whose interceptor the token is for (default: $CREDIT_DEPT).")
        var dept: String?

        func path() throws -> String {
            guard let department = dept ?? ProcessInfo.processInfo.environment["CREDIT_DEPT"], !department.isEmpty else {
                throw ValidationError("say which department's interceptor: --dept finance (or set CREDIT_DEPT)")
            }
            return try global.topology().interceptorTokensPath(of: department)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token to a business system: printed once, stored only as its SHA-256.",
            discussion: "The system sends it as `Authorization: Bearer <token>`; its checks are audited under its name.")

        @OptionGroup var target: Target
        @Argument(help: "The calling system's name, as the audit log will name it (procurement-portal).")
        var name: String
        @Flag var json = false

        func run() async throws {
            let path = try target.path()
            var file = try APITokenFile.load(path: path)
            let token = try file.issue(to: name, at: WireTime.format(Date()))
            try file.save(path: path)
            if json { return try printJSON(JSONValue.object(["name": .string(name), "token": .string(token), "file": .string(path)])) }
            say(token)
            FileHandle.standardError.write(
                Data(
                    "issued to \(name) in \(path); shown only now: hand it to \(name)'s operator, who sends it as Authorization: Bearer <token>\n"
                        .utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every token issued: name, issued, revoked (never the token).")

        @OptionGroup var target: Target
        @Flag var json = false

        func run() async throws {
            let file = try APITokenFile.load(path: try target.path())
            if json {
                return try printJSON(
                    JSONValue.array(
                        file.entries.map {
                            .object([
                                "name": .string($0.name), "issued": .string($0.issued),
                                "revoked": $0.revoked.map(JSONValue.string) ?? .null,
                                "active": .bool($0.isActive),
                            ])
                        }))
            }
            if file.entries.isEmpty { return say("no token issued (creditctl token add NAME)") }
            for entry in file.entries {
                say("\(entry.name)\t\(entry.isActive ? "active" : "revoked \(entry.revoked ?? "")")\tissued \(entry.issued)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a system's token: the interceptor refuses it from the next request on, without a restart.")

        @OptionGroup var target: Target
        @Argument(help: "The system whose token is revoked.")
        var name: String

        func run() async throws {
            let path = try target.path()
            var file = try APITokenFile.load(path: path)
            try file.revoke(name, at: WireTime.format(Date()))
            try file.save(path: path)
            say("revoked the token of \(name) in \(path)")
        }
    }
}
