import ArgumentParser
import Bus
import CreditDomain
import Foundation
import MeshProtocol
import RegistryProtocol
import ServiceKit

struct Initiate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Put a subject on a list (发起) as the initiating department.")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("as"), help: "The initiating department.")
    var department: String
    @Option(help: "black, key-attention or red.")
    var list: String = "black"
    @Option(help: "Unified social credit code or resident ID.")
    var subject: String
    @Option(help: "Subject name (default: as the registry knows it).")
    var name: String?
    @Option(help: "Legal basis.")
    var basis: String
    @Option(help: "Document number of the decision.")
    var document: String
    @Option(help: "End date, yyyy-MM-dd.")
    var until: String
    @Option(help: "Facts of the case.")
    var facts: String?
    @Flag var json = false

    func run() async throws {
        let body = InitiateBody(
            list: list, subject: subject, subjectName: name, basis: basis, document: document, until: until, facts: facts)
        let result = try await global.call("dispatch", "list.initiate", as: department, body: JSONValue(encoding: body))
        try output(result, json: json) { listing in
            say(
                "listed \(listing["id"]?.textValue ?? "?"): \(listing["subjectID"]?.textValue ?? "") on the \(listing["list"]?.textValue ?? "") list by \(listing["initiator"]?.textValue ?? "") until \(listing["until"]?.textValue ?? "")"
            )
        }
    }

    struct InitiateBody: Encodable {
        var list, subject: String
        var subjectName: String?
        var basis, document, until: String
        var facts: String?
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a listing early (only its initiating department may).")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("as")) var department: String
    @Option var listing: String
    @Option var reason: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call(
            "dispatch", "list.remove", as: department, body: .object(["listing": .string(listing), "reason": .string(reason)]))
        try output(result, json: json) { say("removed \($0["id"]?.textValue ?? listing)") }
    }
}

