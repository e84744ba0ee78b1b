import Foundation

/// Reads the measure catalogue (`config/catalogue.yaml`): the cooperation memoranda (合作备忘录) as
/// data, versioned, never hard-coded (DOMAIN.md). The rules insist on measures taken "依法依规" and
/// warn against abuse (防止滥用、泛用信用手段, Shaanxi Plan 四(二)), so a measure without a basis,
/// without actions or without lists is refused rather than loaded.
///
/// ```yaml
/// version: "2026.3"
/// measures:
///   - id: finance.procurement-ban
///     department: finance
///     title: No government procurement or public bidding (禁止参加政府采购、招投标)
///     actions: [government-procurement, public-bidding]
///     lists: [black]
///     targets: [subject]        # optional, defaults to [subject]
///     effect: block             # block | review | fast-track | notify
///     basis: 《…合作备忘录的通知》 …
///     source: Huzhou Judgment-Debtor Opinions, 三 (市财政局)   # optional: document and section
/// ```
///
/// `department: "*"` (quoted: a bare `*` is YAML alias syntax) makes a generic measure that every
/// department applies (`Department.anyDepartment`): the measures by severity of the Siyang Measures Art. 18
/// and the Shaanxi Plan 三(三)1 and 3, the administrative punishment of the Huzhou Joint Reward and
/// Punishment Opinions item 10, and its red-list incentives, item 7.
///
/// JSON, being YAML, is read as well. Rules checked, each error naming the measure id and field
/// (`measures[finance.procurement-ban].effect`): a non-empty version; at least one measure; ids of
/// lower-case letters, digits, dots and dashes, unique; valid department codes or `*`; non-empty title,
/// actions (kebab-case), lists and basis; known lists, targets and effect; `fast-track` only for
/// the red list and the red list only with `fast-track` or `notify`.
public enum CatalogueLoader {
    /// Loads a catalogue from YAML or JSON text.
    public static func load(yaml: String) throws(DomainError) -> MeasureCatalogue {
        try validate(try YAMLFile.decode(RawCatalogue.self, from: yaml, role: "catalogue"))
    }

    /// Loads a catalogue file.
    public static func load(contentsOf url: URL) throws(DomainError) -> MeasureCatalogue {
        try load(yaml: try YAMLFile.text(of: url, role: "catalogue"))
    }

    // MARK: - Validation

    private struct RawCatalogue: Decodable {
        var version: String?
        var measures: [RawMeasure]?
    }

    private struct RawMeasure: Decodable {
        var id: String?
        var department: String?
        var title: String?
        var actions: [String]?
        var lists: [String]?
        var grades: [String]?
        var targets: [String]?
        var effect: String?
        var basis: String?
        var source: String?
    }

    private static func validate(_ raw: RawCatalogue) throws(DomainError) -> MeasureCatalogue {
        guard let version = raw.version?.trimmed, !version.isEmpty else { throw .missing(field: "version") }
        guard let rawMeasures = raw.measures, !rawMeasures.isEmpty else {
            throw .invalid(field: "measures", value: "", reason: "the catalogue must list at least one measure")
        }
        var seen: Set<String> = []
        var measures: [Measure] = []
        for (index, rawMeasure) in rawMeasures.enumerated() {
            let measure = try validate(rawMeasure, index: index)
            guard seen.insert(measure.id).inserted else {
                throw .invalid(
                    field: "measures[\(measure.id)].id", value: measure.id,
                    reason: "is used by more than one measure; ids must be unique")
            }
            measures.append(measure)
        }
        return MeasureCatalogue(version: version, measures: measures)
    }

