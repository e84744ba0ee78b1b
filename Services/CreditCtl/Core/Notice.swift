import ArgumentParser
import Foundation
import MeshProtocol

/// `creditctl notice show L-…`: the notice (告知书) for a listing's subject.
struct NoticeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notice", abstract: "The notice (告知书) a listed subject receives.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the notice of a listing: what, why, which measures where, until when, how to object or apply for repair.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The listing (L-…), or a reminder or interview notice issued by rule (N-…).") var listing: String
        @Flag var json = false

        func run() async throws {
            let notice =
                listing.uppercased().hasPrefix("N-")
                ? try await global.call("dispatch", "reminder.get", body: .object(["reminder": .string(listing.uppercased())]))
                : try await global.call("dispatch", "notice.get", body: .object(["listing": .string(listing)]))
            try output(notice, json: json) { say($0["text"]?.textValue ?? "") }
        }
    }
}

/// `creditctl notices --dept finance`: what a department's interceptor was told about revoked listings.
struct Notices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Show a department's notices of revoked listings it acted on: which checks blocked or reviewed the subject, so it can undo them."
    )
    @OptionGroup var global: GlobalOptions
    @Option(help: "The department whose interceptor to ask.") var dept: String
    @Option(help: "How many, newest first (1–1000).") var limit = 50
    @Flag var json = false

    func run() async throws {
        let result = try await global.call("interceptor.\(dept)", "notices.list", body: .object(["limit": .int(Int64(limit))]))
        try output(result, json: json) { value in
            let notices = value.arrayValue ?? []
            if notices.isEmpty { say("no notices") }
            for notice in notices {
                let text = { (key: String) in notice[key]?.textValue ?? "" }
                say("\(text("listingID")) revoked (objection \(text("objection")) decided by \(text("decidedBy"))): \(text("reason"))")
                for action in notice["actions"]?.arrayValue ?? [] {
                    say(
                        "  \(action["checkID"]?.textValue ?? "") \(action["decision"]?.textValue ?? "") \(action["action"]?.textValue ?? "") at \(action["decidedAt"]?.textValue ?? "")"
                    )
                }
            }
        }
    }
}
