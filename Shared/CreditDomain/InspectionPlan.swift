/// A department's plan for "double random, one public" inspections (双随机、一公开): whom it may draw
/// (检查对象名录库, the population), whom it sends (执法检查人员名录库, the roster), how many it draws by
/// credit grade, and who may not inspect whom. Good credit and low risk → a lower ratio; ordinary →
/// the normal ratio; dishonest and high risk → a higher ratio (Shaanxi Plan 三(二)4, Haitang Plan (六)).
///
/// Loaded from a YAML file by `InspectionPlanLoader` (docs/CONFIG.md, "Inspection plans"); a draw
/// keeps the plan it was made with, so changing the file never changes a published draw.
public struct InspectionPlan: Codable, Sendable, Equatable {
    /// Lower-case letters, digits and dashes, unique in the file (`market-food-2026q2`).
    public var id: String
    /// The department that inspects and enters the results.
    public var department: String
    public var title: String
    /// The inspecting authority's name, as results name it (`湖州市市场监督管理局`).
    public var authority: String
    /// The legal basis results cite.
    public var basis: String
    public var population: InspectionPopulation
    /// The base sampling ratio in basis points (1/100 of a percent): 500 is 5%.
    public var ratioBasisPoints: Int
    /// The multiplier of each grade in percent of the base ratio: 50 is 0.5×, 300 is 3×.
    public var multiplierPercent: GradeMultipliers
    /// Inspectors sent to each drawn subject (at least two: 执法人员不少于两人).
    public var team: Int
    /// The conflict rules in force (`declared` always among them when an inspector declares relations).
    public var conflicts: [ConflictRule]
    /// In the order of the file; the draw works in id order.
    public var inspectors: [Inspector]

    public init(
        id: String, department: String, title: String, authority: String, basis: String, population: InspectionPopulation = .init(),
        ratioBasisPoints: Int, multiplierPercent: GradeMultipliers = .standard, team: Int = 2, conflicts: [ConflictRule] = [.declared],
        inspectors: [Inspector]
    ) {
        self.id = id
        self.department = department
        self.title = title
        self.authority = authority
        self.basis = basis
        self.population = population
        self.ratioBasisPoints = ratioBasisPoints
        self.multiplierPercent = multiplierPercent
        self.team = team
        self.conflicts = conflicts
        self.inspectors = inspectors
    }

    /// Why `inspector` may not inspect `subject`, or nil when nothing forbids it.
    public func conflict(_ inspector: Inspector, _ subject: String) -> String? {
        for rule in conflicts {
            switch rule {
            case .declared where inspector.related.contains(subject):
                return "\(inspector.id) declared \(subject) related"
            case .sameRegion:
                if let region = inspector.region, let division = InspectionPopulation.division(of: subject), division.hasPrefix(region) {
                    return "\(inspector.id) is of region \(region), where \(subject) is registered"
                }
            default:
                continue
            }
        }
        return nil
    }
}

/// A plan's multiplier per grade, in percent of its base ratio (50 is 0.5×).
public struct GradeMultipliers: Codable, Sendable, Equatable {
    public var a: Int
    public var b: Int
    public var c: Int
    public var d: Int

    /// A 0.5×, B 1×, C 2×, D 3×: lower for good credit, the normal ratio for ordinary, higher for dishonest
    /// and high-risk subjects (Shaanxi Plan 三(二)4).
    public static let standard = GradeMultipliers(a: 50, b: 100, c: 200, d: 300)

    public init(a: Int, b: Int, c: Int, d: Int) {
        self.a = a
        self.b = b
        self.c = c
        self.d = d
    }

