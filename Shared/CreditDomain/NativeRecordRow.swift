import MeshProtocol

/// The suite's own record format, one JSON object (or CSV row) per record of any kind, with the
/// names of `CreditRecord`'s fields (docs/PROTOCOL.md, "Native records").
///
/// | field | required | meaning |
/// |---|---|---|
/// | `kind` | yes | a `RecordKind` raw value (`licence`, `penalty`, `other-administrative-act`, `court-dishonest-debtor`, `tax-arrears`, `commendation`, `commitment`, `voluntary`, `contract-performance`, `third-party-report`) |
/// | `subjectID` | yes | USCC, resident ID, or the number of `certificateType` |
/// | `certificateType` | | a person's certificate type (`CertificateType`: code 001–005, name or raw value) |
/// | `subjectName` | yes | |
/// | `subjectKind` | | a `SubjectKind` raw value; must fit the identifier (a person for a certificate, an organisation for a USCC) |
/// | `documentNumber` | yes | decision document, case or report number |
/// | `authority` | yes | the deciding or reporting body |
/// | `decisionDate` | yes | any date shape `FieldDates` reads |
/// | `summary` | | defaults to the kind's name |
/// | `legalBasis`, `validFrom`, `validUntil`, `publicityEnd`, `category` | | |
/// | `severity` | | general, serious, severe (一般, 较重, 严重); only on negative records; else from `SeverityRules` |
/// | `fineAmount` | | fine in 万元 (penalties) |
/// | `amount` | tax-arrears | amount in 元 |
/// | `performance` | contract-performance | `pending`, `kept`, `breached` (commitments default to pending) |
/// | `relatedPersons` | | array of `{role, name, personID, from, until}`; in CSV the columns `legalRepresentative`, `legalRepresentativeID` |
/// | `aliases` | | array of `{scheme, value}`; in CSV the columns `businessRegistrationNumber`, `organisationCode` |
///
/// `category` of an other-administrative-act must be one of the acts of the Shaanxi Plan 三(四)3:
/// 行政强制, 行政确认, 行政征收, 行政给付, 行政裁决, 行政补偿, 行政奖励, 行政监督检查 (with or without 行政).
public enum NativeRecordRow {
    /// The kinds of other administrative acts (Shaanxi Plan 三(四)3), by their short name.
    public static let administrativeActs = ["强制", "确认", "征收", "给付", "裁决", "补偿", "奖励", "监督检查"]

