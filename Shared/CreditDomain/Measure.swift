/// What a measure does to the transaction it governs.
public enum MeasureEffect: String, Codable, Sendable, CaseIterable {
    /// Refuse the transaction (black list punishment).
    case block
    /// Let a person look before proceeding (key-attention supervision).
    case review
    /// Priority handling, accept-with-missing-documents, green channel (red list incentive).
    case fastTrack = "fast-track"
    /// Proceed, but record and tell.
    case notify

    /// Which effect wins when several measures apply: block, then review, then fast-track.
    public var precedence: Int {
        switch self {
        case .block: 3
        case .review: 2
        case .notify: 1
        case .fastTrack: 0
        }
    }
}

/// Who a measure reaches: the listed subject itself, or its related persons.
public enum MeasureTarget: String, Codable, Sendable, CaseIterable {
    case subject
    case legalRepresentative = "legal-representative"
    case principal
    case actualController = "actual-controller"
    /// The children of the listed subject and of its legal representative, principal and actual
    /// controller: Huzhou Judgment-Debtor Opinions 三 (市教育局), "限制失信被执行人及失信被执行人的法定代表人、
    /// 主要负责人、影响债务履行的直接责任人员、实际控制人子女就读高收费私立学校".
    ///
    /// A child has no listing of its own and the school knows the child by the parent, so the
    /// interceptor checks the *parent's* identifier for the child's enrolment: the shipped
    /// `education.private-school-restriction` keeps the targets subject, legal-representative,
    /// principal, actual-controller, which reach the parent, and the school asks for
    /// `private-school-enrollment` with the parent as subject. This case names the reach in the
    /// catalogue for a memorandum measure written that way; the decider matches no listing with it.
    case children
}

/// One measure of a cooperation memorandum (合作备忘录): which department applies it, to which of
/// its business actions, for which lists, against whom, and on what legal basis.
public struct Measure: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var department: Department
    public var title: String
    /// Business actions of the department this measure governs (e.g. `government-procurement`).
    public var actions: [String]
    public var lists: [ListType]
    /// Grades of the public credit evaluation the measure applies to (e.g. `D` → `review` at licence
    /// approval): a subject whose current grade is one of them is matched through its grade listing. Grade
    /// measures reach the subject itself only. Empty for a measure of lists alone.
    public var grades: [CreditGrade]
    public var targets: [MeasureTarget]
    public var effect: MeasureEffect
    public var basis: String
    /// Where the measure is stated: the document's short name (README.md, "The rules it implements")
    /// and its section, article or item, e.g. `Huzhou Judgment-Debtor Opinions, 三 (市财政局)` or
    /// `Siyang Measures, Art. 18`. Optional; carried as given.
    public var source: String?

    /// Applied by every department: `department` is `*` (`Department.anyDepartment`).
    public var isGeneric: Bool { department == .anyDepartment }

    public init(
        id: String, department: Department, title: String, actions: [String], lists: [ListType], grades: [CreditGrade] = [],
        targets: [MeasureTarget] = [.subject], effect: MeasureEffect, basis: String, source: String? = nil
    ) {
        self.id = id
        self.department = department
        self.title = title
        self.actions = actions
        self.lists = lists
        self.grades = grades
        self.targets = targets
        self.effect = effect
        self.basis = basis
        self.source = source
    }

    /// Whether the measure applies to `listing` reaching the checked subject as `target`: a list listing by
    /// its list and the targets; a grade listing by its grade, to the subject itself only.
    public func applies(to listing: Listing, as target: MeasureTarget) -> Bool {
        applies(to: listing.list, grade: listing.grade, as: target)
    }

    /// Whether the measure reaches a listing on `list` (with `grade`, on the grade list) as `target`.
    public func applies(to list: ListType, grade: CreditGrade?, as target: MeasureTarget) -> Bool {
        if list == .grade {
            guard target == .subject, let grade else { return false }
            return grades.contains(grade)
        }
        return lists.contains(list) && targets.contains(target)
    }

    private enum CodingKeys: String, CodingKey {
        case id, department, title, actions, lists, grades, targets, effect, basis, source
    }

    /// Catalogues stored before grade measures have no `grades`: none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        department = try container.decode(Department.self, forKey: .department)
        title = try container.decode(String.self, forKey: .title)
        actions = try container.decode([String].self, forKey: .actions)
        lists = try container.decode([ListType].self, forKey: .lists)
        grades = try container.decodeIfPresent([CreditGrade].self, forKey: .grades) ?? []
        targets = try container.decode([MeasureTarget].self, forKey: .targets)
        effect = try container.decode(MeasureEffect.self, forKey: .effect)
        basis = try container.decode(String.self, forKey: .basis)
        source = try container.decodeIfPresent(String.self, forKey: .source)
    }

    /// `grades` only when there are some, so that a catalogue without grade measures reads as before.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(department, forKey: .department)
        try container.encode(title, forKey: .title)
        try container.encode(actions, forKey: .actions)
        try container.encode(lists, forKey: .lists)
        if !grades.isEmpty { try container.encode(grades, forKey: .grades) }
        try container.encode(targets, forKey: .targets)
        try container.encode(effect, forKey: .effect)
        try container.encode(basis, forKey: .basis)
        try container.encodeIfPresent(source, forKey: .source)
    }
}

/// The versioned catalogue of measures, loaded from a data file and broadcast by dispatch.
public struct MeasureCatalogue: Codable, Sendable, Hashable {
    public var version: String
    public var measures: [Measure]

    public init(version: String, measures: [Measure]) {
        self.version = version
        self.measures = measures
    }

    /// Measures a department applies to one of its actions: its own measures and the generic ones of
    /// department `*` (`Department.anyDepartment`), which every department applies — the measures by
    /// severity of the Siyang Measures Art. 18 and the Shaanxi Plan 三(三)1 and 3, the administrative
    /// punishment of the Huzhou Joint Reward and Punishment Opinions item 10 and its red-list incentives,
    /// item 7. Generic and own measures add up; the department's own come first, then the generic ones,
    /// each in catalogue order.
    public func measures(for department: Department, action: String) -> [Measure] {
        let applicable = measures.filter {
            ($0.department == department || $0.department == .anyDepartment) && $0.actions.contains(action)
        }
        return applicable.filter { !$0.isGeneric } + applicable.filter(\.isGeneric)
    }

    /// The grades some measure names: the grades sanction-dispatch makes grade listings for.
    public var namedGrades: Set<CreditGrade> { Set(measures.flatMap(\.grades)) }
}
