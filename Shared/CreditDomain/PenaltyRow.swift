import Foundation

/// One administrative penalty (行政处罚) in the national double-publicity (双公示) field codes, as a
/// CSV row or JSON object, turned into a `CreditRecord` of kind `.penalty`. Penalties are published
/// within 7 working days of the decision (seeds 001, 003), so every department exports these fields.
///
/// Field codes may come in upper or lower case (they are upper-cased); empty values count as absent.
///
/// | field | meaning | record |
/// |---|---|---|
/// | `CF_WSH` (required) | decision document number (决定书文号) | `documentNumber` |
/// | `CF_XDR_MC` (required) | subject name (行政相对人名称) | `subjectName` |
/// | `CF_XDR_LB` | subject category: 法人及非法人组织 / 自然人 / 个体工商户 | `subjectKind` |
/// | `CF_XDR_SHXYM` | unified social credit code | `subjectID` (preferred) |
/// | `CF_XDR_ZJHM` or `CF_ZJHM` | certificate number of a natural person | `subjectID` when no code |
/// | `CF_FRDB`, `CF_FR_ZJHM` | legal representative's name and resident ID | `relatedPersons` |
/// | `CF_CFLB` | penalty categories, joined by `;` `；` `,` `，` `、` | `severity` |
/// | `CF_NR` (or `CF_WFXW`) | content (or the illegal act) | `summary` |
/// | `CF_NR_FK` | fine in 万元, a decimal ≥ 0 | `fineAmount`, `severity` |
/// | `CF_YJ` | legal basis (处罚依据) | `legalBasis` |
/// | `CF_JDRQ` (required) | decision date | `decisionDate` |
/// | `CF_YXQ`, `CF_GSJZQ` | valid until, publicity end | `validUntil`, `publicityEnd` |
/// | `CF_CFJG` (required) | deciding authority (处罚机关) | `authority` |
/// | `CF_NR_WFFF`, `CF_WFSS`, `CF_CFJGDM`, `CF_SJLY`, `CF_SJLYDM`, `CF_BZ` | | `sourceFields` only |
///
/// One of `CF_XDR_SHXYM` and the certificate number is required. Severity follows `SeverityRules`.
public enum PenaltyRow {
    /// Builds the record for one row with the standard severity rules.
    ///
    /// - Throws: `DomainError` naming the field code (upper case) that is missing or invalid.
    public static func record(from fields: [String: String]) throws(DomainError) -> CreditRecord {
        try record(from: fields, rules: .standard)
    }

    /// Builds the record for one row, grading severity with `rules`.
    public static func record(from fields: [String: String], rules: SeverityRules) throws(DomainError) -> CreditRecord {
        var sourceFields: [String: String] = [:]
        var values: [String: String] = [:]
        for (key, value) in fields {
            let code = key.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            sourceFields[code] = value
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { values[code] = trimmed }
        }
        func required(_ code: String) throws(DomainError) -> String {
            guard let value = values[code] else { throw .missing(field: code) }
            return value
        }

        let documentNumber = try required("CF_WSH")
        let name = try required("CF_XDR_MC")
        let authority = try required("CF_CFJG")
        let decisionDate = try FieldDates.isoDate(try required("CF_JDRQ"), field: "CF_JDRQ")

        let category = try category(values["CF_XDR_LB"])
        let subject: SubjectID
        if let code = values["CF_XDR_SHXYM"] {
            subject = try Identifiers.unifiedSocialCreditCode(code, field: "CF_XDR_SHXYM")
        } else if let certificateField = ["CF_XDR_ZJHM", "CF_ZJHM"].first(where: { values[$0] != nil }) {
            subject = try Identifiers.subjectID(values[certificateField]!, field: certificateField)
        } else {
            throw .invalid(
                field: "CF_XDR_SHXYM", value: "",
                reason: "is required, or else the certificate number CF_XDR_ZJHM of a natural person")
        }
        let subjectKind = try kind(of: subject, category: category)

        var related: [RelatedPerson] = []
        let representativeID = try values["CF_FR_ZJHM"].map { (id) throws(DomainError) in
            try Identifiers.residentID(id, field: "CF_FR_ZJHM").value
        }
        if let representative = values["CF_FRDB"] {
            related.append(RelatedPerson(role: .legalRepresentative, name: representative, personID: representativeID))
        }

        let categories = values["CF_CFLB"].map(SeverityRules.categories) ?? []
        let fine = try values["CF_NR_FK"].map(fine)
        let validUntil = try values["CF_YXQ"].map { (text) throws(DomainError) in
            try FieldDates.isoDate(text, field: "CF_YXQ")
        }
        if let validUntil, validUntil < decisionDate {
            throw .invalid(field: "CF_YXQ", value: validUntil, reason: "is before the decision date \(decisionDate)")
        }
        let publicityEnd = try values["CF_GSJZQ"].map { (text) throws(DomainError) in
            try FieldDates.isoDate(text, field: "CF_GSJZQ")
        }

        return CreditRecord(
            kind: .penalty, subjectID: subject.value, subjectScheme: subject.scheme, subjectKind: subjectKind,
            subjectName: name, relatedPersons: related, documentNumber: documentNumber, authority: authority,
            legalBasis: values["CF_YJ"], summary: values["CF_NR"] ?? values["CF_WFXW"] ?? values["CF_CFLB"] ?? "行政处罚",
            decisionDate: decisionDate, validUntil: validUntil, publicityEnd: publicityEnd,
            severity: rules.severity(categories: categories, fine: fine), fineAmount: fine,
            sourceFields: sourceFields)
    }

    // MARK: - Fields

    /// The three values of `CF_XDR_LB` (相对人类别).
    enum Category {
        case organisation, naturalPerson, individualBusiness
    }

    private static func category(_ text: String?) throws(DomainError) -> Category? {
        guard let text else { return nil }
        if text.contains("个体") { return .individualBusiness }
        if text.contains("自然人") { return .naturalPerson }
        if text.contains("法人") || text.contains("组织") { return .organisation }
        throw .invalid(field: "CF_XDR_LB", value: text, reason: "must be 法人及非法人组织, 自然人 or 个体工商户")
    }

    /// The subject kind: the identifier's, refined by the category; a contradiction is refused.
    private static func kind(of subject: SubjectID, category: Category?) throws(DomainError) -> SubjectKind {
        switch (category, subject.scheme) {
        case (.individualBusiness, _):
            return .individualBusiness
        case (.naturalPerson, .unifiedSocialCreditCode):
            throw .invalid(
                field: "CF_XDR_LB", value: "自然人",
                reason:
                    "a natural person is identified by the resident ID in CF_XDR_ZJHM, not a unified social credit code"
            )
        case (.organisation, .residentID):
            throw .invalid(
                field: "CF_XDR_LB", value: "法人及非法人组织",
                reason: "an organisation is identified by its unified social credit code in CF_XDR_SHXYM")
        default:
            return subject.impliedKind
        }
    }

    /// `CF_NR_FK`: 万元 as a decimal ≥ 0; a trailing 万元 or 万 is tolerated.
    private static func fine(_ text: String) throws(DomainError) -> Double {
        var number = text.replacingOccurrences(of: ",", with: "")
        for suffix in ["万元", "万"] where number.hasSuffix(suffix) {
            number = String(number.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
        }
        guard let value = Double(number), value.isFinite, value >= 0 else {
            throw .invalid(field: "CF_NR_FK", value: text, reason: "must be a fine in 万元, a decimal number ≥ 0")
        }
        return value
    }
}