    public subscript(grade: CreditGrade) -> Int {
        get {
            switch grade {
            case .A: a
            case .B: b
            case .C: c
            case .D: d
            }
        }
        set {
            switch grade {
            case .A: a = newValue
            case .B: b = newValue
            case .C: c = newValue
            case .D: d = newValue
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case a = "A"
        case b = "B"
        case c = "C"
        case d = "D"
    }
}

/// An inspector of a plan's roster (执法检查人员).
public struct Inspector: Codable, Sendable, Equatable {
    /// Letters, digits, dots, dashes and underscores (`M-017`): unique in the plan.
    public var id: String
    public var name: String
    /// The administrative division (2–6 digits of GB/T 2260) the inspector belongs to, for `same-region`.
    public var region: String?
    /// Subjects the inspector declared related (回避): never assigned to them under `declared`.
    public var related: [String]

    public init(id: String, name: String, region: String? = nil, related: [String] = []) {
        self.id = id
        self.name = name
        self.region = region
        self.related = related
    }
}

/// Who may not inspect whom.
public enum ConflictRule: String, Codable, Sendable, CaseIterable, Hashable {
    /// An inspector never inspects a subject they declared related.
    case declared
    /// An inspector never inspects a subject registered in their own region: the subject's
    /// administrative division (positions 3–8 of its unified social credit code) starts with the
    /// inspector's `region`.
    case sameRegion = "same-region"
}

/// Which subjects a plan draws from, all read from what grading knows: the subject's kind and
/// identifier (region) and its records in force (kind, category, summary). Every condition given must
/// hold; one not given holds for everyone. Natural persons are never drawn.
public struct InspectionPopulation: Codable, Sendable, Equatable {
    /// The subject kinds drawn (default enterprises and individual businesses, 市场主体).
    public var subjectKinds: [SubjectKind]
    /// Prefixes of the administrative division in the subject's unified social credit code
    /// (positions 3–8, e.g. `3305` for Huzhou); empty: any region.
    public var regions: [String]
    /// The subject has a record in force of one of these kinds; empty: of any kind.
    public var recordKinds: [RecordKind]
    /// And one such record's category or summary contains one of these (the industry, e.g. `食品` for
    /// a food licence); empty: no condition.
    public var keywords: [String]

    public static let defaultSubjectKinds: [SubjectKind] = [.enterprise, .individualBusiness]

    public init(
        subjectKinds: [SubjectKind] = defaultSubjectKinds, regions: [String] = [], recordKinds: [RecordKind] = [], keywords: [String] = []
    ) {
        self.subjectKinds = subjectKinds
        self.regions = regions
        self.recordKinds = recordKinds
        self.keywords = keywords
    }

    /// One record of a subject, as far as the population is concerned.
    public struct RecordFacts: Sendable, Hashable {
        public var kind: RecordKind
        public var category: String?
        public var summary: String?

        public init(kind: RecordKind, category: String? = nil, summary: String? = nil) {
            self.kind = kind
            self.category = category
            self.summary = summary
        }
    }

    /// Whether a subject with these records in force belongs to the population.
    public func includes(subject: String, kind: SubjectKind, records: [RecordFacts]) -> Bool {
        guard !kind.isNaturalPerson, subjectKinds.contains(kind) else { return false }
        if !regions.isEmpty {
            guard let division = Self.division(of: subject), regions.contains(where: { division.hasPrefix($0) }) else { return false }
        }
        return records.contains { record in
            guard recordKinds.isEmpty || recordKinds.contains(record.kind) else { return false }
            guard !keywords.isEmpty else { return true }
            let text = [record.category, record.summary].compactMap { $0 }.joined(separator: " ")
            return keywords.contains { text.contains($0) }
        }
    }

    /// The administrative division of an organisation's unified social credit code (positions 3–8);
    /// nil when those are not six digits. Only organisations are drawn, so a subject here is never a
    /// resident ID.
    public static func division(of subject: String) -> String? {
        let characters = Array(subject.utf8)
        guard characters.count == 18 else { return nil }
        let division = characters[2..<8]
        guard division.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return String(decoding: division, as: UTF8.self)
    }
}
