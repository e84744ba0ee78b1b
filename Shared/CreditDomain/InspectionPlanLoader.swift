import Foundation

/// The inspection plans of every department, by id.
public struct InspectionPlans: Sendable, Equatable {
    /// In the order of the file.
    public var plans: [InspectionPlan]

    public init(_ plans: [InspectionPlan] = []) { self.plans = plans }

    public subscript(id: String) -> InspectionPlan? { plans.first { $0.id == id } }

    public var ids: [String] { plans.map(\.id) }
}

/// Reads inspection plans (`grading.inspectionPlans`, e.g. `demo/inspection-plans.yaml`; docs/CONFIG.md):
///
/// ```yaml
/// plans:
///   - id: market-food-2026q2
///     department: market
///     title: 2026年第二季度食品经营者“双随机、一公开”抽查
///     authority: 湖州市市场监督管理局
///     basis: 《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》（国发〔2019〕5号）
///     population: {subjectKinds: [enterprise, individual-business], regions: ["3305"], recordKinds: [licence], keywords: [食品]}
///     ratio: 10%                                # 0.01% steps, above 0 and at most 100%
///     multipliers: {A: 0.5, B: 1, C: 2, D: 3}   # all four grades, 0–10 in steps of 0.01
///     team: 2                                   # inspectors per subject, 1–10
///     conflicts: [declared, same-region]
///     inspectors:
///       - {id: M-001, name: 张明, region: "330502", related: [91330502MA28K6XY14]}
/// ```
///
/// Every error names the plan and field (`plans[market-food-2026q2].ratio`) and what is allowed.
public enum InspectionPlanLoader {
    public static func load(contentsOf url: URL) throws(DomainError) -> InspectionPlans {
        try load(yaml: try YAMLFile.text(of: url, role: "inspection plans"))
    }

    public static func load(yaml: String) throws(DomainError) -> InspectionPlans {
        let raw = try YAMLFile.decode(RawFile.self, from: yaml, role: "inspection plans")
        guard let rawPlans = raw.plans, !rawPlans.isEmpty else {
            throw .invalid(field: "plans", value: "", reason: "the file must list at least one plan")
        }
        var plans: [InspectionPlan] = []
        for (index, rawPlan) in rawPlans.enumerated() {
            let plan = try validate(rawPlan, index: index)
            guard !plans.contains(where: { $0.id == plan.id }) else {
                throw .invalid(field: "plans[\(plan.id)].id", value: plan.id, reason: "is used by more than one plan; ids must be unique")
            }
            plans.append(plan)
        }
        return InspectionPlans(plans)
    }

    // MARK: - Validation

    private struct RawFile: Decodable {
        var plans: [RawPlan]?
    }

    private struct RawPlan: Decodable {
        var id: String?
        var department: String?
        var title: String?
        var authority: String?
        var basis: String?
        var population: RawPopulation?
        var ratio: String?
        var multipliers: [String: String]?
        var team: Int?
        var conflicts: [String]?
        var inspectors: [RawInspector]?
    }

    private struct RawPopulation: Decodable {
        var subjectKinds: [String]?
        var regions: [String]?
        var recordKinds: [String]?
        var keywords: [String]?
    }

    private struct RawInspector: Decodable {
        var id: String?
        var name: String?
        var region: String?
        var related: [String]?
    }

