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
    /// The seed document the measure is taken from (e.g. `004_3dfb1395f1f453ed.txt`).
    public var source: String?

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

    /// Measures a department applies to one of its actions.
    public func measures(for department: Department, action: String) -> [Measure] {
        measures.filter { $0.department == department && $0.actions.contains(action) }
    }
}
