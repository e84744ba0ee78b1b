import CoreMetrics
import MeshMetrics
import MeshProtocol
import RegistryProtocol

/// `credit_import_rows_total{outcome}`: the rows of `records.import` since start by what became of
/// them. `status` reads them back from the metrics (`importRows`).
struct ImportRowCounts: Sendable {
    enum Outcome: String, CaseIterable {
        case stored
        case alreadyPresent = "already-present"
        case corrected
        case refused
    }

    let metrics: ServiceMetrics
    private let counters: [Outcome: Counter]

    init(metrics: ServiceMetrics) {
        self.metrics = metrics
        counters = Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0, metrics.counter(.importRows, [("outcome", $0.rawValue)])) })
    }

    /// Counts the rows of one answered request.
    func count(_ result: ImportResult) {
        for (outcome, rows) in [
            (Outcome.stored, result.stored), (.alreadyPresent, result.alreadyPresent), (.corrected, result.corrected),
            (.refused, result.refused.count),
        ]
        where rows > 0 {
            counters[outcome]?.increment(by: rows)
        }
    }

    /// The counts as `status` shows them: `{"stored": …, "already-present": …, …}`.
    func status() -> JSONValue {
        let seen = metrics.values(.importRows, by: "outcome")
        return .object(Dictionary(uniqueKeysWithValues: Outcome.allCases.map { ($0.rawValue, .int(Int64(seen[$0.rawValue] ?? 0))) }))
    }
}