    private static func validate(_ raw: RawPlan, index: Int) throws(DomainError) -> InspectionPlan {
        guard let id = raw.id?.trimmed, !id.isEmpty else { throw .missing(field: "plans[\(index)].id") }
        let prefix = "plans[\(id)]"
        guard id.count <= 64, id.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) else {
            throw .invalid(
                field: "\(prefix).id", value: id, reason: "must be 1–64 lower-case letters, digits and dashes, such as market-food-2026q2")
        }
        guard let departmentText = raw.department?.trimmed else { throw .missing(field: "\(prefix).department") }
        let department: Department
        do {
            department = try Department(validating: departmentText)
        } catch {
            throw .invalid(field: "\(prefix).department", value: departmentText, reason: error.reason)
        }
        func required(_ value: String?, _ field: String) throws(DomainError) -> String {
            guard let value = value?.trimmed, !value.isEmpty else { throw .missing(field: "\(prefix).\(field)") }
            return value
        }
        let title = try required(raw.title, "title")
        let authority = try required(raw.authority, "authority")
        let basis = try required(raw.basis, "basis")
        let population = try validate(raw.population, prefix: "\(prefix).population")

        guard let ratioText = raw.ratio?.trimmed else { throw .missing(field: "\(prefix).ratio") }
        guard ratioText.hasSuffix("%"), let ratio = hundredths(String(ratioText.dropLast()).trimmed), (1...10_000).contains(ratio) else {
            throw .invalid(
                field: "\(prefix).ratio", value: ratioText,
                reason: "must be a percentage above 0 and at most 100%, in steps of 0.01%, such as 5% or 2.5%")
        }

        var multipliers = GradeMultipliers.standard
        if let rawMultipliers = raw.multipliers {
            for key in rawMultipliers.keys.sorted() where CreditGrade(rawValue: key) == nil {
                throw .invalid(field: "\(prefix).multipliers", value: key, reason: "is no grade; grades are A, B, C, D")
            }
            for grade in CreditGrade.allCases {
                guard let text = rawMultipliers[grade.rawValue]?.trimmed else {
                    throw .invalid(
                        field: "\(prefix).multipliers", value: "",
                        reason: "must give all four grades A, B, C, D (\(grade.rawValue) is missing)")
                }
                guard let value = hundredths(text), (0...1_000).contains(value) else {
                    throw .invalid(
                        field: "\(prefix).multipliers.\(grade.rawValue)", value: text,
                        reason: "must be a number from 0 to 10 in steps of 0.01, such as 0.5 or 3")
                }
                multipliers[grade] = value
            }
        }

