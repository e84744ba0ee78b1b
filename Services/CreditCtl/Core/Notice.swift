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
        @Argument(help: "The listing (L-…).") var listing: String
        @Flag var json = false

        func run() async throws {
            let notice = try await global.call("dispatch", "notice.get", body: .object(["listing": .string(listing)]))
            try output(notice, json: json) { say($0["text"]?.textValue ?? "") }
        }
    }
}
