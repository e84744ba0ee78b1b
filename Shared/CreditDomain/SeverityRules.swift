import Foundation

/// Grades an administrative penalty as general (一般), serious (较重) or severe (严重), the three degrees of
/// dishonest conduct of the Siyang Measures Art. 15, from the penalty categories (处罚类别, `CF_CFLB`) and the
/// fine (`CF_NR_FK`, in 万元).
///
/// | rule | severity |
/// |---|---|
/// | a category revokes a licence or business licence (吊销, 撤销许可), orders closure (责令关闭) or is administrative detention (行政拘留) | severe |
/// | fine ≥ `severeFineThreshold` (default 50 万元) | severe |
/// | a category orders suspension of production or business (责令停产停业), suspends a licence (暂扣), confiscates (没收), lowers a qualification (降低资质等级) or restricts business or practice (限制开展生产经营活动, 限制从业) | serious |
/// | fine ≥ `seriousFineThreshold` (default 5 万元) | serious |
/// | anything else (警告, 通报批评, a small fine) | general |
///
/// The highest severity any rule gives wins. The old statutory category 暂扣或者吊销许可证 (or 执照) names both a
/// suspension and a revocation; read alone it counts as the milder suspension (serious), since the Shaanxi
/// Plan 四(二) warns against stretching credit measures (防止滥用、泛用信用手段) — a revocation spelled out in another
/// category (吊销营业执照) is still severe. The thresholds and keywords are configuration (`registry.severity.*`,
/// docs/CONFIG.md): the rules leave the amounts to each department's standards (Siyang Measures Art. 15).
/// Tax arrears, breached commitments and contracts have rules of their own (`severity(of:)`); a severity
/// the source states wins over all.
public struct SeverityRules: Sendable, Hashable {
    /// Fine in 万元 from which a penalty is at least serious (`registry.severity.seriousFine`).
    public var seriousFineThreshold: Double
    /// Fine in 万元 from which a penalty is severe (`registry.severity.severeFine`).
    public var severeFineThreshold: Double
    /// Category keywords that make a penalty severe (`registry.severity.severeCategories`).
    public var severeKeywords: [String]
    /// Category keywords that make a penalty serious (`registry.severity.seriousCategories`).
    public var seriousKeywords: [String]
    /// Tax or fee arrears in 元 from which they are serious (`registry.severity.taxArrearsSerious`,
    /// default 10 万元 = 100 000 元, the amount from which the tax authorities list major tax
    /// violations).
    public var taxArrearsSeriousAmount: Double
    /// Arrears in 元 from which they are severe (`registry.severity.taxArrearsSevere`, default 1 000 000).
    public var taxArrearsSevereAmount: Double
    /// A breached credit commitment (`registry.severity.breachedCommitment`, default serious: the Shaanxi
    /// Plan 三(一)1 puts breaches of commitments on the credit record and punishes them (so does the Haitang
    /// Plan (一)), and a commitment let the subject skip checks, so breaking it weighs more than a plain
    /// lapse).
    public var breachedCommitment: Severity
    /// A breached contract (`registry.severity.breachedContract`, default general).
    public var breachedContract: Severity

    public init(
        seriousFineThreshold: Double = 5, severeFineThreshold: Double = 50,
        severeKeywords: [String] = SeverityRules.defaultSevereKeywords,
        seriousKeywords: [String] = SeverityRules.defaultSeriousKeywords,
        taxArrearsSeriousAmount: Double = 100_000, taxArrearsSevereAmount: Double = 1_000_000,
        breachedCommitment: Severity = .serious, breachedContract: Severity = .general
    ) {
        self.seriousFineThreshold = seriousFineThreshold
        self.severeFineThreshold = severeFineThreshold
        self.severeKeywords = severeKeywords
        self.seriousKeywords = seriousKeywords
        self.taxArrearsSeriousAmount = taxArrearsSeriousAmount
        self.taxArrearsSevereAmount = taxArrearsSevereAmount
        self.breachedCommitment = breachedCommitment
        self.breachedContract = breachedContract
    }

    /// The default thresholds: 5 万元 serious, 50 万元 severe.
    public static let standard = SeverityRules()

    /// Category keywords that make a penalty severe.
    public static let defaultSevereKeywords = [
        "吊销", "撤销许可", "责令关闭", "行政拘留", "revocation", "revoke", "closure", "detention",
    ]
    /// Category keywords that make a penalty serious.
    public static let defaultSeriousKeywords = [
        "责令停产停业", "停产停业", "暂扣", "没收", "降低资质等级", "限制开展生产经营活动", "限制从业",
        "suspension", "suspend", "confiscat",
    ]

    /// The severity of a penalty with these categories (each e.g. `罚款`, `吊销营业执照`) and fine
    /// (万元, nil when none).
    public func severity(categories: [String], fine: Double?) -> Severity {
        var text = FastText.lowerASCII(categories.joined(separator: "|"))
        text = FastText.replacing("暂扣或者吊销", with: "暂扣", in: FastText.replacing("暂扣或吊销", with: "暂扣", in: text))
        var result = Severity.general
        if seriousKeywords.contains(where: { FastText.contains(text, $0) }) { result = max(result, .serious) }
        if severeKeywords.contains(where: { FastText.contains(text, $0) }) { result = max(result, .severe) }
        if let fine {
            if fine >= seriousFineThreshold { result = max(result, .serious) }
            if fine >= severeFineThreshold { result = max(result, .severe) }
        }
        return result
    }

