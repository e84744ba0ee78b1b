import MeshProtocol

/// The three lists (名单) of DOMAIN.md.
public enum ListType: String, Codable, Sendable, CaseIterable, Hashable {
    /// 失信联合惩戒对象名单 / 严重失信主体名单 (Shaanxi Plan 三(三)1, Haitang Plan (七)).
    case black
    /// 重点关注对象名单 (Shaanxi Plan 三(三)1, Haitang Plan (七)).
    case keyAttention = "key-attention"
    /// 红名单, 诚信典型 (Huzhou Joint Reward and Punishment Opinions items 6, 7 and 16).
    case red
    /// Not a list (名单) but a subject's grade of the public credit evaluation (公共信用综合评价), carried like a
    /// listing to the interceptors when a catalogue measure names the grade (`Measure.grades`). Made by
    /// sanction-dispatch from grading's `grade.changed`, announced as `grade.added`, `grade.updated` and
    /// `grade.removed`; never initiated, never disclosed.
    case grade
}

/// One subject on one list: who put it there, on what basis, for how long.
public struct Listing: Codable, Sendable, Hashable, Identifiable {
    public enum Status: String, Codable, Sendable {
        /// Initiated, not yet in force: the subject has been notified and may object until
        /// `objectionDeadline` (black list; see sanction-dispatch).
        case pending
        case active
        /// Removed: repaired, revoked, expired or corrected; see `removalReason`.
        case removed
    }

    public var id: String
    public var list: ListType
    public var subjectID: String
    public var subjectName: String
    public var subjectKind: SubjectKind
    /// The initiating department (发起部门).
    public var initiator: Department
    public var basis: String
    public var document: String
    public var facts: String?
    /// ISO dates (yyyy-MM-dd).
    public var start: String
    public var until: String
    /// The registry record that caused an automatic listing (e.g. a court dishonest-debtor record).
    public var sourceRecord: String?
    public var status: Status
    public var removalReason: String?
    /// The related persons of the listed organisation the registry knew when the listing was made (legal
    /// representative, principal, actual controller — Shaanxi Plan 三(三)5, Huzhou Judgment-Debtor Opinions
    /// 三); measures whose targets name their role reach them too.
    public var relatedPersons: [RelatedPerson]?
    /// Last day (yyyy-MM-dd) on which the subject may object before a pending listing takes effect.
    public var objectionDeadline: String?
    /// An objection the subject filed during the window, until the initiator decides on it.
    public var objection: String?
    /// Set while an objection (异议) to the listing, or to the record it rests on, is verified: its
    /// measures are suspended as the objection says (`list.suspended`, `list.resumed`).
    public var suspension: Suspension?
    /// The measure rule (and the version of the rules) that made the listing: a key-attention listing for
    /// serious dishonesty, a black listing confirmed from a rule's proposal, a red listing by rule.
    public var rule: RuleReference?
    /// The grade of a grade listing (`list` is `grade`).
    public var grade: CreditGrade?

    /// Measures suspended while information is verified (Huzhou Joint Reward and Punishment Opinions,
    /// item 18: 联合惩戒措施在信息核实期间暂不执行).
    public struct Suspension: Codable, Sendable, Hashable {
        public enum Policy: String, Codable, Sendable {
            /// A measure that would block or review answers `review`, naming the objection.
            case review
            /// The listing's measures are not applied.
            case allow
        }

        /// The objection (`O-…`).
        public var objection: String
        public var policy: Policy
        /// When the suspension began (wire time).
        public var since: String

        public init(objection: String, policy: Policy, since: String) {
            self.objection = objection
            self.policy = policy
            self.since = since
        }
    }

    public init(
        id: String, list: ListType, subjectID: String, subjectName: String, subjectKind: SubjectKind,
        initiator: Department, basis: String, document: String, facts: String? = nil, start: String,
        until: String, sourceRecord: String? = nil, status: Status = .active, removalReason: String? = nil,
        relatedPersons: [RelatedPerson]? = nil, objectionDeadline: String? = nil, objection: String? = nil
    ) {
        self.relatedPersons = relatedPersons
        self.objectionDeadline = objectionDeadline
        self.objection = objection
        self.id = id
        self.list = list
        self.subjectID = subjectID
        self.subjectName = subjectName
        self.subjectKind = subjectKind
        self.initiator = initiator
        self.basis = basis
        self.document = document
        self.facts = facts
        self.start = start
        self.until = until
        self.sourceRecord = sourceRecord
        self.status = status
        self.removalReason = removalReason
    }
}

