/// The fields the national double-publicity (双公示) standard shares between licences (`XK_`) and
/// penalties (`CF_`): the subject (行政相对人), its legacy codes and its legal representative.
///
/// | field (`P` = `XK` or `CF`) | meaning |
/// |---|---|
/// | `P_XDR_MC` | subject name |
/// | `P_XDR_LB` | subject category: 法人及非法人组织 / 自然人 / 个体工商户 |
/// | `P_XDR_SHXYM` | unified social credit code (preferred identifier) |
/// | `P_XDR_ZJLX`, `P_XDR_ZJHM` | a natural person's certificate type (`CertificateType`, default 身份证) and number |
/// | `P_XDR_GSZC`, `P_XDR_ZZJG` | 工商注册号, 组织机构代码: validated and kept as aliases |
/// | `P_XDR_SWDJ`, `P_XDR_SYDW`, `P_XDR_SHZZ` | 税务登记号, 事业单位证书号, 社会组织登记证号: kept as aliases |
/// | `P_FRDB`, `P_FR_ZJLX`, `P_FR_ZJHM` | legal representative, certificate type and number |
/// | `SEVERITY` (extension) | a severity the source states: general/serious/severe or 一般/较重/严重 |
/// A double-publicity column name as the field code the parsers look up: trimmed and upper-cased
/// (`" cf_wsh"` is `CF_WSH`). Public so that a bulk import normalises its header once per batch.
public func doublePublicityCode(_ column: String) -> String {
    FastText.upper(FastText.trimmed(column))
}

struct DoublePublicityFields {
    let prefix: String
    /// Every field as received, keys upper-cased and trimmed.
    var sourceFields: [String: String] = [:]

    init(_ fields: [String: String], prefix: String) {
        self.prefix = prefix
        // A bulk batch's keys are codes already (normalised once per batch): kept as they are.
        if fields.keys.allSatisfy(Self.isCode) {
            sourceFields = fields
            return
        }
        sourceFields.reserveCapacity(fields.count)
        for (key, value) in fields { sourceFields[doublePublicityCode(key)] = value }
    }

    /// Whether `key` is its own `doublePublicityCode`: ASCII, no lower-case letter, nothing to trim
    /// at either end. Checked on the bytes (every key of every row of a bulk batch); other keys are
    /// normalised, which leaves codes as they are.
    static func isCode(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard let first = utf8.first, let last = utf8.last else { return true }
        if first <= 0x20 || last <= 0x20 { return false }  // spaces, tabs, line breaks (and controls: normalised, unchanged)
        return !utf8.contains { $0 >= 0x80 || ($0 >= 0x61 && $0 <= 0x7A) }
    }

    /// The trimmed value of `P_<suffix>`, nil when absent or blank.
    subscript(_ suffix: String) -> String? { value(prefix + "_" + suffix) }

    /// The trimmed value of a field by its full code, nil when absent or blank.
    func value(_ code: String) -> String? {
        guard let text = sourceFields[code] else { return nil }
        let trimmed = FastText.trimmed(text)
        return trimmed.isEmpty ? nil : trimmed
    }

    func required(_ suffix: String) throws(DomainError) -> String {
        guard let value = self[suffix] else { throw .missing(field: "\(prefix)_\(suffix)") }
        return value
    }

    func date(_ suffix: String) throws(DomainError) -> String? {
        guard let text = self[suffix] else { return nil }
        return try FieldDates.isoDate(text, field: "\(prefix)_\(suffix)")
    }

    /// The three values of `P_XDR_LB` (相对人类别).
    enum Category {
        case organisation, naturalPerson, individualBusiness
    }

    /// The subject's identifier and kind.
    func subject() throws(DomainError) -> (SubjectID, SubjectKind) {
        let category = try self.category()
        let subject: SubjectID
        if let code = self["XDR_SHXYM"] {
            subject = try Identifiers.unifiedSocialCreditCode(code, field: "\(prefix)_XDR_SHXYM")
        } else if let field = [prefix + "_XDR_ZJHM", prefix + "_ZJHM"].first(where: { value($0) != nil }), let number = value(field) {
            subject = try certificate(number, field: field, typeField: "\(prefix)_XDR_ZJLX")
        } else {
            throw .invalid(
                field: "\(prefix)_XDR_SHXYM", value: "",
                reason: "is required, or else the certificate number \(prefix)_XDR_ZJHM of a natural person")
        }
        return (subject, try kind(of: subject, category: category))
    }

