import Foundation

/// Reads the evaluation model (`grading.model`, shipped as `config/evaluation-model.yaml`;
/// docs/CONFIG.md):
///
/// ```yaml
/// version: "2026.1"                 # a changed model needs a new version: grading regrades everyone
/// name: 公共信用综合评价模型
/// base: 100
/// range: [0, 100]
/// decay:                            # recency: months since the decision → share of the points
///   - {fromMonths: 0, factor: 1}
///   - {fromMonths: 12, factor: 0.5}
///   - {fromMonths: 36, factor: 0}
/// weights:                          # dishonesty: points ≤ 0
///   - {rule: "penalty, serious (较重)", kind: penalty, severity: serious, points: -15}
///   - {rule: "court dishonest judgment debtor (失信被执行人)", kind: court-dishonest-debtor, points: -40, decay: false}
/// positives:                        # points > 0
///   - {rule: "commendation or honour (表彰奖励)", kind: commendation, points: 5}
///   - {rule: "on the red list (红名单)", list: red, points: 10}
/// grades:                           # highest first; the last starts at the range's floor
///   - {grade: A, from: 90, supervision: reduced}
/// industries:
///   - {id: market-food, name: 食品经营行业信用评价, department: market, weights: [...], grades: [...]}
/// ```
///
/// Every error names the field (`weights[2].points`) and what is allowed.
public enum EvaluationModelLoader {
    public static func load(contentsOf url: URL) throws(DomainError) -> EvaluationModel {
        try load(yaml: try YAMLFile.text(of: url, role: "evaluation model"))
    }

    public static func load(yaml: String) throws(DomainError) -> EvaluationModel {
        let raw = try YAMLFile.decode(RawModel.self, from: yaml, role: "evaluation model")
        guard let version = raw.version?.trimmed, !version.isEmpty else { throw .missing(field: "version") }
        guard version.count <= 32, !version.contains(where: \.isWhitespace) else {
            throw .invalid(field: "version", value: version, reason: "must be 1–32 characters without spaces, such as 2026.1")
        }
        let range = raw.range ?? [0, 100]
        guard range.count == 2, range[0] < range[1] else {
            throw .invalid(
                field: "range", value: range.map(String.init).joined(separator: ", "),
                reason: "must be [floor, ceiling] with floor < ceiling")
        }
        let base = raw.base ?? range[1]
        guard (range[0]...range[1]).contains(base) else {
            throw .invalid(field: "base", value: "\(base)", reason: "must lie within the range \(range[0])…\(range[1])")
        }
        let decay = try validate(decay: raw.decay)
        var rules = try validate(raw.weights ?? [], field: "weights", sign: .negative)
        rules += try validate(raw.positives ?? [], field: "positives", sign: .positive)
        guard !rules.isEmpty else {
            throw .invalid(field: "weights", value: "", reason: "the model must score at least one kind of record")
        }
        let grades = try validate(grades: raw.grades, field: "grades", floor: range[0])
        var industries: [EvaluationModel.Industry] = []
        for (index, rawIndustry) in (raw.industries ?? []).enumerated() {
            guard let id = rawIndustry.id?.trimmed, !id.isEmpty else { throw .missing(field: "industries[\(index)].id") }
            let prefix = "industries[\(id)]"
            guard id != "public", id.count <= 64,
                id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
            else {
                throw .invalid(field: "\(prefix).id", value: id, reason: "must be 1–64 lower-case letters, digits and dashes, not public")
            }
            guard !industries.contains(where: { $0.id == id }) else {
                throw .invalid(field: "\(prefix).id", value: id, reason: "is used by more than one industry model")
            }
            guard let departmentText = rawIndustry.department?.trimmed else { throw .missing(field: "\(prefix).department") }
            let department: Department
            do {
                department = try Department(validating: departmentText)
            } catch {
                throw .invalid(field: "\(prefix).department", value: departmentText, reason: error.reason)
            }
            let industryRules = try validate(rawIndustry.weights ?? [], field: "\(prefix).weights", sign: .any)
            guard industryRules.allSatisfy({ $0.list == nil }) else {
                throw .invalid(
                    field: "\(prefix).weights", value: "list", reason: "an industry model scores its department's records, not lists")
            }
            industries.append(
                EvaluationModel.Industry(
                    id: id, name: rawIndustry.name?.trimmed ?? id, department: department.rawValue, rules: industryRules,
                    grades: rawIndustry.grades == nil
                        ? grades : try validate(grades: rawIndustry.grades, field: "\(prefix).grades", floor: range[0])))
        }
        return EvaluationModel(
            version: version, name: raw.name?.trimmed ?? "", base: base, floor: range[0], ceiling: range[1], decay: decay, rules: rules,
            grades: grades, industries: industries)
    }

    private enum Sign { case negative, positive, any }

