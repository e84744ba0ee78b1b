import Foundation
import Yams

/// Reads the measure rules (`config/measure-rules.yaml`, `dispatch.measureRules`): which records of
/// dishonest conduct lead to which measure — by kind, severity and field thresholds — and who issues or
/// decides it, plus the red-list rules. Data, versioned: every listing, proposal and notice a rule makes
/// names the rule and the version.
///
/// ```yaml
/// version: "2026.1"
/// rules:                                  # in order: the first rule that takes a record applies
///   - id: severe-black-proposal           # lower-case letters, digits, dashes; unique
///     title: Severe dishonesty is proposed for the black list
///     kinds: [penalty]                    # record kinds (not court-dishonest-debtor: the court lists those)
///     severities: [severe]                # general | serious | severe
///     when:                               # optional; every condition must hold
///       - {field: fineAmount, atLeast: 50}        # fineAmount (万元), amount (元): atLeast, below
///       - {field: category, contains: [吊销]}      # category, summary, legalBasis, authority, subjectKind
///     measure: black-proposal             # reminder | interview | key-attention | black-proposal
///     decider: source                     # source (the record's department) or a department code
///     months: 36                          # key-attention, black-proposal: the listing's term
///     objectionWorkingDays: 5             # optional: window before the listing takes effect
///     respondWorkingDays: 10              # interview: working days to attend
///     basis: …                            # required: the rule's legal basis
///     source: Siyang Measures, Art. 18    # optional: the document and article
/// redList:
///   - id: red-three-clean-years
///     grades: [A]
///     cleanYears: 3
///     decider: ndrc
///     months: 36
///     basis: …
/// ```
public enum MeasureRulesLoader {
    public static func load(yaml: String) throws(DomainError) -> MeasureRules {
        let raw: RawRules
        do {
            raw = try YAMLDecoder().decode(RawRules.self, from: yaml)
        } catch let error as DecodingError {
            throw .invalid(
                field: error.fieldPath(root: "rules"), value: "", reason: "does not have the expected shape: \(error.reasonText)")
        } catch {
            throw .invalid(field: "rules", value: "", reason: "is not valid YAML: \(error)")
        }
        return try validate(raw)
    }