    /// The severity of tax or fee arrears of `amount` 元 (general when unknown).
    public func severity(taxArrears amount: Double?) -> Severity {
        guard let amount else { return .general }
        if amount >= taxArrearsSevereAmount { return .severe }
        if amount >= taxArrearsSeriousAmount { return .serious }
        return .general
    }

    /// The severity a record gets when its source gave none: penalties by category and fine, court debtors
    /// severe (Huzhou Judgment-Debtor Opinions 三: every listed debtor is a joint-punishment target), tax
    /// arrears by amount, breached commitments and contracts by their rule; nil for a record that is not
    /// negative.
    public func severity(of record: CreditRecord) -> Severity? {
        guard record.isNegative else { return nil }
        switch record.kind {
        case .penalty:
            return severity(categories: record.category.map(Self.categories) ?? [], fine: record.fineAmount)
        case .courtDishonestDebtor: return .severe
        case .taxArrears: return severity(taxArrears: record.amount)
        case .commitment: return breachedCommitment
        case .contractPerformance: return breachedContract
        default: return .general
        }
    }

    /// Splits a `CF_CFLB` value into categories: several may be joined by `;`, `；`, `,`, `，` or `、`.
    /// (Split by Unicode scalar, not by `Character`: grapheme breaking was a tenth of reading a
    /// penalty row in a bulk import, and no separator combines with what follows it.)
    public static func categories(_ text: String) -> [String] {
        text.unicodeScalars.split(whereSeparator: isCategorySeparator)
            .map { FastText.trimmed(String(Substring($0))) }
            .filter { !$0.isEmpty }
    }

    private static func isCategorySeparator(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case ";", "；", ",", "，", "、": true
        default: false
        }
    }

    /// Reads the rules from flattened config values `registry.severity.<key>` (other keys are ignored):
    /// `seriousFine`, `severeFine` (万元), `seriousCategories`, `severeCategories` (comma-separated
    /// keywords that replace the defaults), `taxArrearsSerious`, `taxArrearsSevere` (元),
    /// `breachedCommitment`, `breachedContract` (general, serious or severe).
    ///
    /// - Throws: `DomainError.invalid` naming the key whose value is wrong.
    public static func parse(_ values: [String: String]) throws(DomainError) -> SeverityRules {
        var rules = SeverityRules()
        let prefix = "registry.severity."
        func number(_ key: String, _ text: String) throws(DomainError) -> Double {
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
                throw .invalid(field: key, value: text, reason: "must be a number ≥ 0")
            }
            return value
        }
        func severity(_ key: String, _ text: String) throws(DomainError) -> Severity {
            guard let value = Severity(source: text) else {
                throw .invalid(field: key, value: text, reason: "must be general, serious or severe")
            }
            return value
        }
        for (key, text) in values where key.hasPrefix(prefix) {
            let keywords = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            switch String(key.dropFirst(prefix.count)) {
            case "seriousFine": rules.seriousFineThreshold = try number(key, text)
            case "severeFine": rules.severeFineThreshold = try number(key, text)
            case "seriousCategories": rules.seriousKeywords = keywords
            case "severeCategories": rules.severeKeywords = keywords
            case "taxArrearsSerious": rules.taxArrearsSeriousAmount = try number(key, text)
            case "taxArrearsSevere": rules.taxArrearsSevereAmount = try number(key, text)
            case "breachedCommitment": rules.breachedCommitment = try severity(key, text)
            case "breachedContract": rules.breachedContract = try severity(key, text)
            default:
                throw .invalid(
                    field: key, value: text,
                    reason: "unknown severity rule; rules are seriousFine, severeFine, seriousCategories, severeCategories, "
                        + "taxArrearsSerious, taxArrearsSevere, breachedCommitment, breachedContract")
            }
        }
        guard rules.seriousFineThreshold <= rules.severeFineThreshold else {
            throw .invalid(
                field: "\(prefix)seriousFine", value: String(rules.seriousFineThreshold), reason: "must not exceed \(prefix)severeFine")
        }
        guard rules.taxArrearsSeriousAmount <= rules.taxArrearsSevereAmount else {
            throw .invalid(
                field: "\(prefix)taxArrearsSerious", value: String(rules.taxArrearsSeriousAmount),
                reason: "must not exceed \(prefix)taxArrearsSevere")
        }
        return rules
    }
}

extension Severity {
    /// Reads a severity as sources write it: `general`/`serious`/`severe` or 一般/较重/严重.
    public init?(source text: String) {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
        case "general", "一般", "一般失信": self = .general
        case "serious", "较重", "较重失信": self = .serious
        case "severe", "严重", "严重失信": self = .severe
        default: return nil
        }
    }
}
