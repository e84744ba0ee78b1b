import ArgumentParser
import Bus
import Foundation
import MeshProtocol
import ServiceKit

/// `creditctl`: the operator's command line for the whole suite.
public struct CreditCtl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "creditctl",
        abstract: "Operate the Credit Mesh suite: import records, initiate listings, check, repair, tail streams, status.",
        subcommands: [
            Import.self, Initiate.self, Remove.self, Extend.self, Object.self, Confirm.self, Listings.self, Check.self, Repair.self,
            Feedback.self, Compliance.self, Audit.self, Grade.self, Tail.self, Status.self, Profile.self, Search.self, Relations.self,
        ])

    public init() {}
}

/// Options every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Suite config file (default: $CREDIT_CONFIG, else built-in defaults).")
    var config: String?

    @Option(name: .long, help: "Seconds to wait for a reply.")
    var timeout: Int = 10

    func topology() throws -> Topology {
        Topology(config: try SuiteConfig(file: config))
    }

    func client(for stream: String) throws -> BusClient {
        try BusClient(endpoint: try topology().endpoints(ofStream: stream).router)
    }

    var timeoutDuration: Duration { .seconds(timeout) }

    /// One request to a stream's service, as a department or not.
    func call(_ stream: String, _ op: String, as department: String? = nil, body: JSONValue = .object([:])) async throws -> JSONValue {
        let client = try client(for: stream)
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
