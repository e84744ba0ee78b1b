import ArgumentParser
import Bus
import Foundation
import Logging
import MeshProtocol
import ServiceKit

/// `creditctl`: the operator's command line for the whole suite.
public struct CreditCtl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "creditctl",
        abstract: "Operate the Credit Mesh suite: import records, initiate listings, check, repair, tail streams, status.",
        subcommands: [
            Import.self, Initiate.self, Remove.self, Extend.self, Object.self, Confirm.self, Listings.self, Check.self, Repair.self,
            ObjectionCommand.self, NoticeCommand.self, Notices.self, ProposalCommand.self, Reminders.self, Rules.self,
            Feedback.self, Compliance.self, AssessmentCommand.self, Audit.self, Grade.self, Inspect.self, Tail.self, Status.self,
            Profile.self, Search.self,
            Relations.self, Keys.self, TokenCommand.self, ReportCommand.self, IntakeCommand.self, BackupCommand.self,
            RestoreCommand.self,
        ])

    public init() {}
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Suite config file (default: $CREDIT_CONFIG, else built-in defaults).")
    var config: String?

    @Option(name: .long, help: "Seconds to wait for a reply.")
    var timeout: Int = 10

    @Option(
        name: .long,
        help: "Key file to authenticate with (default: <keysDir>/<dept>.key for --as DEPT, else <keysDir>/operator.key).")
    var key: String?

    @Flag(name: .long, help: "Talk to services started with --insecure: no CURVE; --as is believed.")
    var insecure = false

    func topology() throws -> Topology {
        var topology = Topology(config: try SuiteConfig(file: config))
        topology.insecure = insecure
        return topology
    }

    /// The security of this invocation: the key of `department` when acting for one, else the
    /// operator's key (or `--key`).
    func security(as department: String?) throws -> Security {
        var logger = Logger(label: "creditctl")
        logger.logLevel = .error
        return try topology().security(as: department ?? "operator", insecure: insecure, logger: logger, keyFile: key)
    }

    /// A client of a stream's service, authenticated as `department` (or as the operator).
    func client(for stream: String, as department: String? = nil) throws -> BusClient {
        let endpoints = try topology().endpoints(ofStream: stream)
        return try security(as: department).busClient(toward: endpoints)
    }

    var timeoutDuration: Duration { .seconds(timeout) }

    /// One request to a stream's service, as a department or not.
    func call(_ stream: String, _ op: String, as department: String? = nil, body: JSONValue = .object([:])) async throws -> JSONValue {
        let client = try client(for: stream, as: department)
        defer { client.close() }
        return try await client.request(op, as: department, body: body, timeout: timeoutDuration)
    }
}

/// Writes one line to standard output at once (pipes are block-buffered otherwise).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func printJSON(_ value: some Encodable) throws {
    say(String(decoding: try WireCoding.encode(value), as: UTF8.self))
}

/// Prints a result as JSON or through `human`.
func output(_ value: JSONValue, json: Bool, human: (JSONValue) -> Void) throws {
    if json { try printJSON(value) } else { human(value) }
}

extension CreditCtl {
    /// Parses the command line and runs the chosen subcommand asynchronously.
    public static func entry() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
