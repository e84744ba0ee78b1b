import ArgumentParser
import Bus
import Foundation
import MeshProtocol

struct Compliance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each department's responses and feedback (发起-响应-反馈) and the list statistics.",
        discussion: "A department with pushes older than dispatch.ackDeadlineSeconds and no acknowledgement is FLAGGED.")

    @OptionGroup var global: GlobalOptions
    @Flag var json = false

    func run() async throws {
        var report = try await global.call("dispatch", "compliance.report")
        // 双公示 timeliness comes from the portal; without it the rest is still worth showing.
        let publication: JSONValue?
        do {
            publication = try await global.call("disclosure", "publication.stats")
        } catch {
            publication = nil
            FileHandle.standardError.write(Data("warning: no 双公示 timeliness: disclosure did not answer (\(error))\n".utf8))
        }
        if json {
            if case .object(var object) = report, let publication {
                object["publication"] = publication
                report = .object(object)
            }
            return try printJSON(report)
        }
        say(
            "DEPARTMENT".padding(16) + "PUSHED".padding(8) + "ACKED".padding(8) + "LIFTS".padding(7) + "CONFIRMED".padding(11)
                + "OVERDUE".padding(9) + "ACK P50".padding(10) + "FEEDBACK")
        for row in report["departments"]?.arrayValue ?? [] {
            let p50 = row["ackLatencyP50Seconds"]?.textValue.flatMap(Double.init).map { String(format: "%.2fs", $0) } ?? "-"
            let feedback = (row["feedback"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.intValue ?? 0)" }
            say(
                (row["department"]?.textValue ?? "?").padding(16) + (row["listingsPushed"]?.textValue ?? "").padding(8)
                    + (row["listingsAcknowledged"]?.textValue ?? "").padding(8) + (row["liftsPushed"]?.textValue ?? "").padding(7)
                    + (row["liftsConfirmed"]?.textValue ?? "").padding(11) + (row["overdue"]?.textValue ?? "").padding(9) + p50.padding(10)
                    + feedback.joined(separator: ", ") + (row["flagged"] == .bool(true) ? "  FLAGGED" : ""))
        }
        let byList = (report["activeByList"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.intValue ?? 0)" }
        say("active listings: \(byList.isEmpty ? "none" : byList.joined(separator: ", "))")
        if let share = report["blackListShare"]?.textValue.flatMap(Double.init) {
            say(String(format: "black-list share of known subjects: %.2f%%", share * 100))
        }
        if let publication { Self.printTimeliness(publication) }
        for (key, label) in [("objections", "objections being verified"), ("repairs", "repair applications being decided")] {
            let cases = report[key] ?? .null
            let late = (cases["overdueByDecider"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
                "\($0.key) \($0.value.intValue ?? 0)"
            }
            say(
                "\(label): \(cases["open"]?.intValue ?? 0), overdue: \(cases["overdue"]?.intValue ?? 0)"
                    + (late.isEmpty ? "" : " (\(late.joined(separator: ", ")))  FLAGGED"))
        }
    }

    /// 双公示 timeliness per department: published, on time, rate, late, not public.
    static func printTimeliness(_ stats: JSONValue) {
        let deadline = stats["deadlineWorkingDays"]?.intValue ?? 7
        say("双公示 (public within \(deadline) working days of the decision):")
        say(
            "  " + "DEPARTMENT".padding(16) + "PUBLISHED".padding(11) + "ON TIME".padding(9) + "RATE".padding(8) + "LATE".padding(6)
                + "NOT PUBLIC".padding(12) + "MISSING")
        for row in stats["departments"]?.arrayValue ?? [] {
            let rate = row["onTimeRate"]?.textValue.flatMap(Double.init).map { String(format: "%.1f%%", $0 * 100) } ?? "-"
            let late = row["late"]?.arrayValue ?? []
            say(
                "  " + (row["department"]?.textValue ?? "?").padding(16) + (row["published"]?.textValue ?? "").padding(11)
                    + (row["onTime"]?.textValue ?? "").padding(9) + rate.padding(8) + "\(late.count)".padding(6)
                    + (row["notPublic"]?.textValue ?? "").padding(12) + (row["missing"]?.textValue ?? "?"))
            for entry in late.prefix(5) {
                say(
                    "    late: \(entry["document"]?.textValue ?? "?") decided \(entry["decisionDate"]?.textValue ?? "?"), "
                        + "received \(entry["receivedOn"]?.textValue ?? "?"), \(entry["workingDaysLate"]?.textValue ?? "?") working days late"
                )
            }
            if late.count > 5 { say("    … \(late.count - 5) more (creditctl compliance --json, or the portal's /statistics)") }
        }
    }
}

struct Extend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Extend a listing's term (only its initiating department may).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("as")) var department: String
    @Option var listing: String
    @Option(help: "New end date, yyyy-MM-dd.") var until: String
    @Option var reason: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call(
            "dispatch", "list.extend", as: department,
            body: .object(["listing": .string(listing), "until": .string(until), "reason": .string(reason)]))
        try output(result, json: json) { say("\($0["id"]?.textValue ?? listing) now runs until \($0["until"]?.textValue ?? until)") }
    }
}

struct Object: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "object", abstract: "File a subject's objection (异议) to a pending listing within its window.")
    @OptionGroup var global: GlobalOptions
    @Option var listing: String
    @Option var reason: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call(
            "dispatch", "list.object", body: .object(["listing": .string(listing), "reason": .string(reason)]))
        try output(result, json: json) { _ in say("objection recorded; \(listing) stays pending until its initiator decides") }
    }
}

struct Confirm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject an objection and confirm a pending listing (its initiator).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("as")) var department: String
    @Option var listing: String
    @Flag var json = false

    func run() async throws {
        let result = try await global.call("dispatch", "list.confirm", as: department, body: .object(["listing": .string(listing)]))
        try output(result, json: json) { say("\(listing): \($0["status"]?.textValue ?? "?")") }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tamper-evident audit chains.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk a service's hash-chained audit log; name the first entry altered or removed.",
            discussion:
                "Services: registry, grading, dispatch, repair, disclosure, interceptor.<dept>. Exit status 1 when the chain is broken.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The service (stream name) whose chain to verify.") var service: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(service, "audit.verify")
            try output(result, json: json) { say("\(service): \($0["text"]?.textValue ?? "?")") }
            if result["intact"] == .bool(false) { throw ExitCode(1) }
        }
    }
}