extension Listing: JSONValueReadable {
    /// Reads a listing from a JSON value as its `Codable` conformance does — required members must be
    /// there with their types, optional ones may be missing or null, unknown ones are ignored — without
    /// the round trip through text and `JSONDecoder` (a test holds the two equal). Every interceptor
    /// reads every listing event this way.
    public init(json: JSONValue) throws(WireShapeError) {
        let fields = try JSONFields(json, "a listing")
        self.init(
            id: try fields.text("id"), list: try fields.value("list"), subjectID: try fields.text("subjectID"),
            subjectName: try fields.text("subjectName"), subjectKind: try fields.value("subjectKind"),
            initiator: Department(rawValue: try fields.text("initiator")), basis: try fields.text("basis"),
            document: try fields.text("document"), facts: try fields.optionalText("facts"), start: try fields.text("start"),
            until: try fields.text("until"), sourceRecord: try fields.optionalText("sourceRecord"), status: try fields.value("status"),
            removalReason: try fields.optionalText("removalReason"), objectionDeadline: try fields.optionalText("objectionDeadline"),
            objection: try fields.optionalText("objection"))
        if let people = try fields.optionalArray("relatedPersons") {
            var read: [RelatedPerson] = []
            read.reserveCapacity(people.count)
            for person in people {
                let member = try JSONFields(person, "a listing's related person")
                read.append(
                    RelatedPerson(
                        role: try member.value("role"), name: try member.text("name"), personID: try member.optionalText("personID"),
                        from: try member.optionalText("from"), until: try member.optionalText("until")))
            }
            relatedPersons = read
        }
        if let suspension = try fields.optionalObject("suspension") {
            let member = try JSONFields(suspension, "a listing's suspension")
            self.suspension = Suspension(
                objection: try member.text("objection"), policy: try member.value("policy"), since: try member.text("since"))
        }
        if let rule = try fields.optionalObject("rule") {
            let member = try JSONFields(rule, "a listing's rule")
            self.rule = RuleReference(id: try member.text("id"), version: try member.text("version"))
        }
        grade = try fields.optionalValue("grade")
    }
}

extension Listing {
    /// Reads a listing from its JSON text in one pass (`JSONCursor`), without the `JSONValue` and the
    /// dictionaries `init(json:)` reads through: a fresh interceptor reads every active listing of
    /// the city from its snapshot this way. It gives what `init(json: JSONReader.value(bytes))` gives
    /// (a test holds the two equal); a text it cannot read is read again that way, so a refusal says
    /// what `init(json:)` says.
    public init(jsonText bytes: [UInt8]) throws {
        do {
            self = try JSONCursor.read(bytes) { cursor in try Listing(cursor: &cursor) }
        } catch {
            try self.init(json: JSONReader.value(bytes))
        }
    }

    private enum Member: String, JSONMembers {
        case id, list, subjectID, subjectName, subjectKind, initiator, basis, document, facts, start, until, sourceRecord
        case status, removalReason, relatedPersons, objectionDeadline, objection, suspension, rule, grade
        static let table = JSONMemberTable<Member>()
    }

    private enum PersonMember: String, JSONMembers {
        case role, name, personID, from, until
        static let table = JSONMemberTable<PersonMember>()
    }

    private enum SuspensionMember: String, JSONMembers {
        case objection, policy, since
        static let table = JSONMemberTable<SuspensionMember>()
    }

    private enum RuleMember: String, JSONMembers {
        case id, version
        static let table = JSONMemberTable<RuleMember>()
    }

    private struct Unreadable: Error {}

