import ArgumentParser
import CreditDomain
import Foundation
import MeshProtocol

struct AssessmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assessment",
        abstract: "Assess each department for a quarter or a year (考核): acknowledgements, feedback, 双公示, objections, repairs, inspections.",
        discussion: """
            Gathered by sanction-dispatch from itself, the portal (disclosure) and grading; a part a service did not \
            give is named under "not gathered" and left out of the rows. The same report: dispatch's /assessment page \
            and /v1/assessment?period=.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "A quarter (2026Q4) or a year (2026); default: the quarter under way.") var period: String?
    @Flag var json = false

    func validate() throws {
        if let period {
            do {
                _ = try AssessmentPeriod(parsing: period)
            } catch {
                throw ValidationError(error.description)
            }
        }
    }

    func run() async throws {
        let result = try await global.call(
            "dispatch", "assessment.get", body: try JSONValue(encoding: AssessmentQuery(period: period)))
        if json { return try printJSON(result) }
        let report = try result.decode(AssessmentReport.self)
        say("assessment \(report.period) · acknowledgement deadline \(report.ackDeadlineSeconds) s")
        say(
            "DEPARTMENT".padding(14) + "ACKED".padding(16) + "IN TIME".padding(16) + "FEEDBACK".padding(10) + "双公示 ON TIME".padding(18)
                + "OBJECTIONS".padding(14) + "REPAIRS".padding(14) + "INSPECTIONS")
        func share(_ done: Int, _ total: Int) -> String {
            total == 0 ? "-" : "\(done)/\(total) \(String(format: "%.0f%%", Double(done) * 100 / Double(total)))"
        }
        func cases(_ work: CaseWork) -> String {
            share(work.decidedOnTime, work.decided) + (work.overdueOpen > 0 ? " +\(work.overdueOpen) late" : "")
        }
        for row in report.departments {
            let ack = row.acknowledgement
            let feedback = row.feedback.values.reduce(0, +)
            let publication = row.publication.map { share($0.onTime, $0.published) } ?? "?"
            let inspections = row.inspections.map { "\($0.results)/\($0.selected) (\($0.draws) draws)" } ?? "?"
            say(
                row.department.padding(14) + (ack.map { share($0.acknowledged, $0.pushes) } ?? "-").padding(16)
                    + (ack.map { share($0.inTime, $0.pushes) } ?? "-").padding(16) + "\(feedback)".padding(10)
                    + publication.padding(18) + cases(row.objections).padding(14) + cases(row.repairs).padding(14) + inspections)
        }
        if report.departments.isEmpty { say("no department did anything in this period") }
        for (part, reason) in report.unavailable.sorted(by: { $0.key < $1.key }) {
            say("not gathered: \(part): \(reason)")
        }
    }
}
