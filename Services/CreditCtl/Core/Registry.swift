import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl profile ID`: a subject's whole archive as the registry holds it.
struct Profile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a subject's profile: records with their versions, aliases, related persons both ways, known listings.",
        discussion: "ID is a unified social credit code, a person's certificate number, or a legacy code (工商注册号, 组织机构代码).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The subject's identifier or legacy code.")
    var id: String
    @Flag(help: "Print the registry's answer as JSON.")
    var json = false

    func run() async throws {
        let profile = try await global.call("registry", "subject.get", body: .object(["id": .string(id)]))
        try output(profile, json: json) { profile in
            var heading = "\(text(profile["id"])) \(text(profile["name"])) (\(text(profile["kind"])), \(text(profile["scheme"])))"
            if let alias = profile["matchedAlias"], alias != .null {
                heading += " — found by \(text(alias["scheme"])) \(text(alias["value"]))"
            }
            say(heading)
            for alias in profile["aliases"]?.arrayValue ?? [] {
                say("  alias \(text(alias["scheme"])) \(text(alias["value"])) (from \(text(alias["source"])))")
            }
            let records = profile["records"]?.arrayValue ?? []
            say("records: \(records.count)")
            for stored in records {
                let record = stored["record"] ?? .null
                var line =
                    "  \(text(stored["id"])) v\(stored["version"]?.intValue ?? 1) \(text(record["kind"])) \(text(record["documentNumber"])) "
                    + "by \(text(record["authority"])) on \(text(record["decisionDate"]))"
                if let severity = record["severity"]?.textValue { line += " [\(severity)]" }
                line += " from \(text(stored["source"]))"
                say(line)
                say("      \(text(record["summary"]))")
                for version in stored["previousVersions"]?.arrayValue ?? [] {
                    say("      v\(version["version"]?.intValue ?? 0) from \(text(version["source"])) at \(text(version["storedAt"]))")
                }
                if let changed = stored["changed"]?.arrayValue, !changed.isEmpty {
                    say("      v\(stored["version"]?.intValue ?? 1) changed \(changed.compactMap(\.textValue).joined(separator: ", "))")
                }
            }
            let persons = profile["relatedPersons"]?.arrayValue ?? []
            if !persons.isEmpty { say("related persons:") }
            for person in persons { say("  " + relationLine(person, subject: false)) }
            let represents = profile["represents"]?.arrayValue ?? []
            if !represents.isEmpty { say("represents:") }
            for relation in represents { say("  " + relationLine(relation, subject: true)) }
            let listings = profile["knownListings"]?.arrayValue ?? []
            if !listings.isEmpty { say("listings the registry knows of:") }
            for listing in listings {
                say(
                    "  \(text(listing["list"])) since \(text(listing["since"])): \(text(listing["document"])) by \(text(listing["authority"])) (\(text(listing["recordID"])))"
                )
            }
        }
    }
}

/// `creditctl search QUERY`: subjects by name or identifier prefix, a page at a time.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find subjects by name prefix or identifier prefix (or exact legacy code).",
        discussion: "Prints one subject a line and, when there are more, the --after value for the next page.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The start of a name or identifier.")
    var query: String
    @Option(help: "name or id (default: id when the query is ASCII letters and digits).")
    var by: String?
    @Option(help: "Subjects per page (1–500).")
    var limit: Int = 50
    @Option(help: "The cursor a previous page printed.")
    var after: String?
    @Flag var json = false

    func run() async throws {
        var body: [String: JSONValue] = ["q": .string(query), "limit": .int(Int64(limit))]
        if let by { body["by"] = .string(by) }
        if let after { body["after"] = .string(after) }
        let page = try await global.call("registry", "subject.search", body: .object(body))
        try output(page, json: json) { page in
            let subjects = page["subjects"]?.arrayValue ?? []
            if subjects.isEmpty { say("no subject matches \(query)") }
            for subject in subjects {
                var line = "\(text(subject["id"]))  \(text(subject["name"]))  \(text(subject["kind"]))"
                if let count = subject["records"]?.intValue { line += "  \(count) records" }
                if let alias = subject["matchedAlias"] { line += "  (by \(text(alias["scheme"])) \(text(alias["value"])))" }
                say(line)
            }
            if let next = page["next"]?.stringValue { say("more: --after '\(next)'") }
        }
    }
}

/// `creditctl relations SUBJECT` and `creditctl relations --person ID|NAME`, and registration.
struct Relations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Related persons (legal representative, principal, actual controller) both ways.",
        discussion: """
            With SUBJECT: the organisation's related persons. With --person: the organisations the person (by certificate
            number, else by name) holds a role in. With --register: record a related person as a department
            (--as DEPT --role ROLE --name NAME [--person-id ID] [--from DATE] [--until DATE] [--subject-name NAME]).
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The organisation's unified social credit code.")
    var subject: String?
    @Option(help: "A person's certificate number or name: whom does this person represent?")
    var person: String?
    @Flag(help: "Register a related person of SUBJECT.")
    var register = false
    @Option(name: .customLong("as"), help: "The registering department (with --register).")
    var department: String?
    @Option(help: "legal-representative, principal or actual-controller (with --register).")
    var role: String?
    @Option(help: "The person's name (with --register).")
    var name: String?
    @Option(name: .customLong("person-id"), help: "The person's resident ID (with --register).")
    var personID: String?
    @Option(help: "Since when, yyyy-MM-dd (with --register).")
    var from: String?
    @Option(help: "Until when, yyyy-MM-dd (with --register).")
    var until: String?
    @Option(name: .customLong("subject-name"), help: "The organisation's name, when the registry does not know it yet.")
    var subjectName: String?
    @Flag var json = false

    func validate() throws {
        if register {
            guard subject != nil, department != nil, role != nil, name != nil else {
                throw ValidationError("--register needs SUBJECT, --as, --role and --name")
            }
        } else {
            guard (subject == nil) != (person == nil) else { throw ValidationError("give SUBJECT or --person, not both") }
        }
    }

    func run() async throws {
        if register, let subject, let role, let name {
            var body: [String: JSONValue] = ["subject": .string(subject), "role": .string(role), "name": .string(name)]
            for (key, value) in [("personID", personID), ("from", from), ("until", until), ("subjectName", subjectName)] {
                if let value { body[key] = .string(value) }
            }
            let result = try await global.call("registry", "relations.register", as: department, body: .object(body))
            try output(result, json: json) { result in
                say("registered \(relationLine(result["person"] ?? .null, subject: false)) of \(text(result["subject"]))")
            }
        } else if let subject {
            let result = try await global.call("registry", "relations.of", body: .object(["subject": .string(subject)]))
            try output(result, json: json) { result in
                let persons = result["relatedPersons"]?.arrayValue ?? []
                say("\(text(result["subject"])) \(text(result["name"])): \(persons.count) related persons")
                for person in persons { say("  " + relationLine(person, subject: false)) }
            }
        } else if let person {
            let result = try await global.call("registry", "subject.represented", body: .object(["person": .string(person)]))
            try output(result, json: json) { result in
                let relations = result["represents"]?.arrayValue ?? []
                say("\(person) (by \(text(result["by"]))): \(relations.count) roles")
                for relation in relations { say("  " + relationLine(relation, subject: true)) }
            }
        }
    }
}

/// One related-person line: role, name, id, period, where it was learnt.
func relationLine(_ relation: JSONValue, subject: Bool) -> String {
    var line =
        subject
        ? "\(text(relation["role"])) of \(text(relation["subjectID"])) \(text(relation["subjectName"]))"
        : "\(text(relation["role"])) \(text(relation["name"]))"
    if let id = relation["personID"]?.textValue, !subject { line += " (\(id))" }
    let from = relation["from"]?.textValue
    let until = relation["until"]?.textValue
    if from != nil || until != nil { line += " \(from ?? "?")–\(until ?? "")" }
    if let sources = relation["sources"]?.arrayValue, !sources.isEmpty {
        line += " from \(sources.compactMap(\.textValue).joined(separator: ", "))"
    }
    return line
}

private func text(_ value: JSONValue?) -> String { value?.textValue ?? "" }
