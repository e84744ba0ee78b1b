import MeshProtocol

/// What each department may do (config `authority.<dept>`): which record kinds it may submit to
/// the registry, which lists it may initiate, whose listings it may decide repair and objections
/// for. Every refusal names the rule (`authority.market.lists`) and where the rules came from.
///
/// The standard table follows the rules (README.md, "The rules it implements"): the court alone publishes
/// the dishonest judgment-debtor list and initiates from it (Huzhou Judgment-Debtor Opinions 二(一) and 三,
/// 市中级法院; initiating departments: Huzhou Joint Reward and Punishment Opinions item 14); tax authorities own
/// tax arrears; the credit office (`ndrc`, 市发改委 as 社会信用建设牵头部门, Huzhou Joint Reward and Punishment Opinions
/// 三(二)) may decide repair for any listing; every other initiator only for its own (谁认定、谁修复).
public struct AuthorityRules: Sendable, Equatable {
    /// One department's grants.
    public struct Grant: Sendable, Equatable {
        public var records: Set<RecordKind>
        public var lists: Set<ListType>
        /// Initiators whose listings this department may decide repair or objections for;
        /// `own` is always implied, `*` means every initiator.
        public var approves: Set<String>

        public init(records: Set<RecordKind>, lists: Set<ListType>, approves: Set<String> = []) {
            self.records = records
            self.lists = lists
            self.approves = approves
        }
    }

    public var grants: [Department: Grant]
    /// Where the rules came from, for refusals ("config/suite.yaml", "built-in defaults").
    public var source: String

    public init(grants: [Department: Grant], source: String) {
        self.grants = grants
        self.source = source
    }

    /// A refusal by an authority rule.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        /// The config key of the rule (`authority.market.records`).
        public var rule: String
        public var description: String
    }

    public func mayImport(_ kind: RecordKind, department: String) throws(Refusal) {
        let grant = try self.grant(for: department, rule: "records")
        try require(
            grant.records.contains(kind), department: department, rule: "records",
            "may not submit \(kind.rawValue) records", allows: Self.list(grant.records.map(\.rawValue)))
    }

    public func mayInitiate(_ list: ListType, department: String) throws(Refusal) {
        let grant = try self.grant(for: department, rule: "lists")
        try require(
            grant.lists.contains(list), department: department, rule: "lists",
            "may not initiate \(list.rawValue) listings", allows: Self.list(grant.lists.map(\.rawValue)))
    }

    /// Whether `department` may decide repair or an objection for a listing initiated by `initiator`.
    public func mayDecide(forInitiator initiator: String, department: String) throws(Refusal) {
        if initiator == department { return }
        let grant = try self.grant(for: department, rule: "approves")
        try require(
            grant.approves.contains("*") || grant.approves.contains(initiator), department: department, rule: "approves",
            "may not decide for listings initiated by \(initiator)",
            allows: "its own" + (grant.approves.isEmpty ? " only" : " and \(Self.list(Array(grant.approves)))"))
    }

    /// Runs authority checks for `op`, refusing with a `forbidden` reply that names the rule.
    /// (`check` throws only `Refusal`s: the `may…` methods.)
    public func enforce(_ op: String, _ check: (AuthorityRules) throws -> Void) throws(ReplyError) {
        do {
            try check(self)
        } catch {
            throw ReplyError(.forbidden, "\(op): \(error)")
        }
    }

    private func require(_ granted: Bool, department: String, rule: String, _ refusal: String, allows: String) throws(Refusal) {
        guard !granted else { return }
        throw Refusal(
            rule: "authority.\(department).\(rule)",
            description: "\(department) \(refusal) (authority.\(department).\(rule) in \(source) allows \(allows))")
    }

    private func grant(for department: String, rule: String) throws(Refusal) -> Grant {
        guard let grant = grants[Department(rawValue: department)] else {
            throw Refusal(
                rule: "authority.\(department)",
                description: "\(department) has no authority entry in \(source) (add authority.\(department).\(rule))")
        }
        return grant
    }

    private static func list(_ items: [String]) -> String {
        items.isEmpty ? "nothing" : items.sorted().joined(separator: ", ")
    }

    /// Parses the flattened `authority.<dept>.records|lists|approves` values (comma-separated).
    public static func parse(_ values: [String: String], source: String) throws(DomainError) -> AuthorityRules {
        var grants: [Department: Grant] = [:]
        for (key, text) in values.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: ".").map(String.init)
            guard parts.count == 3, parts[0] == "authority" else {
                throw .invalid(field: key, value: text, reason: "authority entries are authority.<department>.records|lists|approves")
            }
            let department = try Department(validating: parts[1])
            var grant = grants[department] ?? Grant(records: [], lists: [])
            let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            switch parts[2] {
            case "records":
                for item in items {
                    guard let kind = RecordKind(rawValue: item) else {
                        throw .invalid(
                            field: key, value: item,
                            reason: "not a record kind; kinds are \(RecordKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    grant.records.insert(kind)
                }
            case "lists":
                for item in items {
                    guard let list = ListType(rawValue: item) else {
                        throw .invalid(field: key, value: item, reason: "not a list; lists are black, key-attention, red")
                    }
                    grant.lists.insert(list)
                }
            case "approves":
                for item in items where item != "own" {
                    if item != "*" { _ = try Department(validating: item) }
                    grant.approves.insert(item)
                }
            default:
                throw .invalid(field: key, value: text, reason: "unknown authority rule \(parts[2]); rules are records, lists, approves")
            }
            grants[department] = grant
        }
        return AuthorityRules(grants: grants, source: source)
    }

    /// The standard table, used when the config has no `authority` section (config/suite.yaml
    /// spells it out).
    public static let standard: AuthorityRules = {
        let administrative: Set<RecordKind> = [
            .licence, .penalty, .otherAdministrativeAct, .commendation, .commitment, .voluntary, .contractPerformance,
        ]
        let allLists = Set(ListType.allCases)
        return AuthorityRules(
            grants: [
                .court: Grant(records: [.courtDishonestDebtor], lists: [.black]),
                .finance: Grant(records: administrative, lists: allLists),
                .commerce: Grant(records: administrative, lists: allLists),
                .market: Grant(records: administrative, lists: allLists),
                .education: Grant(records: administrative, lists: allLists),
                .tax: Grant(records: administrative.union([.taxArrears]), lists: allLists),
                .ndrc: Grant(records: administrative.union([.thirdPartyReport]), lists: allLists, approves: ["*"]),
            ],
            source: "built-in defaults")
    }()
}