        let team = raw.team ?? 2
        guard (1...10).contains(team) else {
            throw .invalid(field: "\(prefix).team", value: "\(team)", reason: "inspectors per subject must be 1–10 (two is usual)")
        }
        var conflicts: [ConflictRule] = []
        for text in (raw.conflicts ?? [ConflictRule.declared.rawValue]).map(\.trimmed) {
            guard let rule = ConflictRule(rawValue: text) else {
                throw .invalid(
                    field: "\(prefix).conflicts", value: text,
                    reason: "must be one of \(ConflictRule.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !conflicts.contains(rule) { conflicts.append(rule) }
        }

        var inspectors: [Inspector] = []
        for (position, rawInspector) in (raw.inspectors ?? []).enumerated() {
            let inspector = try validate(rawInspector, field: "\(prefix).inspectors[\(position)]")
            guard !inspectors.contains(where: { $0.id == inspector.id }) else {
                throw .invalid(
                    field: "\(prefix).inspectors[\(position)].id", value: inspector.id, reason: "is used by another inspector of the plan")
            }
            if !inspector.related.isEmpty, !conflicts.contains(.declared) {
                throw .invalid(
                    field: "\(prefix).conflicts", value: conflicts.map(\.rawValue).joined(separator: ", "),
                    reason: "inspector \(inspector.id) declares related subjects; add declared so that they are honoured")
            }
            inspectors.append(inspector)
        }
        guard inspectors.count >= team else {
            throw .invalid(
                field: "\(prefix).inspectors", value: "\(inspectors.count)",
                reason: "the roster must hold at least the \(team) inspectors of one team")
        }
        return InspectionPlan(
            id: id, department: department.rawValue, title: title, authority: authority, basis: basis, population: population,
            ratioBasisPoints: ratio, multiplierPercent: multipliers, team: team, conflicts: conflicts, inspectors: inspectors)
    }

    private static func validate(_ raw: RawPopulation?, prefix: String) throws(DomainError) -> InspectionPopulation {
        guard let raw else { return InspectionPopulation() }
        var kinds: [SubjectKind] = []
        for text in (raw.subjectKinds ?? InspectionPopulation.defaultSubjectKinds.map(\.rawValue)).map(\.trimmed) {
            guard let kind = SubjectKind(rawValue: text) else {
                throw .invalid(
                    field: "\(prefix).subjectKinds", value: text,
                    reason: "must be one of \(SubjectKind.allCases.filter { !$0.isNaturalPerson }.map(\.rawValue).joined(separator: ", "))")
            }
            guard !kind.isNaturalPerson else {
                throw .invalid(
                    field: "\(prefix).subjectKinds", value: text,
                    reason: "natural persons are not drawn: a draw is published with its population, and personal identifiers never are")
            }
            kinds.append(kind)
        }
        guard !kinds.isEmpty else { throw .invalid(field: "\(prefix).subjectKinds", value: "", reason: "must name at least one kind") }
        let regions = (raw.regions ?? []).map(\.trimmed)
        for region in regions where !isRegion(region) {
            throw .invalid(
                field: "\(prefix).regions", value: region,
                reason: "a region is 2–6 digits of an administrative division code, such as 3305 (Huzhou) or 330502")
        }
        var recordKinds: [RecordKind] = []
        for text in (raw.recordKinds ?? []).map(\.trimmed) {
            guard let kind = RecordKind(rawValue: text) else {
                throw .invalid(
                    field: "\(prefix).recordKinds", value: text,
                    reason: "must be one of \(RecordKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            recordKinds.append(kind)
        }
        let keywords = (raw.keywords ?? []).map(\.trimmed)
        if keywords.contains(where: \.isEmpty) {
            throw .invalid(field: "\(prefix).keywords", value: "", reason: "an empty keyword would match every record; remove it")
        }
        return InspectionPopulation(subjectKinds: kinds, regions: regions, recordKinds: recordKinds, keywords: keywords)
    }

    private static func validate(_ raw: RawInspector, field: String) throws(DomainError) -> Inspector {
        guard let id = raw.id?.trimmed, !id.isEmpty else { throw .missing(field: "\(field).id") }
        let allowed = id.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0))
        }
        guard id.count <= 32, allowed else {
            throw .invalid(
                field: "\(field).id", value: id, reason: "must be 1–32 letters, digits, dots, dashes or underscores, such as M-017")
        }
        guard let name = raw.name?.trimmed, !name.isEmpty else { throw .missing(field: "\(field).name") }
        let region = raw.region?.trimmed
        if let region, !isRegion(region) {
            throw .invalid(
                field: "\(field).region", value: region, reason: "a region is 2–6 digits of an administrative division code, such as 330502"
            )
        }
        var related: [String] = []
        for (position, text) in (raw.related ?? []).enumerated() {
            let subject = try Identifiers.unifiedSocialCreditCode(text, field: "\(field).related[\(position)]")
            if !related.contains(subject.value) { related.append(subject.value) }
        }
        return Inspector(id: id, name: name, region: region, related: related.sorted())
    }

    /// `5`, `2.5`, `0.05` as a whole number of hundredths; nil for anything else (no sign, no exponent,
    /// at most two decimals).
    static func hundredths(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 6,
            whole.allSatisfy(\.isASCIIDigit), let units = Int(whole)
        else { return nil }
        guard parts.count == 2 else { return units * 100 }
        let fraction = parts[1]
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isASCIIDigit), let value = Int(fraction) else { return nil }
        return units * 100 + (fraction.count == 1 ? value * 10 : value)
    }

    private static func isRegion(_ text: String) -> Bool {
        (2...6).contains(text.count) && text.allSatisfy(\.isASCIIDigit)
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
