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
        id: String, department: Department, title: String, actions: [String], lists: [ListType],
        targets: [MeasureTarget] = [.subject], effect: MeasureEffect, basis: String, source: String? = nil
    ) {
        self.id = id
        self.department = department
        self.title = title
        self.actions = actions
        self.lists = lists
        self.targets = targets
        self.effect = effect
        self.basis = basis
        self.source = source
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
}
