import ArgumentParser
import Bus
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
        let body = InitiateBody(list: list, subject: subject, subjectName: name, basis: basis, document: document, until: until, facts: facts)
        let result = try await global.call("dispatch", "list.initiate", as: department, body: JSONValue(encoding: body))
        try output(result, json: json) { listing in
            say("listed \(listing["id"]?.textValue ?? "?"): \(listing["subjectID"]?.textValue ?? "") on the \(listing["list"]?.textValue ?? "") list by \(listing["initiator"]?.textValue ?? "") until \(listing["until"]?.textValue ?? "")")
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
    static let configuration = CommandConfiguration(abstract: "Show a subject's active listings as sanction-dispatch holds them.")

    @OptionGroup var global: GlobalOptions
    @Option var subject: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call("dispatch", "list.query", body: .object(["subject": .string(subject)]))
        try output(result, json: json) { value in
            let listings = value.arrayValue ?? []
            if listings.isEmpty { say("\(subject): on no list") }
            for listing in listings {
                say(
                    "\(listing["id"]?.textValue ?? "?")  \(listing["list"]?.textValue ?? "")  by \(listing["initiator"]?.textValue ?? "")  until \(listing["until"]?.textValue ?? "")  \(listing["document"]?.textValue ?? "")"
                )
            }
        }
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
                say("  measure \(measure) · listing \(answer["listing"]?.textValue ?? "") · initiator \(answer["initiator"]?.textValue ?? "")")
                say("  basis: \(answer["basis"]?.textValue ?? "")")
            }
            if answer["replica"]?["stale"] == .bool(true) { say("  warning: the interceptor's replica is stale") }
        }
    }
}

struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Repair applications (信用修复).", subcommands: [Apply.self, Approve.self, Reject.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply for repair of a listing on behalf of its subject.")
        @OptionGroup var global: GlobalOptions
        @Option var listing: String
        @Option(help: "The subject's credit commitment.") var commitment: String?
        @Option var reason: String?
        @Flag var json = false

        func run() async throws {
            var body: [String: JSONValue] = ["listing": .string(listing), "applicant": .string("creditctl")]
            if let commitment { body["commitment"] = .string(commitment) }
            if let reason { body["reason"] = .string(reason) }
            let result = try await global.call("repair", "repair.apply", body: .object(body))
            try output(result, json: json) { say("application \($0["id"]?.textValue ?? "?") for \(listing): pending, to be decided by \($0["initiator"]?.textValue ?? "?")") }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a repair application (as the listing's initiator, or a department whose authority approves for it).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var decision: Decision

        func run() async throws { try await decision.send("repair.approve", global: global) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject a repair application (as the listing's initiator, or a department whose authority approves for it).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var decision: Decision

        func run() async throws { try await decision.send("repair.reject", global: global) }
    }

    /// What approving and rejecting take.
    struct Decision: ParsableArguments {
        @Argument var application: String
        @Option(name: .customLong("as")) var department: String
        @Option var note: String?
        @Flag var json = false

        func send(_ op: String, global: GlobalOptions) async throws {
            var body: [String: JSONValue] = ["application": .string(application)]
            if let note { body["note"] = .string(note) }
            let result = try await global.call("repair", op, as: department, body: .object(body))
            try output(result, json: json) { say("application \(application): \($0["status"]?.textValue ?? "?") (listing \($0["listingID"]?.textValue ?? "?"))") }
        }
    }
}

struct Feedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the feedback sanction-dispatch has counted, per department and listing.")
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
    static let configuration = CommandConfiguration(abstract: "Show a subject's credit score, grade and supervision class.")
    @OptionGroup var global: GlobalOptions
    @Option var subject: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call("grading", "grade.get", body: .object(["subject": .string(subject)]))
        try output(result, json: json) {
            say("\(subject): score \($0["score"]?.intValue ?? 0), grade \($0["grade"]?.textValue ?? "?"), supervision \($0["supervision"]?.textValue ?? "?")")
        }
    }
}