    private static func validate(_ raw: RawMeasure, index: Int) throws(DomainError) -> Measure {
        guard let id = raw.id?.trimmed, !id.isEmpty else { throw .missing(field: "measures[\(index)].id") }
        let prefix = "measures[\(id)]"
        guard id.unicodeScalars.allSatisfy({ isCodeScalar($0) || $0 == "." }) else {
            throw .invalid(
                field: "\(prefix).id", value: id,
                reason: "must be lower-case letters, digits, dots and dashes, such as finance.procurement-ban")
        }

        guard let departmentCode = raw.department?.trimmed else { throw .missing(field: "\(prefix).department") }
        let department: Department
        if departmentCode == Department.anyDepartment.rawValue {
            department = .anyDepartment  // a generic measure every department applies
        } else {
            do {
                department = try Department(validating: departmentCode)
            } catch {
                throw .invalid(
                    field: "\(prefix).department", value: departmentCode,
                    reason: error.reason + ", or \"*\" for a measure every department applies")
            }
        }

        guard let title = raw.title?.trimmed, !title.isEmpty else { throw .missing(field: "\(prefix).title") }

        let actions = (raw.actions ?? []).map(\.trimmed)
        guard !actions.isEmpty else {
            throw .invalid(field: "\(prefix).actions", value: "", reason: "must name at least one business action")
        }
        for action in actions where action.isEmpty || !action.unicodeScalars.allSatisfy(isCodeScalar) {
            throw .invalid(
                field: "\(prefix).actions", value: action,
                reason: "an action is kebab-case: lower-case letters, digits and dashes, such as government-procurement"
            )
        }

        let lists: [ListType] = try parse(raw.lists ?? [], field: "\(prefix).lists")
        let grades: [CreditGrade] = try parse(raw.grades ?? [], field: "\(prefix).grades")
        guard !lists.isEmpty || !grades.isEmpty else {
            throw .invalid(
                field: "\(prefix).lists", value: "",
                reason: "must name at least one list (black, key-attention, red) or grade (grades: A, B, C, D)")
        }
        if lists.contains(.grade) {
            throw .invalid(
                field: "\(prefix).lists", value: "grade", reason: "a measure names grades under grades: [A, B, C, D], not as a list")
        }
        let targets: [MeasureTarget] = try parse(raw.targets ?? ["subject"], field: "\(prefix).targets")
        guard !targets.isEmpty else {
            throw .invalid(
                field: "\(prefix).targets", value: "", reason: "must name at least one target, such as subject")
        }

        guard let effectText = raw.effect?.trimmed else { throw .missing(field: "\(prefix).effect") }
        guard let effect = MeasureEffect(rawValue: effectText) else {
            throw .invalid(
                field: "\(prefix).effect", value: effectText,
                reason: "must be one of \(MeasureEffect.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if effect == .fastTrack, lists.contains(where: { $0 != .red }) || grades.contains(where: { $0 == .C || $0 == .D }) {
            throw .invalid(
                field: "\(prefix).lists", value: (lists.map(\.rawValue) + grades.map(\.rawValue)).joined(separator: ", "),
                reason: "a fast-track incentive applies to the red list and grades A and B only")
        }
        if lists.contains(.red) || grades.contains(.A), effect == .block || effect == .review {
            throw .invalid(
                field: "\(prefix).effect", value: effect.rawValue,
                reason: "the red list and grade A earn incentives (fast-track) or notices, never \(effect.rawValue)")
        }

        guard let basis = raw.basis?.trimmed, !basis.isEmpty else {
            throw .invalid(
                field: "\(prefix).basis", value: "", reason: "every measure must cite its legal basis (依法依规)")
        }
        let source = raw.source?.trimmed
        return Measure(
            id: id, department: department, title: title, actions: actions, lists: lists, grades: grades, targets: targets,
            effect: effect, basis: basis, source: source?.isEmpty == true ? nil : source)
    }

    private static func parse<Value: RawRepresentable & CaseIterable>(
        _ texts: [String], field: String
    ) throws(DomainError) -> [Value] where Value.RawValue == String {
        var values: [Value] = []
        for text in texts.map(\.trimmed) {
            guard let value = Value(rawValue: text) else {
                throw .invalid(
                    field: field, value: text,
                    reason: "must be one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
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