    /// A person's certificate number, read by the type its type field gives (resident ID by default,
    /// which also accepts a unified code as the standard's exports sometimes put one there).
    func certificate(_ number: String, field: String, typeField: String) throws(DomainError) -> SubjectID {
        guard let typeText = value(typeField) else { return try Identifiers.subjectID(number, field: field) }
        let type = try CertificateType(source: typeText, field: typeField)
        if type == .residentID { return try Identifiers.subjectID(number, field: field) }
        return try Identifiers.personCertificate(number, type: type, field: field)
    }

    func relatedPersons() throws(DomainError) -> [RelatedPerson] {
        guard let name = self["FRDB"] else { return [] }
        let id = try self["FR_ZJHM"].map { (number) throws(DomainError) in
            try certificate(number, field: "\(prefix)_FR_ZJHM", typeField: "\(prefix)_FR_ZJLX").value
        }
        return [RelatedPerson(role: .legalRepresentative, name: name, personID: id)]
    }

    func aliases() throws(DomainError) -> [SubjectAlias]? {
        var aliases: [SubjectAlias] = []
        if let number = self["XDR_GSZC"] {
            aliases.append(
                SubjectAlias(
                    scheme: .businessRegistrationNumber,
                    value: try Identifiers.businessRegistrationNumber(number, field: "\(prefix)_XDR_GSZC")))
        }
        if let code = self["XDR_ZZJG"] {
            aliases.append(
                SubjectAlias(scheme: .organisationCode, value: try Identifiers.organisationCode(code, field: "\(prefix)_XDR_ZZJG")))
        }
        if let number = self["XDR_SWDJ"] { aliases.append(SubjectAlias(scheme: .taxRegistrationNumber, value: number.uppercased())) }
        for suffix in ["XDR_SYDW", "XDR_SHZZ"] {
            if let number = self[suffix] { aliases.append(SubjectAlias(scheme: .registrationCertificate, value: number.uppercased())) }
        }
        return aliases.isEmpty ? nil : aliases
    }

    /// The severity the source states (`SEVERITY`), if any.
    func statedSeverity() throws(DomainError) -> Severity? {
        guard let text = value("SEVERITY") else { return nil }
        guard let severity = Severity(source: text) else {
            throw .invalid(field: "SEVERITY", value: text, reason: "must be general, serious or severe (一般, 较重, 严重)")
        }
        return severity
    }

    private func category() throws(DomainError) -> Category? {
        guard let text = self["XDR_LB"] else { return nil }
        if FastText.contains(text, "个体") { return .individualBusiness }
        if FastText.contains(text, "自然人") { return .naturalPerson }
        if FastText.contains(text, "法人") || FastText.contains(text, "组织") { return .organisation }
        throw .invalid(field: "\(prefix)_XDR_LB", value: text, reason: "must be 法人及非法人组织, 自然人 or 个体工商户")
    }

    /// The subject kind: the identifier's, refined by the category; a contradiction is refused.
    private func kind(of subject: SubjectID, category: Category?) throws(DomainError) -> SubjectKind {
        switch (category, subject.scheme) {
        case (.individualBusiness, _):
            return .individualBusiness
        case (.naturalPerson, .unifiedSocialCreditCode):
            throw .invalid(
                field: "\(prefix)_XDR_LB", value: "自然人",
                reason: "a natural person is identified by the resident ID in \(prefix)_XDR_ZJHM, not a unified social credit code")
        case (.organisation, let scheme) where scheme != .unifiedSocialCreditCode:
            throw .invalid(
                field: "\(prefix)_XDR_LB", value: "法人及非法人组织",
                reason: "an organisation is identified by its unified social credit code in \(prefix)_XDR_SHXYM")
        default:
            return subject.impliedKind
        }
    }
}
