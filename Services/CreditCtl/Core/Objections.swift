import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl objection`: objections (异议) to records and listings, filed for a subject and decided by
/// the department that provided the information.
struct ObjectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "objection",
        abstract: "Objections (异议) to a record or a listing: file, acknowledge, decide, show, list.",
        subcommands: [File.self, Acknowledge.self, Decide.self, Show.self, List.self])

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "File an objection for the subject: the deciding department verifies it; measures resting on it are suspended meanwhile.",
            discussion:
                "Prints the objection id (O-…); with --json, the whole objection. Filing the same objection again gives the same id back.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The disputed record (R-…).") var record: String?
        @Option(help: "The disputed listing (L-…).") var listing: String?
        @Option(help: "What is wrong and why.") var reason: String
        @Option(help: "An evidence file (repeat for several).") var evidence: [String] = []
        @Option(help: "Who the objection is filed for (free text, e.g. the subject's agent).") var applicant: String?
        @Option(name: .customLong("as"), help: "File as this department (default: the operator key).") var department: String?
        @Flag var json = false

        func validate() throws {
            guard (record == nil) != (listing == nil) else { throw ValidationError("give either --record R-… or --listing L-…") }
        }

        func run() async throws {
            var body: [String: JSONValue] = ["reason": .string(reason), "evidence": try evidenceFiles(evidence)]
            if let record { body["record"] = .string(record) }
            if let listing { body["listing"] = .string(listing) }
            if let applicant { body["applicant"] = .string(applicant) }
            let result = try await global.call("repair", "objection.file", as: department, body: .object(body))
            if json { return try printJSON(JSONValue.object(["id": result["id"] ?? .null, "objection": result])) }
            say(
                "objection \(result["id"]?.textValue ?? "?") filed against \(result["targetID"]?.textValue ?? "?"): "
                    + "\(result["decider"]?.textValue ?? "?") acknowledges by \(result["acknowledgeBy"]?.textValue ?? "?") "
                    + "and decides by \(result["decideBy"]?.textValue ?? "?"); suspension policy: \(result["suspension"]?.textValue ?? "?")"
            )
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an objection (as the deciding department).")
        @OptionGroup var global: GlobalOptions
        @Argument var objection: String
        @Option(name: .customLong("as")) var department: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "repair", "objection.acknowledge", as: department, body: .object(["objection": .string(objection)]))
            try output(result, json: json) { say("objection \(objection): acknowledged; decide by \($0["decideBy"]?.textValue ?? "?")") }
        }
    }

    struct Decide: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide an objection (as the deciding department): upheld, corrected or revoked, with the reasons.",
            discussion: "corrected: import the corrected row first (a new version of the record), then decide.")
        @OptionGroup var global: GlobalOptions
        @Argument var objection: String
        @Option(name: .customLong("as")) var department: String
        @Option(help: "upheld, corrected or revoked.") var outcome: String
        @Option(help: "The reasons of the decision.") var note: String
        @Flag var json = false

        func validate() throws {
            guard ["upheld", "corrected", "revoked"].contains(outcome) else {
                throw ValidationError("--outcome must be upheld, corrected or revoked, not \(outcome)")
            }
        }

        func run() async throws {
            let body: JSONValue = .object(["objection": .string(objection), "outcome": .string(outcome), "note": .string(note)])
            let result = try await global.call("repair", "objection.decide", as: department, body: body)
            try output(result, json: json) { say("objection \(objection): decided \($0["outcome"]?.textValue ?? "?") by \(department)") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one objection with its deadlines and evidence.")
        @OptionGroup var global: GlobalOptions
        @Argument var objection: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("repair", "objection.get", body: .object(["objection": .string(objection)]))
            try output(result, json: json) { view in
                let value = view["objection"] ?? .null
                List.print(value, overdue: view["overdue"] == .bool(true))
                say("  reason: \(value["reason"]?.textValue ?? "")")
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
            abstract: "List objections: pending ones by default, or by status, decider, subject; --overdue for those past a deadline.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "open, acknowledged, decided, pending (not yet decided) or any.") var status = "pending"
        @OptionGroup var filter: CaseFilter

        func run() async throws {
            try await filter.list(
                "objection.list", status: status, global: global, item: "objection", none: "no objections", print: Self.print)
        }

        static func print(_ objection: JSONValue, overdue: Bool) {
            let text = { (key: String) in objection[key]?.textValue ?? "" }
            let outcome = text("outcome").isEmpty ? "" : " \(text("outcome"))"
            say(
                "\(text("id"))  \(text("status"))\(outcome)  \(text("targetID"))  \(text("subjectID"))  decided by \(text("decider"))  "
                    + "ack by \(text("acknowledgeBy"))  decide by \(text("decideBy"))\(overdue ? "  OVERDUE" : "")")
        }
    }
}

/// Evidence files as requests carry them: name and base64 content.
func evidenceFiles(_ paths: [String]) throws -> JSONValue {
    var files: [JSONValue] = []
    for path in paths {
        guard let content = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read evidence file \(path)")
        }
        files.append(
            .object(["name": .string(URL(fileURLWithPath: path).lastPathComponent), "content": .string(content.base64EncodedString())]))
    }
    return .array(files)
}

/// The filters `objection list` and `repair list` share: by deciding department, subject, past a
/// deadline; and how both ask and print.
struct CaseFilter: ParsableArguments {
    @Option(help: "The deciding department.") var decider: String?
    @Option var subject: String?
    @Flag(help: "Only those past a deadline (acknowledgement or acceptance, or decision).") var overdue = false
    @Flag var json = false

    /// Asks repair's `op` and prints each view's `item` with `print`, or `none`.
    func list(
        _ op: String, status: String, global: GlobalOptions, item: String, none: String, print: (JSONValue, _ overdue: Bool) -> Void
    ) async throws {
        var body: [String: JSONValue] = ["status": .string(status), "overdue": .bool(overdue)]
        if let decider { body["decider"] = .string(decider) }
        if let subject { body["subject"] = .string(subject) }
        let result = try await global.call("repair", op, body: .object(body))
        try output(result, json: json) { value in
            let views = value.arrayValue ?? []
            if views.isEmpty { say(none) }
            for view in views { print(view[item] ?? .null, view["overdue"] == .bool(true)) }
        }
    }
}
