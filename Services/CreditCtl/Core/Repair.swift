import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl repair`: repair applications (信用修复) for a record past its minimum publicity period or
/// for a listing, accepted and decided by the department that decides.
struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Repair applications (信用修复): apply, accept, approve, reject, show, list.",
        subcommands: [Apply.self, Accept.self, Approve.self, Reject.self, Show.self, List.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply for repair of a record (after its minimum publicity period) or of a listing, for its subject.",
            discussion: """
                A record application needs proof of having fulfilled the penalty (--evidence; a training certificate or a \
                credit report may follow). A refusal says why and, when it is too early, the date from which to apply. \
                Prints the application id (A-…); with --json, the whole application. Applying again with the same letter \
                and files gives the same application back.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The record to repair (R-…).") var record: String?
        @Option(help: "The listing to repair (L-…).") var listing: String?
        @Option(help: "The credit-repair commitment letter (信用修复承诺书): a file, or its text.") var commitment: String
        @Option(help: "An evidence file (repeat for several): proof of fulfilment, training certificate, credit report.")
        var evidence: [String] = []
        @Option var reason: String?
        @Option(help: "Who applies (free text, e.g. the subject's agent).") var applicant = "creditctl"
        @Option(name: .customLong("as"), help: "Apply as this department (default: the operator key).") var department: String?
        @Flag var json = false

        func validate() throws {
            guard (record == nil) != (listing == nil) else { throw ValidationError("give either --record R-… or --listing L-…") }
        }

        func run() async throws {
            // A path names the letter's file; anything else is the letter itself.
            let letter =
                FileManager.default.fileExists(atPath: commitment)
                ? try String(contentsOfFile: commitment, encoding: .utf8) : commitment
            var body: [String: JSONValue] = [
                "applicant": .string(applicant), "commitment": .string(letter), "evidence": try evidenceFiles(evidence),
            ]
            if let record { body["record"] = .string(record) }
            if let listing { body["listing"] = .string(listing) }
            if let reason { body["reason"] = .string(reason) }
            let result = try await global.call("repair", "repair.apply", as: department, body: .object(body))
            if json { return try printJSON(JSONValue.object(["id": result["id"] ?? .null, "application": result])) }
            let text = { (key: String) in result[key]?.textValue ?? "?" }
            say(
                "application \(text("id")) for \(record ?? listing ?? "?"): \(text("status")); \(text("initiator")) accepts by "
                    + "\(text("acceptBy")) and decides by \(text("decideBy"))")
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept (受理) a repair application (as the deciding department).")
        @OptionGroup var global: GlobalOptions
        @Argument var application: String
        @Option(name: .customLong("as")) var department: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "repair", "repair.accept", as: department, body: .object(["application": .string(application)]))
            try output(result, json: json) { say("application \(application): \($0["status"]?.textValue ?? "?")") }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a repair application (as the deciding department, or one whose authority approves for it).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var decision: Decision

        func run() async throws { try await decision.send("repair.approve", global: global) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject a repair application, giving the reasons with --note (as the deciding department).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var decision: Decision

        func run() async throws { try await decision.send("repair.reject", global: global) }
    }

    /// What approving and rejecting take.
    struct Decision: ParsableArguments {
        @Argument var application: String
        @Option(name: .customLong("as")) var department: String
        @Option(help: "The reasons of the decision (required to reject).") var note: String?
        @Flag var json = false

        func send(_ op: String, global: GlobalOptions) async throws {
            var body: [String: JSONValue] = ["application": .string(application)]
            if let note { body["note"] = .string(note) }
            let result = try await global.call("repair", op, as: department, body: .object(body))
            try output(result, json: json) {
                say(
                    "application \(application): \($0["status"]?.textValue ?? "?") (\($0["recordID"]?.textValue ?? $0["listingID"]?.textValue ?? "?"))"
                )
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one application with its deadlines, periods and evidence.")
        @OptionGroup var global: GlobalOptions
        @Argument var application: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("repair", "repair.get", body: .object(["application": .string(application)]))
            try output(result, json: json) { value in
                List.print(value, overdue: false)
                if let period = value["period"], period != .null {
                    say(
                        "  publicity: at least \(period["minimumMonths"]?.textValue ?? "?") months (eligible from \(period["eligibleFrom"]?.textValue ?? "?")), "
                            + "at most \(period["maximumMonths"]?.textValue ?? "?") (public until \(period["publicUntil"]?.textValue ?? "?"))"
                    )
                }
                say("  commitment: \(value["commitment"]?.textValue ?? "")")
                for file in value["evidence"]?.arrayValue ?? [] {
                    say(
                        "  evidence: \(file["name"]?.textValue ?? "?") (\(file["size"]?.intValue ?? 0) bytes, sha256 \(file["sha256"]?.textValue ?? "?"))"
                    )
                }
                if let note = value["decisionNote"]?.textValue { say("  decision: \(note)") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List repair applications: open ones by default, or by status, decider, subject; --overdue for those past a deadline."
        )
        @OptionGroup var global: GlobalOptions
        @Option(help: "pending, accepted, approved, rejected, open (not yet decided) or any.") var status = "open"
        @OptionGroup var filter: CaseFilter

        func run() async throws {
            try await filter.list(
                "repair.list", status: status, global: global, item: "application", none: "no repair applications", print: Self.print)
        }

        static func print(_ application: JSONValue, overdue: Bool) {
            let text = { (key: String) in application[key]?.textValue ?? "" }
            say(
                "\(text("id"))  \(text("status"))  \(text("recordID").isEmpty ? text("listingID") : text("recordID"))  \(text("subjectID"))  "
                    + "decided by \(text("initiator"))  accept by \(text("acceptBy"))  decide by \(text("decideBy"))\(overdue ? "  OVERDUE" : "")"
            )
        }
    }
}