    public static func load(contentsOf url: URL) throws(DomainError) -> MeasureRules {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .invalid(field: "rules", value: url.path, reason: "cannot be read: \(error.localizedDescription)")
        }
        return try load(yaml: text)
    }

    // MARK: - Validation

    private struct RawRules: Decodable {
        var version: String?
        var rules: [RawRule]?
        var redList: [RawRedRule]?
    }

    private struct RawCondition: Decodable {
        var field: String?
        var atLeast: Double?
        var below: Double?
        var contains: [String]?
    }

    private struct RawRule: Decodable {
        var id, title: String?
        var kinds, severities: [String]?
        var when: [RawCondition]?
        var measure, decider: String?
        var months, objectionWorkingDays, respondWorkingDays: Int?
        var basis, source: String?
    }

    private struct RawRedRule: Decodable {
        var id, title: String?
        var grades: [String]?
        var cleanYears: Int?
        var decider: String?
        var months: Int?
        var basis, source: String?
    }

    private static func validate(_ raw: RawRules) throws(DomainError) -> MeasureRules {
        guard let version = raw.version?.trimmed, !version.isEmpty else { throw .missing(field: "version") }
        var seen: Set<String> = []
        var rules: [MeasureRule] = []
        for (index, rawRule) in (raw.rules ?? []).enumerated() {
            let rule = try validate(rawRule, index: index)
            guard seen.insert(rule.id).inserted else {
                throw .invalid(field: "rules[\(rule.id)].id", value: rule.id, reason: "is used by more than one rule; ids must be unique")
            }
            rules.append(rule)
        }
        var redList: [RedListRule] = []
        for (index, rawRule) in (raw.redList ?? []).enumerated() {
            let rule = try validate(rawRule, index: index)
            guard seen.insert(rule.id).inserted else {
                throw .invalid(field: "redList[\(rule.id)].id", value: rule.id, reason: "is used by more than one rule; ids must be unique")
            }
            redList.append(rule)
        }
        return MeasureRules(version: version, rules: rules, redList: redList)
    }

    private static func identifier(_ text: String?, field: String) throws(DomainError) -> String {
        guard let id = text?.trimmed, !id.isEmpty else { throw .missing(field: field) }
        guard id.unicodeScalars.allSatisfy(isCodeScalar) else {
            throw .invalid(field: field, value: id, reason: "must be lower-case letters, digits and dashes, such as severe-black-proposal")
        }
        return id
    }

    private static func department(_ text: String?, field: String, allowSource: Bool) throws(DomainError) -> String {
        guard let code = text?.trimmed, !code.isEmpty else { throw .missing(field: field) }
        if allowSource, code == MeasureRule.recordSource { return code }
        do {
            return try Department(validating: code).rawValue
        } catch {
            throw .invalid(field: field, value: code, reason: error.reason + (allowSource ? ", or source (the record's department)" : ""))
        }
    }

    private static func basis(_ text: String?, field: String) throws(DomainError) -> String {
        guard let basis = text?.trimmed, !basis.isEmpty else {
            throw .invalid(field: field, value: "", reason: "every rule must cite its legal basis (依法依规)")
        }
        return basis
    }

    private static func validate(_ raw: RawRule, index: Int) throws(DomainError) -> MeasureRule {
        let id = try identifier(raw.id, field: "rules[\(index)].id")
        let prefix = "rules[\(id)]"
        let kinds: [RecordKind] = try parse(raw.kinds ?? [], field: "\(prefix).kinds")
        guard !kinds.isEmpty else { throw .invalid(field: "\(prefix).kinds", value: "", reason: "must name at least one record kind") }
        if kinds.contains(.courtDishonestDebtor) {
            throw .invalid(
                field: "\(prefix).kinds", value: RecordKind.courtDishonestDebtor.rawValue,
                reason:
                    "court dishonest-debtor records are black-listed by the court itself (dispatch.courtListingYears); no rule takes them")
        }
        let severities: [Severity] = try parse(raw.severities ?? [], field: "\(prefix).severities")
        guard !severities.isEmpty else {
            throw .invalid(field: "\(prefix).severities", value: "", reason: "must name at least one severity (general, serious, severe)")
        }
        var conditions: [RuleCondition] = []
        for (number, condition) in (raw.when ?? []).enumerated() {
            let field = "\(prefix).when[\(number)]"
            guard let name = condition.field?.trimmed, !name.isEmpty else { throw .missing(field: "\(field).field") }
            if RuleCondition.numberFields.contains(name) {
                guard condition.atLeast != nil || condition.below != nil, condition.contains == nil else {
                    throw .invalid(field: "\(field).field", value: name, reason: "a number field takes atLeast and/or below")
                }
                if let low = condition.atLeast, let high = condition.below, low >= high {
                    throw .invalid(field: "\(field).below", value: String(high), reason: "must be above atLeast (\(low))")
                }
            } else if RuleCondition.textFields.contains(name) {
                guard let words = condition.contains?.map(\.trimmed).filter({ !$0.isEmpty }), !words.isEmpty,
                    condition.atLeast == nil, condition.below == nil
                else {
                    throw .invalid(field: "\(field).field", value: name, reason: "a text field takes contains: [keywords]")
                }
            } else {
                let known = (RuleCondition.numberFields.sorted() + RuleCondition.textFields.sorted()).joined(separator: ", ")
                throw .invalid(field: "\(field).field", value: name, reason: "must be one of \(known)")
            }
            conditions.append(
                RuleCondition(field: name, atLeast: condition.atLeast, below: condition.below, contains: condition.contains?.map(\.trimmed))
            )
        }
        guard let measureText = raw.measure?.trimmed else { throw .missing(field: "\(prefix).measure") }
        guard let measure = RuleMeasure(rawValue: measureText) else {
            throw .invalid(
                field: "\(prefix).measure", value: measureText,
                reason: "must be one of \(RuleMeasure.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let decider = try department(raw.decider ?? MeasureRule.recordSource, field: "\(prefix).decider", allowSource: true)
        let listing = measure == .keyAttention || measure == .blackProposal
        if listing {
            guard let months = raw.months, (1...120).contains(months) else {
                throw .invalid(
                    field: "\(prefix).months", value: raw.months.map(String.init) ?? "",
                    reason: "a listing rule names the listing's term in months, 1–120")
            }
        }
        if let days = raw.objectionWorkingDays, !(0...60).contains(days) {
            throw .invalid(field: "\(prefix).objectionWorkingDays", value: String(days), reason: "must be 0–60 working days")
        }
        if measure == .interview {
            guard let days = raw.respondWorkingDays, (1...60).contains(days) else {
                throw .invalid(
                    field: "\(prefix).respondWorkingDays", value: raw.respondWorkingDays.map(String.init) ?? "",
                    reason: "an interview names the working days the subject has to attend, 1–60")
            }
        }
        return MeasureRule(
            id: id, title: raw.title?.trimmed ?? id, kinds: kinds, severities: severities, when: conditions, measure: measure,
            decider: decider, months: listing ? raw.months : nil, objectionWorkingDays: raw.objectionWorkingDays,
            respondWorkingDays: measure == .interview ? raw.respondWorkingDays : nil, basis: try basis(raw.basis, field: "\(prefix).basis"),
            source: raw.source?.trimmed)
    }

    private static func validate(_ raw: RawRedRule, index: Int) throws(DomainError) -> RedListRule {
        let id = try identifier(raw.id, field: "redList[\(index)].id")
        let prefix = "redList[\(id)]"
        let grades: [CreditGrade] = try parse(raw.grades ?? ["A"], field: "\(prefix).grades")
        guard !grades.isEmpty else { throw .invalid(field: "\(prefix).grades", value: "", reason: "must name at least one grade") }
        guard let years = raw.cleanYears, (1...10).contains(years) else {
            throw .invalid(
                field: "\(prefix).cleanYears", value: raw.cleanYears.map(String.init) ?? "",
                reason: "must be 1–10 years without a bad record")
        }
        guard let months = raw.months, (1...120).contains(months) else {
            throw .invalid(
                field: "\(prefix).months", value: raw.months.map(String.init) ?? "", reason: "the red listing's term in months, 1–120")
        }
        return RedListRule(
            id: id, title: raw.title?.trimmed ?? id, grades: grades, cleanYears: years,
            decider: try department(raw.decider, field: "\(prefix).decider", allowSource: false), months: months,
            basis: try basis(raw.basis, field: "\(prefix).basis"), source: raw.source?.trimmed)
    }

    private static func parse<Value: RawRepresentable & CaseIterable>(
        _ texts: [String], field: String
    ) throws(DomainError) -> [Value] where Value.RawValue == String {
        var values: [Value] = []
        for text in texts.map(\.trimmed) {
            guard let value = Value(rawValue: text) else {
                throw .invalid(
                    field: field, value: text, reason: "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            values.append(value)
        }
        return values
    }

    private static func isCodeScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
