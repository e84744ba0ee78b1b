import Foundation

/// Grades an administrative penalty as general (一般), serious (较重) or severe (严重), the three
/// degrees of dishonest conduct of seed 000 §15 (000_e414fe3f42ed7aea.txt), from the penalty
/// categories (处罚类别, `CF_CFLB`) and the fine (`CF_NR_FK`, in 万元).
///
/// | rule | severity |
/// |---|---|
/// | a category revokes a licence or business licence (吊销, 撤销许可), orders closure (责令关闭) or is administrative detention (行政拘留) | severe |
/// | fine ≥ `severeFineThreshold` (default 50 万元) | severe |
/// | a category orders suspension of production or business (责令停产停业), suspends a licence (暂扣), confiscates (没收), lowers a qualification (降低资质等级) or restricts business or practice (限制开展生产经营活动, 限制从业) | serious |
/// | fine ≥ `seriousFineThreshold` (default 5 万元) | serious |
/// | anything else (警告, 通报批评, a small fine) | general |
///
/// The highest severity any rule gives wins. The old statutory category 暂扣或者吊销许可证 (or 执照)
/// names both a suspension and a revocation; read alone it counts as the milder suspension (serious),
/// since seed 001 warns against stretching credit measures (防止滥用、泛用信用手段) — a revocation
/// spelled out in another category (吊销营业执照) is still severe.
/// The thresholds are configuration: the seeds leave the amounts to each department's standards.
public struct SeverityRules: Sendable, Hashable {
    /// Fine in 万元 from which a penalty is at least serious.
    public var seriousFineThreshold: Double
    /// Fine in 万元 from which a penalty is severe.
    public var severeFineThreshold: Double

    public init(seriousFineThreshold: Double = 5, severeFineThreshold: Double = 50) {
        self.seriousFineThreshold = seriousFineThreshold
        self.severeFineThreshold = severeFineThreshold
    }

    /// The default thresholds: 5 万元 serious, 50 万元 severe.
    public static let standard = SeverityRules()

    /// Category keywords that make a penalty severe.
    static let severeKeywords = ["吊销", "撤销许可", "责令关闭", "行政拘留", "revocation", "revoke", "closure", "detention"]
    /// Category keywords that make a penalty serious.
    static let seriousKeywords = [
        "责令停产停业", "停产停业", "暂扣", "没收", "降低资质等级", "限制开展生产经营活动", "限制从业",
        "suspension", "suspend", "confiscat",
    ]

    /// The severity of a penalty with these categories (each e.g. `罚款`, `吊销营业执照`) and fine
    /// (万元, nil when none).
    public func severity(categories: [String], fine: Double?) -> Severity {
        let text = categories.joined(separator: "|").lowercased()
            .replacingOccurrences(of: "暂扣或者吊销", with: "暂扣").replacingOccurrences(of: "暂扣或吊销", with: "暂扣")
        var result = Severity.general
        if Self.seriousKeywords.contains(where: { text.contains($0) }) { result = max(result, .serious) }
        if Self.severeKeywords.contains(where: { text.contains($0) }) { result = max(result, .severe) }
        if let fine {
            if fine >= seriousFineThreshold { result = max(result, .serious) }
            if fine >= severeFineThreshold { result = max(result, .severe) }
        }
        return result
    }

    /// Splits a `CF_CFLB` value into categories: several may be joined by `;`, `；`, `,`, `，` or `、`.
    public static func categories(_ text: String) -> [String] {
        text.split(whereSeparator: { ";；,，、".contains($0) })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
    }
}
