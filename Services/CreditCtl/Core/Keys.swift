import ArgumentParser
import Bus
import CreditDomain
import Foundation
import MeshProtocol
import ServiceKit
import ZeroMQ

extension PeerRole: ExpressibleByArgument {}

/// `creditctl keys`: the CURVE key lifecycle (docs/SECURITY.md). Key files live in
/// `security.keysDir` (default var/keys); the roster is `security.roster`. Services reload the
/// roster within a second of a change, so registering and revoking need no restart.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate, register, revoke and list CURVE keys.",
        subcommands: [Generate.self, Register.self, Revoke.self, List.self, Initialise.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new key pair: <dir>/<name>.key (secret, mode 0600) and <name>.pub (give that to the credit office).")

        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("dept"), help: "Whose key: a department code (finance), a service (registry) or operator.")
        var name: String
        @Option(help: "department, service or operator.")
        var role: PeerRole = .department
        @Option(help: "Directory for the files (default: security.keysDir).")
        var dir: String?
        @Flag(help: "Replace an existing key pair (the old public key must then be replaced in the roster too).")
        var replace = false

        func run() async throws {
            let name = try Keys.validName(name)
            let directory = try dir ?? global.topology().keysDirectory
            let file = KeyFile(name: name, role: role, keys: try CurveKeyPair.generate())
            let paths = try KeyFile.write(file, to: directory, replace: replace)
            say("secret key: \(paths.secret) (mode 0600; never copy it off \(name)'s host)")
            say("public key: \(paths.public)  \(file.publicKey)")
            say("next: creditctl keys register \(paths.public)   (at the credit office)")
        }
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a party's public key to the roster (replacing its previous key revokes that one).")

        @OptionGroup var global: GlobalOptions
        @Argument(help: "The party's .pub (or .key) file.")
        var file: String?
        @Option(name: .customLong("dept"), help: "With --public-key: whose key it is.")
        var name: String?
        @Option(name: .customLong("public-key"), help: "A Z85 public key, instead of a file.")
        var publicKey: String?
        @Option(help: "With --public-key: department, service or operator.")
        var role: PeerRole = .department

        func run() async throws {
            let (name, role, key): (String, PeerRole, String)
            if let file {
                let keyFile = try KeyFile.read(path: file, requireSecret: false)
                (name, role, key) = (try Keys.validName(keyFile.name), keyFile.role, keyFile.publicKey)
            } else if let publicKey, let given = self.name {
                (name, role, key) = (try Keys.validName(given), self.role, publicKey)
            } else {
                throw ValidationError("give a .pub file, or --dept NAME with --public-key KEY")
            }
            let path = try global.topology().rosterPath
            var roster = FileManager.default.fileExists(atPath: path) ? try Roster.load(path: path) : Roster()
            let replaced = roster.parties[name].map { $0.key != key } ?? false
            try roster.register(name, role: role, key: key, at: WireTime.format(Date()))
            try roster.save(path: path)
            say("registered \(name) (\(role.rawValue)) \(key) in \(path)\(replaced ? "; its previous key is revoked" : "")")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a party's key: refused at once on every request, and subscribers are disconnected within a second.")

        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("dept"), help: "Whose key to revoke.")
        var name: String
        @Option(help: "Why, for the roster's record.")
        var reason: String?

        func run() async throws {
            let path = try global.topology().rosterPath
            var roster = try Roster.load(path: path)
            try roster.revoke(name, reason: reason, at: WireTime.format(Date()))
            try roster.save(path: path)
            say("revoked \(name)'s key in \(path); services reload the roster within a second")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the roster: parties, roles, keys, revocations.")

        @OptionGroup var global: GlobalOptions
        @Flag var json = false

        func run() async throws {
            let path = try global.topology().rosterPath
            let roster = try Roster.load(path: path)
            if json {
                try printJSON(roster)
                return
            }
            say("NAME".padding(16) + "ROLE".padding(12) + "KEY".padding(42) + "REGISTERED")
            for name in roster.parties.keys.sorted() {
                let entry = roster.parties[name]!
                say(name.padding(16) + entry.role.rawValue.padding(12) + entry.key.padding(42) + (entry.registered ?? "-"))
            }
            for revocation in roster.revoked {
                say("revoked: \(revocation.name) \(revocation.key) at \(revocation.revoked)\(revocation.reason.map { " (\($0))" } ?? "")")
            }
        }
    }

    struct Initialise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the keys of a local suite: every service, the operator and every department, registered in the roster.",
            discussion: "Keeps keys that exist; safe to run again. `make up` runs it, so the embedded default is secure too.")

        @OptionGroup var global: GlobalOptions
        @Option(help: "Departments to create keys for, comma-separated (default: the authority table and interceptors.departments).")
        var departments: String?

        func run() async throws {
            let topology = try global.topology()
            var names: [(String, PeerRole)] = CentralService.allCases.map { ($0.rawValue, .service) } + [("operator", .operator)]
            let departments: [String] =
                if let departments {
                    departments.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                } else {
                    Array(
                        Set(
                            try topology.config.section("authority", default: AuthorityRules.standard, parse: AuthorityRules.parse).grants
                                .keys.map(\.rawValue) + topology.interceptorDepartments)
                    ).sorted()
                }
            names += try departments.map { (try Keys.validName($0), .department) }
            let path = topology.rosterPath
            var roster = FileManager.default.fileExists(atPath: path) ? try Roster.load(path: path) : Roster()
            var created = 0
            for (name, role) in names {
                let keyPath = topology.keyFilePath(for: name)
                let file: KeyFile
                if FileManager.default.fileExists(atPath: keyPath) {
                    file = try KeyFile.read(path: keyPath, requireSecret: true)
                } else {
                    file = KeyFile(name: name, role: role, keys: try CurveKeyPair.generate())
                    _ = try KeyFile.write(file, to: topology.keysDirectory)
                    created += 1
                }
                if roster.parties[name]?.key != file.publicKey {
                    try roster.register(name, role: role, key: file.publicKey, at: WireTime.format(Date()))
                }
            }
            try roster.save(path: path)
            say("keys: \(created) created, \(names.count - created) kept, \(roster.parties.count) parties in \(path)")
        }
    }

    /// Key names are department codes, service names or `operator`.
    static func validName(_ text: String) throws -> String {
        do {
            return try Department(validating: text).rawValue
        } catch {
            throw ValidationError("\(text): a key name is 1–32 lower-case letters, digits or dashes (finance, registry, operator)")
        }
    }
}
