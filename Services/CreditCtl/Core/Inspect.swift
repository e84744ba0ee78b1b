import ArgumentParser
import CreditDomain
import Foundation
import MeshProtocol

/// `creditctl inspect`: double-random inspections (双随机、一公开) — plans, draws with a published seed
/// source, verification from the published inputs, results.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Double-random inspections (双随机、一公开): plans, draw, verify, result, show, list.",
        subcommands: [Plans.self, Draw.self, Verify.self, Result.self, Show.self, List.self])

    struct Plans: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the inspection plans grading has loaded.")
        @OptionGroup var global: GlobalOptions
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("grading", "inspection.plans")
            if json { return try printJSON(result) }
            let plans = try result.decode([InspectionPlan].self)
            if plans.isEmpty { say("no inspection plans are loaded (grading.inspectionPlans)") }
            for plan in plans {
                let multipliers = CreditGrade.allCases.map { "\($0.rawValue) \(Inspect.decimal(plan.multiplierPercent[$0], scale: 100))×" }
                say("\(plan.id)  \(plan.department)  \(plan.title)")
                say(
                    "  ratio \(Inspect.decimal(plan.ratioBasisPoints, scale: 100))% · \(multipliers.joined(separator: ", ")) · team \(plan.team) · "
                        + "\(plan.inspectors.count) inspectors · conflicts \(plan.conflicts.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    struct Draw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw subjects and inspectors for a plan from a seed source published before the draw.",
            discussion: """
                The seed is the SHA-256 of the plan, the seed source and the population as grading knows it now \
                (docs/PROTOCOL.md, "The inspection draw"); the draw is stored, announced (inspection.drawn) and \
                published on the portal (/api/v1/inspections/{id}). Drawing again with the same seed source gives the \
                same draw while the population is unchanged, and is refused once it has changed: publish a new seed \
                source. With --json, the whole draw with its id.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "The plan's id (creditctl inspect plans).") var plan: String
        @Option(help: "The value published before the draw, e.g. a lottery result with its issue and date.") var seedSource: String
        @Option(name: .customLong("as"), help: "Draw as the plan's department (default: the operator key).") var department: String?
        @Flag var json = false

        func run() async throws {
            let result = try await global.call(
                "grading", "inspection.draw", as: department,
                body: .object(["plan": .string(plan), "seedSource": .string(seedSource)]))
            if json { return try printJSON(result) }
            Inspect.print(try result.decode(InspectionDraw.self))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw again from a draw's published inputs and compare; exit 0 only when it matches.",
            discussion: """
                Reads the draw from grading, or with --file from the portal's JSON (GET /api/v1/inspections/{id}, saved \
                to a file). Exit status 1 with each difference named (seed, selected subjects, inspectors) when it does \
                not match.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The draw's id (I-…).") var id: String?
        @Option(help: "A published draw as JSON (the portal's /api/v1/inspections/{id}).") var file: String?

        func validate() throws {
            guard id != nil || file != nil else { throw ValidationError("give the draw's id, or --file with its published JSON") }
        }

        func run() async throws {
            let draw: InspectionDraw
            if let file {
                let bytes: Data
                do {
                    bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                } catch {
                    throw ValidationError("--file \(file) cannot be read: \(error.localizedDescription)")
                }
                do {
                    draw = try WireCoding.decode(InspectionDraw.self, from: Array(bytes))
                } catch {
                    throw ValidationError("--file \(file) is not a published inspection draw (GET /api/v1/inspections/{id}): \(error)")
                }
                if let id, id != draw.id { throw ValidationError("--file \(file) holds draw \(draw.id), not \(id)") }
            } else {
                draw = try await global.call("grading", "inspection.get", body: .object(["id": .string(id ?? "")]))
                    .decode(InspectionDraw.self)
            }
            let differences = InspectionDrawing.verify(draw)
            guard differences.isEmpty else {
                warn("\(draw.id) does not verify:")
                differences.forEach { warn("  " + $0) }
                throw ExitCode(1)
            }
            say(
                "\(draw.id) verified: its published inputs (plan \(draw.plan.id), seed source, \(draw.population.count) subjects) "
                    + "give seed \(draw.seed) and the same \(draw.selected.count) subjects with the same inspectors")
        }
    }

    struct Result: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enter what the inspection of a drawn subject found (as the plan's department).",
            discussion: """
                The result is published with the draw and becomes a record in the registry: an other administrative \
                act of category 行政监督检查, from the department. Entering it again corrects it (same document number).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The draw's id (I-…).") var draw: String
        @Option(help: "The drawn subject's code.") var subject: String
        @Option(help: "passed, problems-found or not-located.") var outcome: String
        @Option(help: "What was found (required for problems-found).") var findings: String?
        @Option(help: "The inspection record's number (default: the draw's id and the subject's code).") var document: String?
        @Option(help: "The day of the inspection, yyyy-MM-dd (default: today).") var date: String?
        @Option(name: .customLong("as"), help: "The plan's department (default: the draw's).") var department: String?
        @Flag var json = false

        func validate() throws {
            guard InspectionOutcome(rawValue: outcome) != nil else {
                throw ValidationError(
                    "--outcome must be one of \(InspectionOutcome.allCases.map(\.rawValue).joined(separator: ", ")), not \(outcome)")
            }
        }

        func run() async throws {
            var as_ = department
            if as_ == nil {
                let published = try await global.call("grading", "inspection.get", body: .object(["id": .string(draw)]))
                as_ = try published.decode(InspectionDraw.self).plan.department
            }
            let entry = ResultBody(draw: draw, subject: subject, outcome: outcome, findings: findings, document: document, date: date)
            let result = try await global.call("grading", "inspection.result", as: as_, body: try JSONValue(encoding: entry))
            if json { return try printJSON(result) }
            let text = { (key: String) in result[key]?.textValue ?? "?" }
            say(
                "\(text("draw")) \(text("subject")) \(text("subjectName")): \(text("outcome")) on \(text("date")), document \(text("document")); "
                    + "the registry records it as \(text("department"))'s 行政监督检查")
        }

        struct ResultBody: Encodable {
            var draw, subject, outcome: String
            var findings, document, date: String?
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a draw: inputs, seed, subjects, inspectors and results.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The draw's id (I-…).") var id: String
        @Flag var json = false

        func run() async throws {
            let result = try await global.call("grading", "inspection.get", body: .object(["id": .string(id)]))
            if json { return try printJSON(result) }
            Inspect.print(try result.decode(InspectionDraw.self))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List draws, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this plan's draws.") var plan: String?
        @Flag var json = false

        func run() async throws {
            var body: [String: JSONValue] = [:]
            if let plan { body["plan"] = .string(plan) }
            let result = try await global.call("grading", "inspection.list", body: .object(body))
            if json { return try printJSON(result) }
            for draw in try result.decode([InspectionDrawSummary].self) {
                say(
                    "\(draw.id)  \(draw.plan)  \(draw.drawnAt)  \(draw.selected) of \(draw.population) drawn, results entered \(draw.results)  "
                        + "seed source: \(draw.seedSource)")
            }
        }
    }

    // MARK: - Output

    static func print(_ draw: InspectionDraw) {
        let counts = CreditGrade.allCases.map { grade in "\(grade.rawValue) \(draw.population.filter { $0.grade == grade }.count)" }
        say("\(draw.id)  plan \(draw.plan.id) (\(draw.plan.title)), drawn by \(draw.drawnBy) at \(draw.drawnAt)")
        say("  seed source: \(draw.seedSource)")
        say("  seed: \(draw.seed)")
        say("  population: \(draw.population.count) subjects (\(counts.joined(separator: ", "))); drawn: \(draw.selected.count)")
        let results = Dictionary((draw.results ?? []).map { ($0.subject, $0) }, uniquingKeysWith: { $1 })
        for assignment in draw.selected {
            var line = "  \(assignment.subject)  \(assignment.grade.rawValue)  \(assignment.subjectName ?? "")  inspectors "
            line += assignment.inspectors.joined(separator: ", ")
            if let result = results[assignment.subject] { line += "  → \(result.outcome.rawValue) (\(result.date))" }
            say(line)
        }
        say("  verify: creditctl inspect verify \(draw.id)")
    }

    /// `250` at scale 100 as `2.5`.
    static func decimal(_ value: Int, scale: Int) -> String {
        let whole = value / scale
        let fraction = value % scale
        guard fraction != 0 else { return "\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: String(scale).count - 1 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