    /// The listing at `cursor`. It refuses what `init(json:)` refuses, without saying why
    /// (`init(jsonText:)` reads the text again to say it).
    public init(cursor: inout JSONCursor) throws {
        var id, subjectID, subjectName, initiator, basis, document, start, until: String?
        var list: ListType?
        var subjectKind: SubjectKind?
        var status: Status?
        var facts, sourceRecord, removalReason, objectionDeadline, objection: String?
        var relatedPersons: [RelatedPerson]?
        var suspension: Suspension?
        var rule: RuleReference?
        var grade: CreditGrade?
        try cursor.members { (member: Member, cursor) in
            switch member {
            case .id: id = try cursor.optionalString()
            case .list: list = try cursor.optionalValue()
            case .subjectID: subjectID = try cursor.optionalString()
            case .subjectName: subjectName = try cursor.optionalString()
            case .subjectKind: subjectKind = try cursor.optionalValue()
            case .initiator: initiator = try cursor.optionalString()
            case .basis: basis = try cursor.optionalString()
            case .document: document = try cursor.optionalString()
            case .facts: facts = try cursor.optionalString()
            case .start: start = try cursor.optionalString()
            case .until: until = try cursor.optionalString()
            case .sourceRecord: sourceRecord = try cursor.optionalString()
            case .status: status = try cursor.optionalValue()
            case .removalReason: removalReason = try cursor.optionalString()
            case .objectionDeadline: objectionDeadline = try cursor.optionalString()
            case .objection: objection = try cursor.optionalString()
            case .relatedPersons:
                guard try !cursor.null() else { return }
                var people: [RelatedPerson] = []
                try cursor.elements { cursor in people.append(try Listing.person(&cursor)) }
                relatedPersons = people
            case .suspension:
                guard try !cursor.null() else { return }
                suspension = try Listing.suspension(&cursor)
            case .rule:
                guard try !cursor.null() else { return }
                rule = try Listing.rule(&cursor)
            case .grade: grade = try cursor.optionalValue()
            }
        }
        guard let id, let list, let subjectID, let subjectName, let subjectKind, let initiator, let basis, let document, let start,
            let until, let status
        else { throw Unreadable() }
        self.init(
            id: id, list: list, subjectID: subjectID, subjectName: subjectName, subjectKind: subjectKind,
            initiator: Department(rawValue: initiator), basis: basis, document: document, facts: facts, start: start, until: until,
            sourceRecord: sourceRecord, status: status, removalReason: removalReason, relatedPersons: relatedPersons,
            objectionDeadline: objectionDeadline, objection: objection)
        self.suspension = suspension
        self.rule = rule
        self.grade = grade
    }

    private static func person(_ cursor: inout JSONCursor) throws -> RelatedPerson {
        var role: RelatedPerson.Role?
        var name, personID, from, until: String?
        try cursor.members { (member: PersonMember, cursor) in
            switch member {
            case .role: role = try cursor.optionalValue()
            case .name: name = try cursor.optionalString()
            case .personID: personID = try cursor.optionalString()
            case .from: from = try cursor.optionalString()
            case .until: until = try cursor.optionalString()
            }
        }
        guard let role, let name else { throw Unreadable() }
        return RelatedPerson(role: role, name: name, personID: personID, from: from, until: until)
    }

    private static func suspension(_ cursor: inout JSONCursor) throws -> Suspension {
        var objection, since: String?
        var policy: Suspension.Policy?
        try cursor.members { (member: SuspensionMember, cursor) in
            switch member {
            case .objection: objection = try cursor.optionalString()
            case .policy: policy = try cursor.optionalValue()
            case .since: since = try cursor.optionalString()
            }
        }
        guard let objection, let policy, let since else { throw Unreadable() }
        return Suspension(objection: objection, policy: policy, since: since)
    }

    private static func rule(_ cursor: inout JSONCursor) throws -> RuleReference {
        var id, version: String?
        try cursor.members { (member: RuleMember, cursor) in
            switch member {
            case .id: id = try cursor.optionalString()
            case .version: version = try cursor.optionalString()
            }
        }
        guard let id, let version else { throw Unreadable() }
        return RuleReference(id: id, version: version)
    }
}

/// The members of a JSON object read as synthesized `Codable` reads them, errors naming the member.
struct JSONFields {
    let members: [String: JSONValue]
    let what: String

    init(_ value: JSONValue, _ what: String) throws(WireShapeError) {
        guard case .object(let members) = value else { throw WireShapeError("\(what) must be a JSON object") }
        self.members = members
        self.what = what
    }

    func text(_ key: String) throws(WireShapeError) -> String {
        guard let text = try optionalText(key) else { throw WireShapeError("\(what) field \(key) is missing") }
        return text
    }

    func optionalText(_ key: String) throws(WireShapeError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw WireShapeError("\(what) field \(key) must be a string")
        }
    }

    func value<T: RawRepresentable<String>>(_ key: String) throws(WireShapeError) -> T {
        guard let value: T = try optionalValue(key) else { throw WireShapeError("\(what) field \(key) is missing") }
        return value
    }

    func optionalValue<T: RawRepresentable<String>>(_ key: String) throws(WireShapeError) -> T? {
        guard let text = try optionalText(key) else { return nil }
        guard let value = T(rawValue: text) else { throw WireShapeError("\(what) field \(key) has no value \(text)") }
        return value
    }

    func optionalArray(_ key: String) throws(WireShapeError) -> [JSONValue]? {
        switch members[key] {
        case nil, .null?: return nil
        case .array(let items)?: return items
        default: throw WireShapeError("\(what) field \(key) must be an array")
        }
    }

    func optionalObject(_ key: String) throws(WireShapeError) -> JSONValue? {
        switch members[key] {
        case nil, .null?: return nil
        case .object?: return members[key]
        default: throw WireShapeError("\(what) field \(key) must be an object")
        }
    }
}
