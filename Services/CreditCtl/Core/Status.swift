import ArgumentParser
import Bus
import Foundation
import MeshProtocol
import ServiceKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every service's stream head and each follower's applied seq and lag.",
        discussion: """
            With --wait N, polls until every service answers and every follower is live (exit 1 after N seconds otherwise). \
            With --ops, lists each service's ops: who may call each, whether it is audited, and the requests answered, refused \
            and failed since the service started.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag var json = false
    @Flag(help: "List every op of every service with its access rule, audit kind and request counts.")
    var ops = false
    @Option(help: "Wait up to this many seconds for the whole suite to be up and in sync.")
    var wait: Int?

    typealias Row = SuiteStatus.Row

    func run() async throws {
        let targets = try SuiteStatus.targets(try global.topology())
        let security = try global.security(as: nil)
        let deadline = ContinuousClock.now + .seconds(wait ?? 0)
        var rows: [Row] = []
        while true {
            rows = await SuiteStatus.collect(targets, security: security)
            let ready = rows.allSatisfy { $0.up && $0.lag.values.allSatisfy { $0 == 0 } && Self.followersLive($0) }
            if ready || wait == nil || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        if json {
            try printJSON(rows)
        } else if ops {
            say(
                "SERVICE".padding(22) + "OP".padding(22) + "ACCESS".padding(24) + "AUDIT".padding(11) + "OK".padding(8)
                    + "REFUSED".padding(9) + "FAILED")
            for row in rows {
                for (op, entry) in (row.ops?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let count = { (key: String) in entry[key]?.intValue.map(String.init) ?? "-" }
                    say(
                        row.name.padding(22) + op.padding(22) + (entry["access"]?.textValue ?? "-").padding(24)
                            + (entry["audit"]?.textValue ?? "-").padding(11) + count("ok").padding(8) + count("refused").padding(9)
                            + count("failed"))
                }
                if !row.up { say(row.name.padding(22) + "NOT UP: " + (row.error ?? "")) }
            }
        } else {
            say("SERVICE".padding(24) + "UP   " + "HEAD".padding(8) + "FOLLOWS (applied/lag)")
            for row in rows {
                let follows = row.applied.keys.sorted().map { "\($0) \(row.applied[$0]!)/\(row.lag[$0].map(String.init) ?? "?")" }
                say(
                    row.name.padding(24) + (row.up ? "yes  " : "NO   ") + (row.head.map(String.init) ?? "-").padding(8)
                        + (row.up ? follows.joined(separator: ", ") : row.error ?? "")
                        + ((row.deadLetters ?? 0) > 0 ? "  DEAD LETTERS: \(row.deadLetters!)" : "")
                        + (row.security == "insecure" ? "  INSECURE" : ""))
            }
            for row in rows {
                for warning in Self.warnings(in: row.details) { say("WARNING \(row.name): \(warning)") }
            }
        }
        if wait != nil, !rows.allSatisfy({ $0.up }) {
            let down = rows.filter { !$0.up }.map(\.name).joined(separator: ", ")
            throw CtlError("not up after \(wait!)s: \(down)")
        }
    }

    /// The `warning` texts a service puts in its status details, at the top or one level down
    /// (sanction-dispatch's `calendar.warning` when deadlines run past the working-day calendar).
    static func warnings(in details: JSONValue?) -> [String] {
        guard let object = details?.objectValue else { return [] }
        var warnings: [String] = object["warning"]?.stringValue.map { [$0] } ?? []
        for key in object.keys.sorted() {
            if let warning = object[key]?["warning"]?.stringValue { warnings.append(warning) }
        }
        return warnings
    }

    static func followersLive(_ row: Row) -> Bool {
        guard let state = row.details?["replica"]?["state"]?.textValue else { return true }
        return state == "live"
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