    /// The kind a row claims, read first so authority can be checked before anything else.
    public static func kind(of object: [String: JSONValue]) throws(DomainError) -> RecordKind {
        guard let text = text("kind", in: object) else { throw .missing(field: "kind") }
        guard let kind = RecordKind(rawValue: text) else {
            throw .invalid(
                field: "kind", value: text,
                reason: "is no record kind; kinds are \(RecordKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    /// Builds the record for one native object.
    public static func record(from object: [String: JSONValue], rules: SeverityRules = .standard) throws(DomainError) -> CreditRecord {
        let kind = try kind(of: object)
        func required(_ key: String) throws(DomainError) -> String {
            guard let value = text(key, in: object) else { throw .missing(field: key) }
            return value
        }
        func date(_ key: String) throws(DomainError) -> String? {
            try text(key, in: object).map { (text) throws(DomainError) in try FieldDates.isoDate(text, field: key) }
        }
        func number(_ key: String, unit: String) throws(DomainError) -> Double? {
            guard let text = text(key, in: object) else { return nil }
            guard let value = Double(text.replacingOccurrences(of: ",", with: "")), value.isFinite, value >= 0 else {
                throw .invalid(field: key, value: text, reason: "must be an amount in \(unit), a decimal number ≥ 0")
            }
            return value
        }

        let rawID = try required("subjectID")
        let name = try required("subjectName")
        let subject: SubjectID
        if let typeText = text("certificateType", in: object) {
            let type = try CertificateType(source: typeText, field: "certificateType")
            subject =
                type == .residentID
                ? try Identifiers.residentID(rawID, field: "subjectID")
                : try Identifiers.personCertificate(rawID, type: type, field: "subjectID")
        } else {
            subject = try Identifiers.subjectID(rawID, field: "subjectID")
        }
        var subjectKind = subject.impliedKind
        if let kindText = text("subjectKind", in: object) {
            guard let stated = SubjectKind(rawValue: kindText) else {
                throw .invalid(
                    field: "subjectKind", value: kindText,
                    reason: "is no subject kind; kinds are \(SubjectKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard stated.isNaturalPerson == subject.impliedKind.isNaturalPerson else {
                throw .invalid(
                    field: "subjectKind", value: kindText,
                    reason: "contradicts the identifier \(subject.value), whose kind is \(subject.impliedKind.rawValue)")
            }
            subjectKind = stated
        }

        let documentNumber = try required("documentNumber")
        let authority = try required("authority")
        guard let decisionDate = try date("decisionDate") else { throw .missing(field: "decisionDate") }
        let validFrom = try date("validFrom")
        let validUntil = try date("validUntil")
        if let validUntil, validUntil < (validFrom ?? decisionDate) {
            throw .invalid(
                field: "validUntil", value: validUntil,
                reason: "is before \(validFrom == nil ? "the decision date" : "validFrom") \(validFrom ?? decisionDate)")
        }
        let publicityEnd = try date("publicityEnd")
        let fine = try number("fineAmount", unit: "万元")
        let amount = try number("amount", unit: "元")

        var category = text("category", in: object)
        if kind == .otherAdministrativeAct {
            guard let stated = category else { throw .missing(field: "category") }
            let short = stated.hasPrefix("行政") ? String(stated.dropFirst(2)) : stated
            guard administrativeActs.contains(short) else {
                throw .invalid(
                    field: "category", value: stated,
                    reason: "an other administrative act is one of \(administrativeActs.map { "行政\($0)" }.joined(separator: ", "))")
            }
            category = "行政" + short
        }
        if kind == .taxArrears, amount == nil { throw .missing(field: "amount") }

        var performance: Performance?
        if let text = text("performance", in: object) {
            guard let value = Performance(rawValue: text) else {
                throw .invalid(field: "performance", value: text, reason: "must be pending, kept or breached")
            }
            guard kind == .commitment || kind == .contractPerformance else {
                throw .invalid(field: "performance", value: text, reason: "applies to commitment and contract-performance records only")
            }
            performance = value
        } else if kind == .contractPerformance {
            throw .missing(field: "performance")
        } else if kind == .commitment {
            performance = .pending
        }

        var record = CreditRecord(
            kind: kind, subjectID: subject.value, subjectScheme: subject.scheme, subjectKind: subjectKind, subjectName: name,
            relatedPersons: try relatedPersons(in: object), documentNumber: documentNumber, authority: authority,
            legalBasis: text("legalBasis", in: object), summary: text("summary", in: object) ?? defaultSummary(kind),
            decisionDate: decisionDate, validUntil: validUntil, publicityEnd: publicityEnd, fineAmount: fine,
            sourceFields: sourceFields(object), validFrom: validFrom, category: category, amount: amount,
            performance: performance, subjectAliases: try aliases(in: object))
        if let severityText = text("severity", in: object) {
            guard let stated = Severity(source: severityText) else {
                throw .invalid(field: "severity", value: severityText, reason: "must be general, serious or severe (一般, 较重, 严重)")
            }
            guard record.isNegative else {
                throw .invalid(
                    field: "severity", value: severityText,
                    reason: "only negative records carry a severity; a \(kind.rawValue) record is not negative")
            }
            record.severity = stated
        } else {
            record.severity = rules.severity(of: record)
        }
        return record
    }

    static func defaultSummary(_ kind: RecordKind) -> String {
        switch kind {
        case .licence: "行政许可"
        case .penalty: "行政处罚"
        case .otherAdministrativeAct: "其他行政行为"
        case .courtDishonestDebtor: "失信被执行人"
        case .taxArrears: "欠税欠费"
        case .commendation: "表彰奖励"
        case .commitment: "信用承诺"
        case .voluntary: "自愿注册信息"
        case .contractPerformance: "合同履约"
        case .thirdPartyReport: "第三方信用报告"
        }
    }

    static func relatedPersons(in object: [String: JSONValue]) throws(DomainError) -> [RelatedPerson] {
        var persons: [RelatedPerson] = []
        if let name = text("legalRepresentative", in: object) {
            let id = try text("legalRepresentativeID", in: object).map { (id) throws(DomainError) in
                try Identifiers.subjectID(id, field: "legalRepresentativeID").value
            }
            persons.append(RelatedPerson(role: .legalRepresentative, name: name, personID: id))
        }
        guard let value = object["relatedPersons"], value != .null else { return persons }
        guard let items = value.arrayValue else {
            throw .invalid(
                field: "relatedPersons", value: value.textValue ?? "", reason: "must be an array of {role, name, personID, from, until}")
        }
        for (index, item) in items.enumerated() {
            let field = "relatedPersons[\(index)]"
            guard let person = item.objectValue else { throw .invalid(field: field, value: "", reason: "must be an object") }
            persons.append(try RelatedPersonFields.person(from: person, field: field))
        }
        return persons
    }

    static func aliases(in object: [String: JSONValue]) throws(DomainError) -> [SubjectAlias]? {
        var aliases: [SubjectAlias] = []
        if let number = text("businessRegistrationNumber", in: object) {
            aliases.append(
                SubjectAlias(
                    scheme: .businessRegistrationNumber,
                    value: try Identifiers.businessRegistrationNumber(number, field: "businessRegistrationNumber")))
        }
        if let code = text("organisationCode", in: object) {
            aliases.append(
                SubjectAlias(scheme: .organisationCode, value: try Identifiers.organisationCode(code, field: "organisationCode")))
        }
        if let value = object["aliases"], value != .null {
            guard let items = value.arrayValue else {
                throw .invalid(field: "aliases", value: "", reason: "must be an array of {scheme, value}")
            }
            for (index, item) in items.enumerated() {
                let field = "aliases[\(index)]"
                guard let alias = item.objectValue, let schemeText = text("scheme", in: alias), let text = text("value", in: alias) else {
                    throw .invalid(field: field, value: "", reason: "must be an object with scheme and value")
                }
                aliases.append(try SubjectAlias(validating: text, scheme: schemeText, field: field))
            }
        }
        return aliases.isEmpty ? nil : aliases
    }

    /// Scalar fields as text, for the archive.
    static func sourceFields(_ object: [String: JSONValue]) -> [String: String] {
        var fields: [String: String] = [:]
        for (key, value) in object { if let text = value.textValue { fields[key] = text } }
        return fields
    }

    /// The trimmed text of a string or number field; nil when absent, null or empty.
    static func text(_ key: String, in object: [String: JSONValue]) -> String? {
        CourtDebtorRow.text(key, in: object)
    }
}

/// Reads related persons from objects (`relations.register`, native records).
public enum RelatedPersonFields {
    /// `{role, name, personID, certificateType, from, until}`: role is `legal-representative`,
    /// `principal` or `actual-controller` (or 法定代表人, 主要负责人, 实际控制人).
    public static func person(from object: [String: JSONValue], field: String) throws(DomainError) -> RelatedPerson {
        func text(_ key: String) -> String? { CourtDebtorRow.text(key, in: object) }
        guard let roleText = text("role") else { throw .missing(field: "\(field).role") }
        guard let role = RelatedPerson.Role(source: roleText) else {
            throw .invalid(
                field: "\(field).role", value: roleText,
                reason: "must be legal-representative, principal or actual-controller (法定代表人, 主要负责人, 实际控制人)")
        }
        guard let name = text("name") else { throw .missing(field: "\(field).name") }
        var personID: String?
        if let id = text("personID") {
            if let typeText = text("certificateType") {
                let type = try CertificateType(source: typeText, field: "\(field).certificateType")
                personID = try Identifiers.personCertificate(id, type: type, field: "\(field).personID").value
            } else {
                personID = try Identifiers.residentID(id, field: "\(field).personID").value
            }
        }
        let from = try text("from").map { (text) throws(DomainError) in try FieldDates.isoDate(text, field: "\(field).from") }
        let until = try text("until").map { (text) throws(DomainError) in try FieldDates.isoDate(text, field: "\(field).until") }
        if let from, let until, until < from {
            throw .invalid(field: "\(field).until", value: until, reason: "is before from \(from)")
        }
        return RelatedPerson(role: role, name: name, personID: personID, from: from, until: until)
    }
}

extension RelatedPerson.Role {
    /// Reads a role as sources write it: the raw value or its Chinese name.
    public init?(source text: String) {
        switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "legal-representative", "法定代表人", "法人代表": self = .legalRepresentative
        case "principal", "主要负责人", "负责人": self = .principal
        case "actual-controller", "实际控制人": self = .actualController
        default: return nil
        }
    }
}

extension SubjectAlias {
    /// Validates an alias of a scheme given by name (`organisation-code` …).
    public init(validating text: String, scheme schemeText: String, field: String) throws(DomainError) {
        guard let scheme = Scheme(rawValue: schemeText) else {
            throw .invalid(
                field: "\(field).scheme", value: schemeText,
                reason: "must be \(Scheme.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch scheme {
        case .businessRegistrationNumber:
            self.init(scheme: scheme, value: try Identifiers.businessRegistrationNumber(text, field: "\(field).value"))
        case .organisationCode: self.init(scheme: scheme, value: try Identifiers.organisationCode(text, field: "\(field).value"))
        case .taxRegistrationNumber, .registrationCertificate:
            let value = Identifiers.normalised(text)
            guard (5...30).contains(value.count) else {
                throw .invalid(field: "\(field).value", value: value, reason: "must be 5–30 characters")
            }
            self.init(scheme: scheme, value: value)
        }
    }
}