    private static func validate(_ raw: [RawRule], field: String, sign: Sign) throws(DomainError) -> [EvaluationModel.Rule] {
        var rules: [EvaluationModel.Rule] = []
        for (index, rule) in raw.enumerated() {
            let prefix = "\(field)[\(index)]"
            func parse<T: RawRepresentable & CaseIterable>(_ text: String?, _ name: String, as: T.Type) throws(DomainError) -> T?
            where T.RawValue == String {
                guard let text = text?.trimmed else { return nil }
                guard let value = T(rawValue: text) else {
                    throw .invalid(
                        field: "\(prefix).\(name)", value: text,
                        reason: "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return value
            }
            let kind = try parse(rule.kind, "kind", as: RecordKind.self)
            let list = try parse(rule.list, "list", as: ListType.self)
            guard (kind == nil) != (list == nil) else {
                throw .invalid(field: prefix, value: "", reason: "a rule names either a record kind (kind:) or a list (list:), one of them")
            }
            let severity = try parse(rule.severity, "severity", as: Severity.self)
            let performance = try parse(rule.performance, "performance", as: Performance.self)
            if list != nil, severity != nil || performance != nil {
                throw .invalid(field: prefix, value: "", reason: "a list rule takes no severity or performance")
            }
            guard let points = rule.points else { throw .missing(field: "\(prefix).points") }
            guard (-1000...1000).contains(points) else {
                throw .invalid(field: "\(prefix).points", value: "\(points)", reason: "must be a whole number from -1000 to 1000")
            }
            switch sign {
            case .negative where points > 0:
                throw .invalid(
                    field: "\(prefix).points", value: "\(points)",
                    reason: "weights of dishonesty are 0 or less; put rewards under positives")
            case .positive where points <= 0:
                throw .invalid(
                    field: "\(prefix).points", value: "\(points)", reason: "positives add points (above 0); put the rest under weights")
            default: break
            }
            let name = rule.rule?.trimmed ?? ""
            let label =
                name.isEmpty
                ? [kind?.rawValue ?? list.map { "\($0.rawValue) list" } ?? "", severity?.rawValue ?? "", performance?.rawValue ?? ""]
                    .filter { !$0.isEmpty }.joined(separator: ", ")
                : name
            rules.append(
                EvaluationModel.Rule(
                    rule: label, kind: kind, severity: severity, performance: performance, list: list, points: points,
                    decays: list == nil && (rule.decay ?? true)))
        }
        return rules
    }

    private static func validate(decay raw: [RawBand]?) throws(DomainError) -> [EvaluationModel.DecayBand] {
        guard let raw, !raw.isEmpty else { return [EvaluationModel.DecayBand(fromMonths: 0, factor: 100)] }
        var bands: [EvaluationModel.DecayBand] = []
        for (index, band) in raw.enumerated() {
            guard let months = band.fromMonths else { throw .missing(field: "decay[\(index)].fromMonths") }
            guard (0...1200).contains(months), months > (bands.last?.fromMonths ?? -1) else {
                throw .invalid(
                    field: "decay[\(index)].fromMonths", value: "\(months)",
                    reason: "must be 0–1200 and rise from band to band, the first 0")
            }
            guard let text = band.factor?.trimmed, let factor = InspectionPlanLoader.hundredths(text), factor <= 100 else {
                throw .invalid(
                    field: "decay[\(index)].factor", value: band.factor ?? "",
                    reason: "must be a share from 0 to 1 in steps of 0.01, such as 0.5")
            }
            bands.append(EvaluationModel.DecayBand(fromMonths: months, factor: factor))
        }
        guard bands[0].fromMonths == 0 else {
            throw .invalid(field: "decay[0].fromMonths", value: "\(bands[0].fromMonths)", reason: "the first band starts at 0 months")
        }
        return bands
    }

    private static func validate(grades raw: [RawGrade]?, field: String, floor: Int) throws(DomainError) -> [EvaluationModel.GradeBand] {
        guard let raw, !raw.isEmpty else { throw .missing(field: field) }
        var bands: [EvaluationModel.GradeBand] = []
        for (index, band) in raw.enumerated() {
            guard let gradeText = band.grade?.trimmed, let grade = CreditGrade(rawValue: gradeText) else {
                throw .invalid(field: "\(field)[\(index)].grade", value: band.grade ?? "", reason: "must be A, B, C or D")
            }
            guard !bands.contains(where: { $0.grade == grade }) else {
                throw .invalid(field: "\(field)[\(index)].grade", value: gradeText, reason: "appears twice")
            }
            guard let from = band.from else { throw .missing(field: "\(field)[\(index)].from") }
            if let previous = bands.last, from >= previous.from || !(grade < previous.grade) {
                throw .invalid(
                    field: "\(field)[\(index)].from", value: "\(from)", reason: "bands go from the best grade down, each starting lower")
            }
            guard let supervisionText = band.supervision?.trimmed, let supervision = SupervisionClass(rawValue: supervisionText) else {
                throw .invalid(
                    field: "\(field)[\(index)].supervision", value: band.supervision ?? "",
                    reason: "must be one of \(SupervisionClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            bands.append(EvaluationModel.GradeBand(grade: grade, from: from, supervision: supervision))
        }
        guard bands[bands.count - 1].from <= floor else {
            throw .invalid(
                field: "\(field)[\(bands.count - 1)].from", value: "\(bands[bands.count - 1].from)",
                reason: "the last band must start at the range's floor (\(floor)) so that every score has a grade")
        }
        return bands
    }

    private struct RawModel: Decodable {
        var version: String?
        var name: String?
        var base: Int?
        var range: [Int]?
        var decay: [RawBand]?
        var weights: [RawRule]?
        var positives: [RawRule]?
        var grades: [RawGrade]?
        var industries: [RawIndustry]?
    }

    private struct RawRule: Decodable {
        var rule: String?
        var kind: String?
        var severity: String?
        var performance: String?
        var list: String?
        var points: Int?
        var decay: Bool?
    }

    private struct RawBand: Decodable {
        var fromMonths: Int?
        var factor: String?
    }

    private struct RawGrade: Decodable {
        var grade: String?
        var from: Int?
        var supervision: String?
    }

    private struct RawIndustry: Decodable {
        var id: String?
        var name: String?
        var department: String?
        var weights: [RawRule]?
        var grades: [RawGrade]?
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
