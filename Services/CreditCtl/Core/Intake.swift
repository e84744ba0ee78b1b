import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl intake`: objections and repair applications sent through the public portal, held until
/// an operator has checked who sent them and files them (or declines them with the reason).
struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Submissions from the portal's objection and repair forms: list, file (as an objection or application), decline.",
        subcommands: [List.self, File.self, Decline.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List submissions: received ones by default.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "received, filed, declined or any.") var status = "received"
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("repair", "intake.list", body: .object(["status": .string(status)]))
            try output(result, json: json) { value in
                let submissions = value.arrayValue ?? []
                if submissions.isEmpty { say("no submissions") }
                for item in submissions {
                    let text = { (key: String) in item[key]?.textValue ?? "" }
                    say(
                        "\(text("id"))  \(text("status"))  \(text("kind"))  \(text("target"))  \(text("subjectID"))  "
                            + "\(text("applicant")) (\(text("contact")))  \(text("receivedAt"))\(text("filedAs").isEmpty ? "" : "  → " + text("filedAs"))"
                    )
                    say("    \(text("text").prefix(200))")
                }
            }
        }
    }

    struct File: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "File a received submission, once the sender is checked: it becomes an objection (O-…) or a repair application (A-…)."
        )
        @OptionGroup var global: GlobalOptions
        @Argument var submission: String
        @Option(help: "An evidence file to attach (repeat for several); a record's repair needs proof of fulfilment.")
        var evidence: [String] = []
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "repair", "intake.file", body: .object(["submission": .string(submission), "evidence": try evidenceFiles(evidence)]))
            try output(result, json: json) { say("\(submission): filed as \($0["filedAs"]?.textValue ?? "?")") }
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline a received submission, telling the sender why.")
        @OptionGroup var global: GlobalOptions
        @Argument var submission: String
        @Option(help: "Why (required).") var note: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "repair", "intake.decline", body: .object(["submission": .string(submission), "note": .string(note)]))
            try output(result, json: json) { say("\(submission): \($0["status"]?.textValue ?? "?")") }
        }
    }
}
