import Bus
import CreditDomain
import Foundation
import GRDB
import GradingCore
import ServiceKit
import TestSupport

/// A new evaluation model regrades every subject: 1,000,000 subjects with two records each (a penalty
/// of some age and a licence), graded once under the shipped model, then regraded under a new version
/// whose serious penalties weigh more. Beside it, in the same run on the same database: a raw scan of
/// the same input rows in subject order (every column read into Swift values), the floor of any
/// regrade that reads every record.
enum GradingBench {
    static func run(subjects: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("credit-bench-grading-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try ServiceDatabase.open(path: directory.appendingPathComponent("grading.sqlite").path) {
            GradingSchema.register(in: &$0)
        }
        var started = monotonicMicros()
        try await database.write { db in
            let statement = try db.makeStatement(
                sql: """
                    INSERT INTO inputs(record_id, subject_id, kind, severity, category, summary, decided, department)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for n in 0..<subjects {
                let subject = GeneratedSubjects.uscc(n)
                // Decided across the last four years, so every recency band is in use.
                let decided = String(format: "%04d-%02d-%02d", 2023 + n % 4, 1 + n % 12, 1 + n % 28)
                try statement.execute(arguments: [
                    String(format: "R-%08d", 2 * n), subject, "penalty", ["general", "serious", "severe"][n % 3], "罚款", "虚假宣传", decided,
                    n % 2 == 0 ? "market" : "finance",
                ])
                try statement.execute(arguments: [
                    String(format: "R-%08d", 2 * n + 1), subject, "licence", nil, "普通", "食品经营许可", "2022-01-01", "market",
                ])
            }
        }
        report(String(format: "  (setup: %d subjects, %d records in %.1f s)", subjects, 2 * subjects, (monotonicMicros() - started) / 1e6))

        let shipped = try BuiltProducts.evaluationModel()
        var next = shipped
        next.version = shipped.version + "-bench"
        next.rules = next.rules.map { rule in
            var rule = rule
            if rule.kind == .penalty && rule.severity == .serious { rule.points -= 10 }
            return rule
        }
        let day = "2026-12-05"
        let log = EventLog(stream: "grading")
        started = monotonicMicros()
        let first = try await Grader(model: shipped, log: log).regradeAll(writer: database, on: day)
        let firstSeconds = (monotonicMicros() - started) / 1e6

        // The floor: every input row read in subject order, its columns into Swift values.
        started = monotonicMicros()
        let scanned = try await database.read { db -> Int in
            var rows = 0
            var checksum = 0
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT subject_id, kind, severity, performance, decided, department FROM inputs ORDER BY subject_id")
            while let row = try cursor.next() {
                let subject: String = row[0]
                let kind: String = row[1]
                let severity: String? = row[2]
                let performance: String? = row[3]
                let decided: String? = row[4]
                let department: String? = row[5]
                checksum &+= subject.utf8.count &+ kind.utf8.count &+ (severity?.utf8.count ?? 0) &+ (performance?.utf8.count ?? 0)
                checksum &+= (decided?.utf8.count ?? 0) &+ (department?.utf8.count ?? 0)
                rows += 1
            }
            return rows + (checksum == 0 ? 1 : 0)
        }
        let scanSeconds = (monotonicMicros() - started) / 1e6

        started = monotonicMicros()
        let second = try await Grader(model: next, log: log).regradeAll(writer: database, on: day)
        let regradeSeconds = (monotonicMicros() - started) / 1e6

        report("Grading: a new evaluation model regrades every subject (\(subjects) subjects, \(2 * subjects) records)")
        report(
            String(
                format: "  first grading under %@: %.1f s (%.0f subjects/s), %d grades announced", shipped.version, firstSeconds,
                Double(first.subjects) / firstSeconds, first.changed))
        report(
            String(
                format: "  regrade under %@: %.1f s (%.0f subjects/s), %d grades changed and announced", next.version, regradeSeconds,
                Double(second.subjects) / regradeSeconds, second.changed))
        report(
            String(
                format: "  raw scan of the same %d rows in subject order: %.2f s; regrade / raw scan: %.1f×", scanned, scanSeconds,
                regradeSeconds / scanSeconds))
        BenchResults.record(
            "grading.regrade.rate", Double(second.subjects) / regradeSeconds, unit: "subjects/s",
            reference: ("grading.raw-scan.seconds", scanSeconds))
        BenchResults.record(
            "grading.regrade.ratio-to-raw-scan", regradeSeconds / scanSeconds, unit: "ratio",
            reference: ("grading.raw-scan.seconds", scanSeconds), ratio: regradeSeconds / scanSeconds)
    }
}
