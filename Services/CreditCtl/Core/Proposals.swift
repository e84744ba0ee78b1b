import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl proposal`: listings the measure rules propose (a black listing for severe dishonesty, the red
/// list for three clean years), which the deciding department confirms or declines with its reason.
struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "Listings proposed by the measure rules: list, show, confirm (the listing is made), decline (with the reason).",
        subcommands: [List.self, Show.self, Confirm.self, Decline.self])

    static func print(_ proposal: JSONValue) {
        let text = { (key: String) in proposal[key]?.textValue ?? "" }
        let rule = "\(proposal["rule"]?["id"]?.textValue ?? "?")@\(proposal["rule"]?["version"]?.textValue ?? "?")"
        var line =
            "\(text("id"))  \(text("list").padding(6))\(text("status").padding(10))\(text("subjectID"))  \(text("subjectName"))  "
            + "decider \(text("decider"))  rule \(rule)  \(text("proposedOn"))"
        if !text("listingID").isEmpty { line += "  → \(text("listingID"))" }
        if !text("decisionNote").isEmpty { line += "  (\(text("decisionNote")))" }
        say(line)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List proposals, waiting ones by default; the last line names the --after of the next page.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "proposed, confirmed, declined, withdrawn or any.") var status = "proposed"
        @Option(help: "The deciding department.") var decider: String?
        @Option(help: "black or red.") var list: String?
        @Option(help: "A subject's identifier.") var subject: String?
        @Option(help: "Start after this proposal (the previous page's next).") var after: String?
        @Option(help: "Proposals per page, 1–1000.") var limit = 100
        @Flag var json = false

        func validate() throws {
            guard ["proposed", "confirmed", "declined", "withdrawn", "any"].contains(status) else {
                throw ValidationError("--status must be proposed, confirmed, declined, withdrawn or any, not \(status)")
            }
            guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be 1–1000, not \(limit)") }
        }

        func run() async throws {
            var body: [String: JSONValue] = ["status": .string(status), "limit": .int(Int64(limit))]
            for (key, value) in [("decider", decider), ("list", list), ("subject", subject), ("after", after)] {
                if let value { body[key] = .string(value) }
            }
            let page = try await global.call("dispatch", "proposal.find", body: .object(body))
            try output(page, json: json) { page in
                let proposals = page["proposals"]?.arrayValue ?? []
                if proposals.isEmpty { say("no proposals") }
                proposals.forEach(ProposalCommand.print)
                if let next = page["next"]?.textValue { say("more: add --after \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a proposal: subject, rule, basis, facts, decision.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The proposal (P-…).") var proposal: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("dispatch", "proposal.get", body: .object(["proposal": .string(proposal)]))
            try output(result, json: json) { value in
                ProposalCommand.print(value)
                say("  basis: \(value["basis"]?.textValue ?? "")")
                say("  document: \(value["document"]?.textValue ?? "") · term \(value["months"]?.intValue ?? 0) months")
                if let facts = value["facts"]?.textValue { say("  facts: \(facts)") }
            }
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Confirm a proposal as the deciding department: the listing is made (a black listing is notified and waits for its objection window)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The proposal (P-…).") var proposal: String
        @Option(name: .customLong("as"), help: "The deciding department.") var department: String
        @Option(help: "The decision's document number (default: the record's).") var document: String?
        @Option(help: "A note on the decision.") var note: String?
        @Flag var json = false

        func run() async throws {
            var body: [String: JSONValue] = ["proposal": .string(proposal)]
            if let document { body["document"] = .string(document) }
            if let note { body["note"] = .string(note) }
            let result = try await global.call("dispatch", "proposal.confirm", as: department, body: .object(body))
            try output(result, json: json) { say("\(proposal): confirmed as \($0["listingID"]?.textValue ?? "?")") }
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline a proposal as the deciding department, with the reason.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The proposal (P-…).") var proposal: String
        @Option(name: .customLong("as"), help: "The deciding department.") var department: String
        @Option(help: "Why (required).") var reason: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "dispatch", "proposal.decline", as: department, body: .object(["proposal": .string(proposal), "reason": .string(reason)]))
            try output(result, json: json) { say("\(proposal): declined (\($0["decisionNote"]?.textValue ?? ""))") }
        }
    }
}

/// `creditctl reminders`: the credit reminders and warning-interview notices the measure rules issued.
struct Reminders: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the credit reminders (信用提醒) and warning-interview notices (警示约谈) issued by rule; `notice show N-…` prints one.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "A subject's identifier.") var subject: String?
    @Option(help: "Start after this notice (the previous page's next).") var after: String?
    @Option(help: "Notices per page, 1–1000.") var limit = 100
    @Flag var json = false

    func run() async throws {
        var body: [String: JSONValue] = ["limit": .int(Int64(limit))]
        if let subject { body["subject"] = .string(subject) }
        if let after { body["after"] = .string(after) }
        let page = try await global.call("dispatch", "reminder.find", body: .object(body))
        try output(page, json: json) { page in
            let reminders = page["reminders"]?.arrayValue ?? []
            if reminders.isEmpty { say("no reminders") }
            for reminder in reminders {
                let text = { (key: String) in reminder[key]?.textValue ?? "" }
                say(
                    "\(text("id"))  \(text("kind").padding(10))\(text("subjectID"))  \(text("subjectName"))  record \(text("record"))  "
                        + "by \(text("issuer"))  \(text("issuedOn"))\(text("respondBy").isEmpty ? "" : "  attend by " + text("respondBy"))  "
                        + "rule \(reminder["rule"]?["id"]?.textValue ?? "?")@\(reminder["rule"]?["version"]?.textValue ?? "?")")
            }
            if let next = page["next"]?.textValue { say("more: add --after \(next)") }
        }
    }
}

/// `creditctl rules`: the measure rules in force at sanction-dispatch, one line a rule.
struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the measure rules in force: which records lead to which measure, who decides; and the red-list rules.")
    @OptionGroup var global: GlobalOptions
    @Flag var json = false

    func run() async throws {
        let rules = try await global.call("dispatch", "rules.get")
        try output(rules, json: json) { rules in
            say("measure rules \(rules["version"]?.textValue ?? "?")")
            for rule in rules["rules"]?.arrayValue ?? [] {
                let list = { (key: String) in (rule[key]?.arrayValue ?? []).compactMap(\.textValue).joined(separator: ",") }
                let conditions = (rule["when"]?.arrayValue ?? []).map { condition in
                    let field = condition["field"]?.textValue ?? "?"
                    if let words = condition["contains"]?.arrayValue {
                        return "\(field)∋\(words.compactMap(\.textValue).joined(separator: "|"))"
                    }
                    return [
                        condition["atLeast"].map { "\(field)≥\($0.textValue ?? "")" },
                        condition["below"].map { "\(field)<\($0.textValue ?? "")" },
                    ]
                    .compactMap { $0 }.joined(separator: " ")
                }
                say(
                    "  \(rule["id"]?.textValue ?? "")  \(list("kinds")) · \(list("severities"))"
                        + (conditions.isEmpty ? "" : " · " + conditions.joined(separator: ", "))
                        + " → \(rule["measure"]?.textValue ?? "") by \(rule["decider"]?.textValue ?? "")  (\(rule["source"]?.textValue ?? ""))"
                )
            }
            for rule in rules["redList"]?.arrayValue ?? [] {
                say(
                    "  \(rule["id"]?.textValue ?? "")  grade \((rule["grades"]?.arrayValue ?? []).compactMap(\.textValue).joined(separator: ",")), "
                        + "\(rule["cleanYears"]?.textValue ?? "?") clean years → red-list proposal to \(rule["decider"]?.textValue ?? "")  (\(rule["source"]?.textValue ?? ""))"
                )
            }
        }
    }
}