struct Listings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Page through listings as sanction-dispatch holds them: by subject, list, initiator, status and start date.",
        discussion: """
            Shows active listings unless --status says otherwise, 50 a page in listing order; the last line names the \
            --after that gives the next page. --all follows every page. With --json: {"listings": [...], "next": id or null}.
            Examples: creditctl listings --list black; creditctl listings --initiator court --status any --from 2026-01-01
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "A subject's unified social credit code or resident ID.") var subject: String?
    @Option(help: "black, key-attention or red.") var list: String?
    @Option(help: "The initiating department, e.g. court.") var initiator: String?
    @Option(help: "pending, active, removed or any.") var status = "active"
    @Option(help: "Listings that started on or after this date (yyyy-MM-dd).") var from: String?
    @Option(help: "Listings that started on or before this date (yyyy-MM-dd).") var to: String?
    @Option(help: "Start after this listing id (the previous page's next).") var after: String?
    @Option(help: "Listings per page, 1–1000.") var limit = 50
    @Flag(help: "Follow every page to the end.") var all = false
    @Flag var json = false

    func validate() throws {
        guard ["pending", "active", "removed", "any"].contains(status) else {
            throw ValidationError("--status must be pending, active, removed or any, not \(status)")
        }
        guard (1...1_000).contains(limit) else { throw ValidationError("--limit must be 1–1000, not \(limit)") }
    }

    func run() async throws {
        var filter: [String: JSONValue] = ["status": .string(status), "limit": .int(Int64(limit))]
        for (key, value) in [("subject", subject), ("list", list), ("initiator", initiator), ("from", from), ("to", to)] {
            if let value { filter[key] = .string(value) }
        }
        var cursor = after
        var shown: [JSONValue] = []
        var next: String?
        repeat {
            var body = filter
            if let cursor { body["after"] = .string(cursor) }
            let page = try await global.call("dispatch", "list.find", body: .object(body))
            let listings = page["listings"]?.arrayValue ?? []
            next = page["next"]?.textValue
            if json { shown += listings } else { listings.forEach(Self.print) }
            cursor = next
        } while all && next != nil
        if json { return try printJSON(JSONValue.object(["listings": .array(shown), "next": next.map(JSONValue.string) ?? .null])) }
        if let next { say("more: add --after \(next) (or --all)") }
    }

    static func print(_ listing: JSONValue) {
        let text = { (key: String) in listing[key]?.textValue ?? "" }
        say(
            "\(text("id"))  \(text("list").padding(13))\(text("status").padding(8))\(text("subjectID"))  \(text("subjectName"))  "
                + "by \(text("initiator"))  \(text("start"))…\(text("until"))  \(text("document"))")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask a department's interceptor whether a subject may do an action.",
        discussion: "Exit status 0 whatever the decision; the decision is printed (with --json, one object with `decision`).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The department whose interceptor answers.")
    var dept: String
    @Option(help: "Unified social credit code or resident ID.")
    var subject: String?
    @Option(help: "Name, when no identifier is known (exact match after normalising; never fuzzy).")
    var name: String?
    @Option(help: "The business action, e.g. government-procurement.")
    var action: String
    @Option(help: "The business system's transaction reference.")
    var reference: String?
    @Flag var json = false

    func validate() throws {
        guard subject != nil || name != nil else { throw ValidationError("give --subject ID or, failing that, --name NAME") }
    }

    func run() async throws {
        var body: [String: JSONValue] = ["action": .string(action), "requester": .string("creditctl")]
        if let subject { body["subject"] = .string(subject) }
        if let name { body["name"] = .string(name) }
        if let reference { body["reference"] = .string(reference) }
        let result = try await global.call("interceptor.\(dept)", "check", body: .object(body))
        try output(result, json: json) { answer in
            let decision = answer["decision"]?.textValue ?? "?"
            say("\(decision.uppercased()): \(answer["reason"]?.textValue ?? "")")
            if let measure = answer["measure"]?.textValue {
                say(
                    "  measure \(measure) · listing \(answer["listing"]?.textValue ?? "") · initiator \(answer["initiator"]?.textValue ?? "")"
                )
                say("  basis: \(answer["basis"]?.textValue ?? "")")
            }
            if answer["replica"]?["stale"] == .bool(true) { say("  warning: the interceptor's replica is stale") }
        }
    }
}

struct Feedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the feedback sanction-dispatch has counted, per department and listing.")
    @OptionGroup var global: GlobalOptions
    @Flag var json = false

    func run() async throws {
        let result = try await global.call("dispatch", "feedback.stats")
        try output(result, json: json) { stats in
            say("feedback received: \(stats["total"]?.intValue ?? 0)")
            for (department, counts) in (stats["byDepartment"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                let parts = (counts.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.intValue ?? 0)" }
                say("  \(department): \(parts.joined(separator: ", "))")
            }
        }
    }
}

struct Grade: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a subject's credit score, grade and supervision class.",
        discussion: """
            With --explain, every part of the score under the evaluation model: the base, each record in force with the \
            rule that scores it, its weight, its recency factor and its contribution, each listing a rule scores, and what \
            holding the score within the model's range changed; they add up to the score. --industry explains an \
            industry model's score instead of the public one.
            """)
    @OptionGroup var global: GlobalOptions
    @Option var subject: String
    @Flag(help: "List every component of the score.") var explain = false
    @Option(help: "Explain this industry model's score (with --explain).") var industry: String?
    @Flag var json = false

    func run() async throws {
        guard explain else {
            if industry != nil { throw ValidationError("--industry goes with --explain") }
            let result = try await global.call("grading", "grade.get", body: .object(["subject": .string(subject)]))
            return try output(result, json: json) {
                var line =
                    "\(subject): score \($0["score"]?.intValue ?? 0), grade \($0["grade"]?.textValue ?? "?"), supervision \($0["supervision"]?.textValue ?? "?")"
                if let model = $0["model"]?.textValue { line += ", model \(model)" }
                for industry in $0["industries"]?.arrayValue ?? [] {
                    line +=
                        "; \(industry["industry"]?.textValue ?? "?") \(industry["score"]?.intValue ?? 0) \(industry["grade"]?.textValue ?? "?")"
                }
                say(line)
            }
        }
        var body: [String: JSONValue] = ["subject": .string(subject)]
        if let industry { body["industry"] = .string(industry) }
        let result = try await global.call("grading", "grade.explain", body: .object(body))
        if json { return try printJSON(result) }
        let explanation = try result.decode(GradeExplanation.self)
        func line(_ label: String, _ value: String, _ note: String = "") {
            say(
                "  " + label.padding(12) + String(repeating: " ", count: max(0, 5 - value.count)) + value
                    + (note.isEmpty ? "" : "  " + note))
        }
        say(
            "\(explanation.subjectID): score \(explanation.score), grade \(explanation.grade.rawValue), supervision \(explanation.supervision.rawValue)"
                + " (model \(explanation.model)\(explanation.industry.map { ", industry \($0)" } ?? ""), on \(explanation.day))")
        line("base", "\(explanation.base)")
        for component in explanation.components {
            var note = "\(component.rule), weight \(Self.signed(component.weight))"
            if component.factor != 100 { note += " × \(Self.share(component.factor))" }
            if let decided = component.decided { note += ", decided \(decided)" }
            if component.model != "public" { note += ", \(component.model)" }
            line(component.record, Self.signed(component.contribution), note)
        }
        if explanation.bound != 0 { line("bound", Self.signed(explanation.bound), "the score is held within the model's range") }
        line("= score", "\(explanation.score)")
    }

    /// 50 → 0.5, 100 → 1, 5 → 0.05.
    static func share(_ hundredths: Int) -> String {
        let whole = hundredths / 100
        let fraction = hundredths % 100
        guard fraction != 0 else { return "\(whole)" }
        let digits = fraction % 10 == 0 ? "\(fraction / 10)" : (fraction < 10 ? "0\(fraction)" : "\(fraction)")
        return "\(whole).\(digits)"
    }

    static func signed(_ value: Int) -> String { value > 0 ? "+\(value)" : "\(value)" }
}
